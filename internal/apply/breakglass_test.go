package apply_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// label sets the break-glass label on pull request n as login would, through
// GitHub's API: POST /repos/{o}/{r}/issues/{n}/labels with {"labels": […]},
// the form GitHub's OpenAPI description documents (go-github v60's
// AddLabelsToIssue sends a bare array, which it describes only in prose).
func label(t *testing.T, w *world.World, n int, login string) error {
	t.Helper()
	c := w.UserClient(login)
	req, err := c.NewRequest("POST", fmt.Sprintf("repos/%s/issues/%d/labels", world.Repo, n), map[string]any{"labels": []string{manifest.BreakGlassLabel}})
	if err != nil {
		return err
	}
	_, err = c.Do(t.Context(), req, nil)
	return err
}

func checkNow(t *testing.T, w *world.World, n int) *check.Result {
	t.Helper()
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: time.Now}, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// An incident: 13 went live in staging minutes ago, prod's soak is 24h.
// The platform engineer labels the prod promotion break-glass; with the
// stage's two approvals and an SRE's, it passes and deploys, and says so
// at the top of the comment, in the evidence record and the deployment.
func TestBreakGlassDuringASoak(t *testing.T) {
	w := newWorld(t, world.Options{})
	e := applyEnv(w)
	e.Now = time.Now
	if res := runApply(t, e, mergedPR(t, w, stagingChange)); res.Failed() {
		t.Fatalf("staging: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	n := openPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 11\n", to: "  prod:\n    version: 13\n"})
	for _, a := range []string{world.Gina, world.Bob} {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "ok"); err != nil {
			t.Fatal(err)
		}
	}
	if res := checkNow(t, w, n); res.Verdict != plan.StatusPending || !strings.Contains(findings(res.Plan, plan.SeverityPending), "soaking") {
		t.Fatalf("before break-glass: %s\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}

	// Someone who may only read cannot set the label: GitHub refuses.
	w.GitHub.CreateUser("rita")
	if err := w.GitHub.SetPermission(world.Repo, "rita", "read"); err != nil {
		t.Fatal(err)
	}
	if err := label(t, w, n, "rita"); err == nil {
		t.Fatal("a reader set a label")
	}

	if err := label(t, w, n, world.Pat); err != nil {
		t.Fatal(err)
	}
	res := checkNow(t, w, n)
	if res.Verdict != plan.StatusPending || !strings.Contains(findings(res.Plan, plan.SeverityPending), "break-glass needs 1 approval(s)") ||
		strings.Contains(findings(res.Plan, plan.SeverityPending), "soaking") {
		t.Fatalf("labelled: %s\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	if _, err := w.GitHub.Review(world.Repo, n, world.Sam, "APPROVE", "incident 4711"); err != nil {
		t.Fatal(err)
	}
	res = checkNow(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("with the SRE: %s\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	bg := res.Plan.Promotions[0].Details.BreakGlass
	if bg == nil || bg.By != world.Pat || bg.Approvals == nil || bg.Approvals.Counted != 1 {
		t.Fatalf("break-glass %+v", bg)
	}
	comments := w.GitHub.Comments(world.Repo, n)
	if body := comments[len(comments)-1].Body; !strings.HasPrefix(body, report.CommentMarker+"\n> [!CAUTION]\n> **Break-glass.**") {
		t.Errorf("the comment does not open with break-glass:\n%s", body)
	}

	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	out := runApply(t, e, n)
	if out.Failed() || out.Outcomes[0].State != apply.StateSuccess {
		t.Fatalf("refused %v outcomes %+v", out.Refused, out.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 13 {
		t.Fatalf("prod serves %+v", s)
	}
	rec := record(t, w, out.Outcomes[0].RecordURI)
	if rec.BreakGlass == nil || rec.BreakGlass.By != world.Pat || len(rec.BreakGlass.Waived) == 0 || rec.Rollback != nil {
		t.Errorf("record break-glass %+v", rec.BreakGlass)
	}
	d, ok := deploymentOf(w, "prod/fraud-detector", out.Merge.MergeSHA)
	if p, _ := d.Payload.(map[string]any); !ok || p["breakGlass"] == nil || !strings.HasPrefix(d.Description, "break-glass: ") {
		t.Errorf("deployment %+v", d)
	}
}

// A deploy refused in a freeze goes ahead with break-glass.
func TestFreezeRefusesAndBreakGlassAllows(t *testing.T) {
	w := newWorld(t, world.Options{})
	freezeProd(t, w)
	n := openPR(t, w, prodChange)
	for _, a := range prodChange.approvers {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "ok"); err != nil {
			t.Fatal(err)
		}
	}
	if res := checkPR(t, w, n); res.Verdict != plan.StatusPending || !strings.Contains(findings(res.Plan, plan.SeverityPending), "frozen until") {
		t.Fatalf("in the freeze: %s\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	if err := label(t, w, n, world.Pat); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Review(world.Repo, n, world.Sam, "APPROVE", "incident"); err != nil {
		t.Fatal(err)
	}
	res := checkPR(t, w, n)
	if fz := res.Plan.Promotions[0].Details.Freeze; res.Verdict != plan.StatusPass || fz == nil || fz.Passes != "break-glass" {
		t.Fatalf("break-glass in the freeze: %s %+v\n%s", res.Verdict, fz, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	if out := runApply(t, applyEnv(w), n); out.Failed() {
		t.Fatalf("refused %v outcomes %+v", out.Refused, out.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 12 {
		t.Fatalf("prod serves %+v", s)
	}
}
