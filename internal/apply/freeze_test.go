package apply_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// freezeProd puts a freeze of prod around the scenarios' clock (afterSoak)
// into the configuration on main, as the platform team would.
func freezeProd(t *testing.T, w *world.World) time.Time {
	t.Helper()
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	cur, _ := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	frozen := strings.Replace(cur, "policy:\n", fmt.Sprintf("policy:\n  freezes:\n    - stages: [prod]\n      from: %s\n      to: %s\n      reason: year-end change freeze\n",
		time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), until.Format(time.RFC3339)), 1)
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "freeze prod", Author: world.Pat, Files: map[string]string{"promotions/modelpromote.yaml": frozen}}); err != nil {
		t.Fatal(err)
	}
	return until
}

// In a freeze the check holds prod ("frozen until …") and apply refuses a
// merge anyway made, changing nothing; staging is not frozen.
func TestFreezeHoldsTheCheckAndApplyRefusesChangingNothing(t *testing.T) {
	w := newWorld(t, world.Options{})
	until := freezeProd(t, w)
	n := openPR(t, w, prodChange)
	for _, a := range prodChange.approvers {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "ok"); err != nil {
			t.Fatal(err)
		}
	}
	res := checkPR(t, w, n)
	want := "frozen until " + until.Format("2006-01-02 15:04 UTC")
	if res.Verdict != plan.StatusPending || !strings.Contains(findings(res.Plan, plan.SeverityPending), want) {
		t.Fatalf("verdict %s, want pending with %q:\n%s", res.Verdict, want, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
	if fz := res.Plan.Promotions[0].Details.Freeze; fz == nil || !fz.Until.Equal(until) || fz.Passes != "" || fz.Reasons[0] != "year-end change freeze" {
		t.Fatalf("freeze %+v", fz)
	}
	// An administrator merges anyway: apply re-judges at the merge.
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	out := runApply(t, applyEnv(w), n)
	if len(out.Refused) == 0 || !strings.Contains(strings.Join(out.Refused, "\n"), want) || len(out.Outcomes) != 0 {
		t.Fatalf("refused %v outcomes %+v", out.Refused, out.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 {
		t.Fatalf("prod serves %+v", s)
	}
	if got := deploymentStates(w)["prod/fraud-detector"]; len(got) != 0 {
		t.Errorf("deployments %v", got)
	}

	// Staging is not frozen.
	st := openPR(t, w, stagingChange)
	if _, err := w.GitHub.Review(world.Repo, st, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	if res := checkPR(t, w, st); res.Verdict != plan.StatusPass {
		t.Fatalf("staging in a prod freeze: %s\n%s", res.Verdict, findings(res.Plan, plan.SeverityError, plan.SeverityPending))
	}
}

// A rollback goes through a freeze, and says so.
func TestRollbackGoesThroughAFreeze(t *testing.T) {
	w := ranBefore(t, newWorld(t, world.Options{}))
	// prod 11 → 12, then the freeze, then back to 11.
	if res := runApply(t, applyEnv(w), mergedPR(t, w, prodChange)); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	freezeProd(t, w)
	n, res := passingPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 12\n", to: "  prod:\n    version: 11\n", approvers: []string{world.Gina}})
	if fz := res.Plan.Promotions[0].Details.Freeze; fz == nil || fz.Passes != "rollback" {
		t.Fatalf("freeze %+v", fz)
	}
	if !strings.Contains(findings(res.Plan, plan.SeverityNotice), "this rollback goes ahead") {
		t.Errorf("notices:\n%s", findings(res.Plan, plan.SeverityNotice))
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	if out := runApply(t, applyEnv(w), n); out.Failed() {
		t.Fatalf("refused %v outcomes %+v", out.Refused, out.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 {
		t.Fatalf("prod serves %+v", s)
	}
}

// A merge a freeze holds at apply is announced as blockedByFreeze, with
// when the freeze ends; nothing else is.
func TestApplyHeldByAFreezeNotifiesBlockedByFreeze(t *testing.T) {
	w := newWorld(t, world.Options{})
	withNotifications(t, w)
	until := freezeProd(t, w)
	teams, hook := newInbox(t), newInbox(t)
	env := map[string]string{"TEAMS_URL": teams.URL, "HOOK_URL": hook.URL, "HOOK_KEY": "k3y"}
	e := applyEnv(w)
	e.Notifier = &notify.Notifier{Getenv: func(k string) string { return env[k] }, Backoff: time.Millisecond}
	n := openPR(t, w, prodChange)
	for _, a := range prodChange.approvers {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "ok"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	if out := runApply(t, e, n); len(out.Refused) == 0 {
		t.Fatalf("applied in a freeze: %+v", out.Outcomes)
	}
	tb, _ := teams.got()
	if len(tb) != 1 || !strings.Contains(tb[0], "fraud-detector v12 to prod is blocked by a change freeze") {
		t.Errorf("teams got %v", tb)
	}
	hb, _ := hook.got()
	if len(hb) != 1 || !strings.Contains(hb[0], "frozen until "+until.Format(time.RFC3339)+": year-end change freeze") {
		t.Errorf("webhook got %v", hb)
	}
}
