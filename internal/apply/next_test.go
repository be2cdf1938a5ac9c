package apply_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/world"
)

func proposeEnv(w *world.World, now func() time.Time) propose.Env {
	return propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), Now: now}
}

// The example policy sets autoPropose and a 24h soak for prod: a staging
// success leaves prod's proposal due a day later, and the reconcile call
// (propose.Due) opens it then, not before.
func TestStagingSuccessProposesProdOnceSoaked(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	e := applyEnv(w)
	start := time.Now()
	e.Now = func() time.Time { return start }
	res := runApply(t, e, n)
	if res.Failed() {
		t.Fatalf("%v %+v", res.Refused, res.Outcomes)
	}
	if len(res.FollowUps) != 1 || res.FollowUps[0].Stage != "prod" || res.FollowUps[0].Number != 0 || !strings.Contains(res.FollowUps[0].Note, "soaked") {
		t.Fatalf("follow-ups %+v", res.FollowUps)
	}
	const branch = "modelpromote/fraud-detector/prod-v13"
	if _, ok := w.GitHub.Branch(world.Repo, branch); ok {
		t.Fatal("prod was proposed before the soak")
	}
	comments := w.GitHub.Comments(world.Repo, n)
	if last := comments[len(comments)-1].Body; !strings.Contains(last, "Follow-up pull requests") || !strings.Contains(last, "propose --due") {
		t.Errorf("the comment does not say when prod is due:\n%s", last)
	}

	early := fraudDue(t, w, start.Add(23*time.Hour))
	if early.State != propose.NextSoaking || early.Version != 13 || !early.DueAt.After(start.Add(23*time.Hour)) {
		t.Fatalf("after 23h: %+v", early)
	}
	due := fraudDue(t, w, start.Add(25*time.Hour))
	if due.State != propose.NextProposed || due.Result.Action != propose.ActionOpened {
		t.Fatalf("after 25h: %+v", due)
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, due.Result.Number)
	p, ok := propose.ParseBlock(pr.Body)
	if pr.HeadRef != branch || !ok || p.Kind != propose.KindNext || p.Version != 13 || p.FromVersion != 11 || p.After != "staging" {
		t.Errorf("pull request %+v, block %+v", pr, p)
	}
	// The reconcile loop calls Due again and again: still one pull request.
	again := fraudDue(t, w, start.Add(26*time.Hour))
	if again.Result == nil || again.Result.Number != pr.Number || again.Result.Action != propose.ActionUnchanged {
		t.Fatalf("again: %+v", again)
	}
}

// fraudDue runs propose.Due at now and returns fraud-detector's entry (the
// example's other models are not live anywhere).
func fraudDue(t *testing.T, w *world.World, now time.Time) propose.Next {
	t.Helper()
	all, err := propose.Due(t.Context(), proposeEnv(w, func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		if n.Model == "fraud-detector" {
			return n
		}
		if n.State != propose.NextNotLive {
			t.Errorf("%s/%s: %s", n.Model, n.Stage, n.State)
		}
	}
	t.Fatalf("no fraud-detector candidate in %+v", all)
	return propose.Next{}
}

func TestStagingSuccessAfterTheSoakProposesProdAtOnce(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	res := runApply(t, applyEnv(w), n) // its clock is past the soak
	if res.Failed() || len(res.FollowUps) != 1 || res.FollowUps[0].Number == 0 {
		t.Fatalf("outcomes %+v follow-ups %+v", res.Outcomes, res.FollowUps)
	}
	f := res.FollowUps[0]
	comments := w.GitHub.Comments(world.Repo, n)
	if last := comments[len(comments)-1].Body; !strings.Contains(last, fmt.Sprintf("[#%d](%s)", f.Number, f.URL)) {
		t.Errorf("the comment does not link #%d:\n%s", f.Number, last)
	}
	head, _ := w.GitHub.File(world.Repo, "modelpromote/fraud-detector/prod-v13", "promotions/fraud-detector.yaml")
	if !strings.Contains(head, "  prod:\n    version: 13\n") || !strings.Contains(head, "  staging:\n    version: 13\n") {
		t.Errorf("proposed file:\n%s", head)
	}
}

func TestFailedRolloutOpensARevertPullRequest(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, prodChange)
	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	res := runApply(t, applyEnv(w), n)
	if !res.Failed() || !res.Outcomes[0].Record.Endpoint.RolledBack {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	if len(res.FollowUps) != 1 || res.FollowUps[0].Kind != propose.KindRevert || res.FollowUps[0].Version != 11 || res.FollowUps[0].Number == 0 {
		t.Fatalf("follow-ups %+v", res.FollowUps)
	}
	f := res.FollowUps[0]
	pr, _ := w.GitHub.PullRequest(world.Repo, f.Number)
	p, ok := propose.ParseBlock(pr.Body)
	if pr.HeadRef != "modelpromote/fraud-detector/prod-v11" || !ok || p.Kind != propose.KindRevert || p.FailedVersion != 12 || p.FailedPR != n || p.FromVersion != 12 {
		t.Errorf("revert pull request %+v, block %+v", pr, p)
	}
	head, _ := w.GitHub.File(world.Repo, pr.HeadRef, "promotions/fraud-detector.yaml")
	base, _ := w.GitHub.File(world.Repo, "main", "promotions/fraud-detector.yaml")
	if head != strings.Replace(base, "  prod:\n    version: 12\n", "  prod:\n    version: 11\n", 1) || head == base {
		t.Errorf("revert file:\n%s", head)
	}
	comments := w.GitHub.Comments(world.Repo, n)
	last := comments[len(comments)-1].Body
	if !strings.HasPrefix(last, apply.ApplyMarker(res.Merge.MergeSHA)) || !strings.Contains(last, "rolled back") ||
		!strings.Contains(last, fmt.Sprintf("[#%d](%s)", f.Number, f.URL)) {
		t.Errorf("the failure comment does not link the revert:\n%s", last)
	}
	// Asking again (an apply rerun, the server) finds the same pull request.
	again, err := propose.Revert(t.Context(), proposeEnv(w, nil), "fraud-detector", "prod", 12, n)
	if err != nil || again.Number != f.Number || again.Action != propose.ActionUnchanged {
		t.Errorf("revert again: %+v %v", again, err)
	}
}
