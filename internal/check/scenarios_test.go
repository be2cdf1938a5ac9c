package check_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// hasFinding reports whether p has a finding of gate and severity whose
// message contains substr.
func hasFinding(p *plan.Plan, gate plan.Gate, sev plan.Severity, substr string) bool {
	for _, f := range p.Findings {
		if f.Gate == gate && f.Severity == sev && strings.Contains(f.Message, substr) {
			return true
		}
	}
	return false
}

func expectFinding(t *testing.T, res *check.Result, gate plan.Gate, sev plan.Severity, substr string) {
	t.Helper()
	if !hasFinding(res.Plan, gate, sev, substr) {
		t.Errorf("no %s %s finding containing %q; findings:\n%s", sev, gate, substr, findingsText(res.Plan))
	}
}

func TestVersionNotApprovedInSourceRegistryFailsLineage(t *testing.T) {
	w := stage(t, world.Options{})
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", Approval: "PendingManualApproval"})
	if err != nil || v != 14 {
		t.Fatalf("seeded %d: %v", v, err)
	}
	n := propose(t, w, "promote-14", bumpStaging("12", "14"))
	res := run(t, env(w), n)
	if res.Verdict != plan.StatusFail || gates(t, res, "fraud-detector/staging")[plan.GateLineage] != plan.StatusFail {
		t.Fatalf("verdict %s", res.Verdict)
	}
	expectFinding(t, res, plan.GateLineage, plan.SeverityError, "is PendingManualApproval in the source registry")
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if cr := lastCheckRun(t, w, pr.HeadSHA); cr.Conclusion != "failure" {
		t.Errorf("check run %s", cr.Conclusion)
	}
}

func TestReportChangedAfterRegistrationFailsItsDigest(t *testing.T) {
	w := stage(t, world.Options{})
	stats := w.Models["fraud-detector"][13].Package.ModelMetrics.ModelQuality.Statistics.S3Uri
	key := strings.TrimPrefix(stats, "s3://"+world.DevBucket+"/")
	forged := evidence.SampleModelQuality(evidence.BinaryClassification, map[string]float64{"auc": 0.99, "f1": 0.99, "precision": 0.99, "recall": 0.99, "accuracy": 0.99}, math.NaN())
	if err := w.AWS.S3().PutObject(world.DevBucket, key, forged); err != nil {
		t.Fatal(err)
	}
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	res := run(t, env(w), n)
	if g := gates(t, res, "fraud-detector/staging"); g[plan.GateCompliance] != plan.StatusFail {
		t.Fatalf("compliance %s; findings:\n%s", g[plan.GateCompliance], findingsText(res.Plan))
	}
	expectFinding(t, res, plan.GateCompliance, plan.SeverityError, "does not match its recorded digest")
	// The forged 0.99 must not reach the evaluation as the candidate's AUC.
	for _, row := range res.Plan.Promotions[0].Details.Evaluation {
		if row.Path == "binary_classification_metrics.auc" && row.New.Set && row.New.Float > 0.9 {
			t.Errorf("forged metric used: %+v", row)
		}
	}
}

func TestExpiredReportFailsCompliance(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	e := env(w)
	e.Now = func() time.Time { return time.Now().Add(100 * 24 * time.Hour) } // staging allows 90 days
	res := run(t, e, n)
	expectFinding(t, res, plan.GateCompliance, plan.SeverityError, "days old; the policy allows 90")
	if res.Verdict != plan.StatusFail {
		t.Errorf("verdict %s", res.Verdict)
	}
}

// prodWorld puts a weaker version 14 live in staging, ready for prod.
func prodWorld(t *testing.T) *world.World {
	t.Helper()
	w := stage(t, world.Options{})
	// v11 (live in prod) has auc 0.855 and recall 0.765; v14 regresses AUC
	// by 0.015, beyond prod's maxRegression of 0.01.
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", StdDev: math.NaN(),
		Metrics: map[string]float64{"auc": 0.84, "f1": 0.78, "precision": 0.8, "recall": 0.76, "accuracy": 0.82}})
	if err != nil || v != 14 {
		t.Fatalf("seeded %d: %v", v, err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 14, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	return w
}

func bumpProd(from, to string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "  prod:\n    version: "+from+"\n", "  prod:\n    version: "+to+"\n", 1)
	}
}

func afterSoak() time.Time { return time.Now().Add(25 * time.Hour) } // prod soaks 24h in staging

func TestThresholdRegressionAgainstLiveVersionFailsEvaluation(t *testing.T) {
	w := prodWorld(t)
	n := propose(t, w, "promote-prod-14", bumpProd("11", "14"))
	e := env(w)
	e.Now = afterSoak
	res := run(t, e, n)
	g := gates(t, res, "fraud-detector/prod")
	if g[plan.GateEvaluation] != plan.StatusFail || g[plan.GatePolicy] != plan.StatusPass || g[plan.GateGovernance] != plan.StatusPending {
		t.Fatalf("gates %v; findings:\n%s", g, findingsText(res.Plan))
	}
	expectFinding(t, res, plan.GateEvaluation, plan.SeverityError, "binary_classification_metrics.auc: regression 0.015 > allowed 0.01")
	if hasFinding(res.Plan, plan.GateEvaluation, plan.SeverityError, "recall") {
		t.Errorf("recall is within its bounds:\n%s", findingsText(res.Plan))
	}
	if d := res.Plan.Promotions[0].Details; d.Live == nil || d.Live.SourceVersion != 11 {
		t.Errorf("compared against %+v, want live v11", d.Live)
	}
}

func TestPromotionBeforeSoakTimeIsPending(t *testing.T) {
	w := prodWorld(t)
	n := propose(t, w, "promote-prod-14", bumpProd("11", "14"))
	res := run(t, env(w), n)
	expectFinding(t, res, plan.GatePolicy, plan.SeverityPending, "soaking: version 14 has been live in staging")
}

func TestProdPromotionOfVersionNeverLiveInStagingFails(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-prod-13", bumpProd("11", "13"))
	e := env(w)
	e.Now = afterSoak
	res := run(t, e, n)
	if g := gates(t, res, "fraud-detector/prod"); g[plan.GatePolicy] != plan.StatusFail {
		t.Fatalf("policy gate %s; findings:\n%s", g[plan.GatePolicy], findingsText(res.Plan))
	}
	expectFinding(t, res, plan.GatePolicy, plan.SeverityError, "version 13 is not live in staging: fraud-detector-staging serves version 12")
}

func TestApprovalOnAnEarlierCommitIsStale(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	if res := run(t, env(w), n); res.Verdict != plan.StatusPass {
		t.Fatalf("approved: verdict %s\n%s", res.Verdict, findingsText(res.Plan))
	}
	cur, _ := w.GitHub.File(world.Repo, "promote-13", "promotions/fraud-detector.yaml")
	if _, err := w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Message: "tweak", Author: world.Alice,
		Files: map[string]string{"promotions/fraud-detector.yaml": cur + "# reviewed\n"}}); err != nil {
		t.Fatal(err)
	}
	res := run(t, env(w), n)
	if res.Verdict != plan.StatusPending {
		t.Fatalf("after a new commit: verdict %s, want pending", res.Verdict)
	}
	a := res.Plan.Promotions[0].Details.Approvals
	if a.Counted != 0 || len(a.Reviews) != 1 || !strings.Contains(a.Reviews[0].Reason, "stale") {
		t.Errorf("approvals %+v", a)
	}
}

func TestSelfApprovalNeverCounts(t *testing.T) {
	w := stage(t, world.Options{})
	// Bob is an approver, but he pushes a commit to the branch: he is then
	// an author of the change and his approval cannot count.
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	cur, _ := w.GitHub.File(world.Repo, "promote-13", "promotions/fraud-detector.yaml")
	if _, err := w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Message: "fix", Author: world.Bob,
		Files: map[string]string{"promotions/fraud-detector.yaml": cur + "# bob\n"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "mine, but fine"); err != nil {
		t.Fatal(err)
	}
	// Alice also tries; GitHub may refuse an author's approval outright.
	_, _ = w.GitHub.Review(world.Repo, n, world.Alice, "APPROVE", "self")
	res := run(t, env(w), n)
	if res.Verdict != plan.StatusPending {
		t.Fatalf("verdict %s, want pending", res.Verdict)
	}
	for _, r := range res.Plan.Promotions[0].Details.Approvals.Reviews {
		if r.Counted {
			t.Errorf("%s counted: %+v", r.Login, r)
		}
	}
}

func TestPullRequestEditingThePolicyNeedsTheOwners(t *testing.T) {
	w := stage(t, world.Options{})
	cfg, _ := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	if err := w.GitHub.CreateBranch(world.Repo, "loosen", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "loosen", ghemu.Change{Message: "Allow older reports", Author: world.Alice,
		Files: map[string]string{"promotions/modelpromote.yaml": strings.Replace(cfg, "maxReportAgeDays: 90", "maxReportAgeDays: 120", 1)}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Loosen", Head: "loosen", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, env(w), n)
	if !res.Plan.ConfigChanged || res.Verdict != plan.StatusPending {
		t.Fatalf("verdict %s changed=%v", res.Verdict, res.Plan.ConfigChanged)
	}
	expectFinding(t, res, plan.GateGovernance, plan.SeverityPending, "needs 1 approval(s)")
	// An approval from a non-owner does not help; the owner's does.
	_, _ = w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok")
	if res := run(t, env(w), n); res.Verdict != plan.StatusPending {
		t.Fatalf("after bob: %s", res.Verdict)
	}
	_, _ = w.GitHub.Review(world.Repo, n, world.Pat, "APPROVE", "platform ok")
	res = run(t, env(w), n)
	if res.Verdict != plan.StatusPass || res.Plan.OwnerApprovals == nil || res.Plan.OwnerApprovals.Counted != 1 {
		t.Fatalf("after pat: %s %+v\n%s", res.Verdict, res.Plan.OwnerApprovals, findingsText(res.Plan))
	}
}

func TestAWSThrottlingDuringTheCheckIsRetried(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	_, _ = w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok")
	w.AWS.ResetRequests()
	defer w.AWS.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeModelPackage", Throttle: 2})()
	defer w.AWS.InjectFault(awsemu.Fault{Service: "s3", Operation: "GetObject", ServerError: 2})()
	res := run(t, env(w), n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("verdict %s\n%s", res.Verdict, findingsText(res.Plan))
	}
	faults := 0
	for _, r := range w.AWS.Requests() {
		if r.Fault != "" {
			faults++
		}
	}
	if faults != 4 {
		t.Errorf("%d faulted requests, want 4 (each retried)", faults)
	}
}

func TestNaNStandardDeviationsMakeNoiseUnknownNotAnError(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	res := run(t, env(w), n)
	rows := res.Plan.Promotions[0].Details.Evaluation
	if len(rows) == 0 {
		t.Fatal("no evaluation rows")
	}
	for _, r := range rows {
		if r.Noise != evidence.NoiseUnknown {
			t.Errorf("%s noise %v, want unknown for NaN standard deviations", r.Path, r.Noise)
		}
	}
	if hasFinding(res.Plan, plan.GateCompliance, plan.SeverityError, "") || hasFinding(res.Plan, plan.GateEvaluation, plan.SeverityError, "") {
		t.Errorf("NaN produced errors:\n%s", findingsText(res.Plan))
	}

	// With real standard deviations, a change beyond 1σ is significant.
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", StdDev: 0.001,
		Metrics: map[string]float64{"auc": 0.90, "f1": 0.82, "precision": 0.85, "recall": 0.8, "accuracy": 0.87}})
	if err != nil || v != 14 {
		t.Fatal(v, err)
	}
	n = propose(t, w, "promote-14", bumpStaging("12", "14"))
	res = run(t, env(w), n)
	for _, r := range res.Plan.Promotions[0].Details.Evaluation {
		if r.Path == "binary_classification_metrics.auc" && r.Noise == evidence.WithinNoise {
			t.Errorf("live is NaN, so noise must stay unknown: %+v", r)
		}
	}
}

func TestFiftyMebibyteReportIsRefusedClearly(t *testing.T) {
	w := stage(t, world.Options{})
	stats := w.Models["fraud-detector"][13].Package.ModelMetrics.ModelQuality.Statistics.S3Uri
	key := strings.TrimPrefix(stats, "s3://"+world.DevBucket+"/")
	if err := w.AWS.S3().PutSyntheticObject(world.DevBucket, key, 7, 50<<20); err != nil {
		t.Fatal(err)
	}
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	res := run(t, env(w), n)
	expectFinding(t, res, plan.GateCompliance, plan.SeverityError, "is too large to be a report")
	if res.Verdict != plan.StatusFail {
		t.Errorf("verdict %s", res.Verdict)
	}
}

func TestMarkupInjectionInAManifestRendersAsText(t *testing.T) {
	w := stage(t, world.Options{})
	// A hostile comment can't reach the report, but a hostile endpoint
	// name is refused by validation with its position; the message quotes
	// it, and the comment must show it as text.
	n := propose(t, w, "inject", func(s string) string {
		return strings.Replace(s, "name: fraud-detector-staging", `name: "</details><img src=x onerror=alert(1)>"`, 1)
	})
	run(t, env(w), n)
	cs := reportComments(w, n)
	if len(cs) != 1 {
		t.Fatalf("%d comments", len(cs))
	}
	if strings.Contains(cs[0].Body, "<img") || strings.Contains(cs[0].Body, "</details><img") {
		t.Errorf("markup reached the comment:\n%s", cs[0].Body)
	}
	if !strings.Contains(cs[0].Body, "&lt;img") {
		t.Errorf("the hostile name is not shown escaped:\n%s", cs[0].Body)
	}
}

// A pull_request workflow runs the branch's own workflow file, so the
// check must reach target accounts only through their read-only roles,
// never the deploy roles apply uses.
func TestTheCheckReadsTargetsOnlyThroughTheirReadRoles(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", bumpStaging("12", "13"))
	w.AWS.ResetRequests()
	run(t, env(w), n)
	reads := 0
	for _, r := range w.AWS.Requests() {
		if r.Account != world.StagingAccount && r.Account != world.ProdAccount {
			continue
		}
		if strings.Contains(r.Caller, "modelpromote-deploy") {
			t.Errorf("%s %s by the deploy role %s", r.Service, r.Operation, r.Caller)
		}
		if strings.Contains(r.Caller, "assumed-role/modelpromote-inspect/") {
			reads++
		}
	}
	if reads == 0 {
		t.Error("the check read no target account through its read role")
	}
}

// A problem in the pull request's manifest is annotated on its line in the
// head commit, on the check run branch protection requires.
func TestManifestProblemIsAnnotatedOnItsLine(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "bad-count", func(s string) string {
		return strings.Replace(bumpStaging("12", "13")(s), "instanceCount: 1", "instanceCount: 0", 1)
	})
	res := run(t, env(w), n)
	if res.Verdict != plan.StatusFail {
		t.Fatalf("verdict %s", res.Verdict)
	}
	head, _ := w.GitHub.File(world.Repo, "bad-count", "promotions/fraud-detector.yaml")
	line := 0
	for i, l := range strings.Split(head, "\n") {
		if strings.Contains(l, "instanceCount: 0") {
			line = i + 1
		}
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	cr := lastCheckRun(t, w, pr.HeadSHA)
	for _, a := range cr.Annotations {
		if a.Path == "promotions/fraud-detector.yaml" && a.StartLine == line && strings.Contains(a.Message, "instanceCount must be between 1 and 1000") {
			return
		}
	}
	t.Errorf("no annotation on promotions/fraud-detector.yaml:%d among %+v", line, cr.Annotations)
}
