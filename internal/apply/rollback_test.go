package apply_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// ranBefore leaves, in the example world, the evidence records the
// applies that put 12 in staging and 11 in prod would have written
// (world.Deploy sets up what serves, out of band): what a later check
// tells a rollback by.
func ranBefore(t *testing.T, w *world.World) *world.World {
	t.Helper()
	for _, d := range []struct {
		stage, endpoint string
		version         int
	}{{"staging", "fraud-detector-staging", 12}, {"prod", "fraud-detector", 11}} {
		env, _ := w.Config.Environment(d.stage)
		merge := fmt.Sprintf("%040x", 0xe0+d.version)
		rec := &apply.Record{SchemaVersion: apply.RecordSchemaVersion, Model: "fraud-detector", Stage: d.stage, ToVersion: d.version,
			PullRequest: apply.RecordPR{Repo: world.Repo, MergeSHA: merge},
			Source:      apply.RecordPackage{Account: world.DevAccount, Region: world.Region, Group: "fraud-detector", Version: d.version, PackageARN: world.PackageARN("fraud-detector", d.version)},
			Target:      apply.RecordPackage{Account: env.Account, Region: env.Region, Group: "fraud-detector"},
			Endpoint:    apply.RecordEndpoint{Name: d.endpoint, Account: env.Account, Region: env.Region, Status: "InService"},
			StartedAt:   w.Now().Add(-time.Hour), FinishedAt: w.Now().Add(-time.Hour), Outcome: apply.StateSuccess}
		if _, err := w.WriteRecord(t.Context(), d.stage, rec); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// checkPR runs the check on pull request n, reporting on it, as the
// server would on a push or a review.
func checkPR(t *testing.T, w *world.World, n int) *check.Result {
	t.Helper()
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// passingPR opens the change, has its approvers approve it, and checks
// it; the check must pass.
func passingPR(t *testing.T, w *world.World, c change) (int, *check.Result) {
	t.Helper()
	n := openPR(t, w, c)
	for _, a := range c.approvers {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "approved"); err != nil {
			t.Fatal(err)
		}
	}
	res := checkPR(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("verdict %s:\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	return n, res
}

func findings(p *plan.Plan, sev ...plan.Severity) string {
	var b strings.Builder
	for _, f := range p.Findings {
		for _, s := range sev {
			if f.Severity == s {
				b.WriteString(string(f.Severity) + " " + string(f.Gate) + ": " + f.Message + "\n")
			}
		}
	}
	return b.String()
}

func deploymentOf(w *world.World, env, sha string) (ghemu.Deployment, bool) {
	for _, d := range w.GitHub.Deployments(world.Repo) {
		if d.Environment == env && d.SHA == sha {
			return d, true
		}
	}
	return ghemu.Deployment{}, false
}

// The bad day: a prod rollout of 12 fails and rolls back to 11;
// the bot opens the revert pull request; staging serves 12, so stage order
// would refuse 11, but prod ran 11 before (its evidence record says so):
// the revert is a rollback, passes its own check once approved (one
// approval, the stage's rollbackApprovals), and apply puts 11 back with
// the evidence record marked.
func TestRevertPullRequestAfterAFailedRolloutPassesItsCheckAndRestoresTheVersion(t *testing.T) {
	w := ranBefore(t, newWorld(t, world.Options{}))
	n := mergedPR(t, w, prodChange)
	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	failed := runApply(t, applyEnv(w), n)
	if !failed.Failed() || len(failed.FollowUps) != 1 || failed.FollowUps[0].Number == 0 {
		t.Fatalf("outcomes %+v follow-ups %+v", failed.Outcomes, failed.FollowUps)
	}
	revert := failed.FollowUps[0].Number

	before := checkPR(t, w, revert)
	if before.Verdict != plan.StatusPending {
		t.Fatalf("unapproved revert: verdict %s, want pending:\n%s", before.Verdict, findings(before.Plan, plan.SeverityError, plan.SeverityPending))
	}
	pr := before.Plan.Promotions[0]
	rb := pr.Details.Rollback
	if rb == nil || rb.To.Version != 11 || rb.To.Stage != "prod" || rb.To.Outcome != "success" {
		t.Fatalf("rollback %+v", rb)
	}
	if errs := findings(before.Plan, plan.SeverityError); errs != "" {
		t.Fatalf("the revert fails its own gates:\n%s", errs)
	}
	if a := pr.Details.Approvals; a == nil || a.Required != 1 {
		t.Fatalf("approvals %+v, want rollbackApprovals 1", a)
	}
	comments := w.GitHub.Comments(world.Repo, revert)
	body := comments[len(comments)-1].Body
	for _, want := range []string{"**Rollback.**", "returns to v11, which prod ran before", "stage order and soak: version 11 is not new to prod", "regression bounds"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment does not say %q:\n%s", want, body)
		}
	}

	if _, err := w.GitHub.Review(world.Repo, revert, world.Gina, "APPROVE", "put 11 back"); err != nil {
		t.Fatal(err)
	}
	if after := checkPR(t, w, revert); after.Verdict != plan.StatusPass {
		t.Fatalf("approved revert: verdict %s:\n%s", after.Verdict, findings(after.Plan, plan.SeverityError, plan.SeverityPending))
	}
	if _, err := w.GitHub.Merge(world.Repo, revert, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	res := runApply(t, applyEnv(w), revert)
	if res.Failed() || len(res.Outcomes) != 1 || res.Outcomes[0].State != apply.StateSuccess {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 || s.EndpointStatus != "InService" {
		t.Fatalf("prod serves %+v, want v11", s)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if rec.Outcome != "success" || rec.Rollback == nil || rec.Rollback.To.Version != 11 || len(rec.Rollback.Waived) == 0 || rec.BreakGlass != nil {
		t.Errorf("record: outcome %s rollback %+v", rec.Outcome, rec.Rollback)
	}
	d, ok := deploymentOf(w, "prod/fraud-detector", res.Merge.MergeSHA)
	if p, _ := d.Payload.(map[string]any); !ok || p["rollback"] != true || !strings.HasPrefix(d.Description, "rollback: ") {
		t.Errorf("deployment %+v", d)
	}
}

// A hand-written rollback after staging moved on: prod ran 14 (much
// better than 11) and staging has moved to 13. Putting prod back to 11
// breaks stage order (11 is not live in staging), and the AUC regression
// bound (0.95 → 0.855), but prod ran 11 before: neither applies.
func TestManualRollbackAfterStagingMovedOn(t *testing.T) {
	w := ranBefore(t, newWorld(t, world.Options{}))
	v14, err := w.SeedVersion(world.Version{Group: "fraud-detector", Metrics: map[string]float64{"auc": 0.95, "f1": 0.9, "precision": 0.92, "recall": 0.9, "accuracy": 0.93}})
	if err != nil || v14 != 14 {
		t.Fatal(v14, err)
	}
	for _, c := range []change{
		{file: "promotions/fraud-detector.yaml", from: "  staging:\n    version: 12\n", to: "  staging:\n    version: 14\n", approvers: []string{world.Bob}},
		{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 11\n", to: "  prod:\n    version: 14\n", approvers: []string{world.Gina, world.Bob}},
		{file: "promotions/fraud-detector.yaml", from: "  staging:\n    version: 14\n", to: "  staging:\n    version: 13\n", approvers: []string{world.Bob}},
	} {
		if res := runApply(t, applyEnv(w), mergedPR(t, w, c)); res.Failed() {
			t.Fatalf("%s: refused %v outcomes %+v", c.to, res.Refused, res.Outcomes)
		}
	}

	n, res := passingPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 14\n", to: "  prod:\n    version: 11\n", approvers: []string{world.Gus}})
	pr := res.Plan.Promotions[0]
	if pr.Details.Rollback == nil || pr.Details.Rollback.To.Version != 11 || pr.Details.PreviousStage != nil {
		t.Fatalf("rollback %+v, previous stage read %+v", pr.Details.Rollback, pr.Details.PreviousStage)
	}
	if pr.Details.Live == nil || pr.Details.Live.SourceVersion != 14 {
		t.Fatalf("live %+v", pr.Details.Live)
	}
	for _, row := range pr.Details.Evaluation {
		for _, v := range row.Thresholds {
			if strings.Contains(v.Rule, "Regression") {
				t.Errorf("%s: regression bound judged on a rollback: %+v", row.Path, v)
			}
			if !v.Pass {
				t.Errorf("%s: %+v", row.Path, v)
			}
		}
	}
	if !strings.Contains(findings(res.Plan, plan.SeverityNotice), "rollback: prod returns to version 11") {
		t.Errorf("no rollback notice:\n%s", findings(res.Plan, plan.SeverityNotice, plan.SeverityWarning))
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	out := runApply(t, applyEnv(w), n)
	if out.Failed() {
		t.Fatalf("refused %v outcomes %+v", out.Refused, out.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 {
		t.Fatalf("prod serves %+v", s)
	}
	if rec := record(t, w, out.Outcomes[0].RecordURI); rec.Rollback == nil || rec.FromVersion != 14 || rec.ToVersion != 11 {
		t.Errorf("record %+v", rec)
	}
}

// A version prod never ran is no rollback, whatever its number: going
// down to 10 keeps stage order (10 is not live in staging) and the
// stage's two approvals.
func TestOlderVersionProdNeverRanIsJudgedAsNew(t *testing.T) {
	w := ranBefore(t, newWorld(t, world.Options{}))
	n := openPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 11\n", to: "  prod:\n    version: 10\n"})
	if _, err := w.GitHub.Review(world.Repo, n, world.Gina, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	res := checkPR(t, w, n)
	pr := res.Plan.Promotions[0]
	if res.Verdict != plan.StatusFail || pr.Details.Rollback != nil || pr.Details.Approvals.Required != 2 {
		t.Fatalf("verdict %s rollback %+v approvals %+v", res.Verdict, pr.Details.Rollback, pr.Details.Approvals)
	}
	if !strings.Contains(findings(res.Plan, plan.SeverityError), "version 10 is not live in staging") {
		t.Errorf("errors:\n%s", findings(res.Plan, plan.SeverityError))
	}
}
