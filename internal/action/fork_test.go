package action_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/world"
)

// A pull request from a fork: its pull_request runs get a read-only token,
// so the check reports to the job summary only; nothing from it is applied,
// whether the merge arrives as pull_request closed or as a push.
func TestForkPullRequestIsCheckedButNeverApplied(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, true)
	readOnly, err := w.GitHub.ActionsToken(world.Repo, true)
	if err != nil {
		t.Fatal(err)
	}

	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened"),
		inputs: map[string]string{"github-token": readOnly}}).must(t)
	if !r.res.Job.ReadOnly || r.res.Job.Command != action.CommandCheck {
		t.Fatalf("job %+v, want a read-only check", r.res.Job)
	}
	if r.outputs[action.OutputVerdict] == "" || r.outputs[action.OutputCommentURL] != "" {
		t.Errorf("outputs %v", r.outputs)
	}
	if !strings.Contains(r.summary, "comes from a fork") || !strings.Contains(r.summary, "fraud-detector") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if cs := w.GitHub.Comments(world.Repo, n); len(cs) != 0 {
		t.Errorf("%d comments written with a read-only token", len(cs))
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA); len(runs) != 0 {
		t.Errorf("check runs written with a read-only token: %+v", runs)
	}

	// Approved and merged anyway (say, by an admin): never applied.
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	pending := w.GitHub.Pending()
	closed := event(t, w, "pull_request", "closed")
	var push []byte
	for _, d := range pending {
		if d.Event == "push" {
			push = d.Payload
		}
	}
	for _, cmd := range []string{"auto", "apply"} {
		r = run(t, w, step{event: "pull_request", payload: closed, inputs: map[string]string{"github-token": readOnly, "command": cmd}}).must(t)
		if r.res.Job.Command != action.CommandRefuse || !r.res.Failed || r.outputs[action.OutputVerdict] != action.VerdictRefused {
			t.Errorf("command %s on closed: job %+v failed=%v outputs %v", cmd, r.res.Job, r.res.Failed, r.outputs)
		}
		if !strings.Contains(r.stdout, "::error::modelpromote: apply refused: #") || !strings.Contains(r.summary, "fork") {
			t.Errorf("refusal not reported:\n%s\n%s", r.stdout, r.summary)
		}
	}
	// The push to main runs with the base repository's token and secrets;
	// apply itself refuses the fork's pull request.
	r = run(t, w, step{event: "push", payload: push}).must(t)
	if !r.res.Failed || r.outputs[action.OutputVerdict] != action.VerdictRefused || !strings.Contains(r.summary, "fork") {
		t.Errorf("push: failed=%v outputs %v\n%s", r.res.Failed, r.outputs, r.summary)
	}
	if s := serving(t, w, world.StagingAccount, "fraud-detector-staging"); s == nil || s.SourceVersion != 12 {
		t.Errorf("staging serves %+v, want 12 untouched", s)
	}
	if ds := w.GitHub.Deployments(world.Repo); len(ds) != 0 {
		t.Errorf("deployments %+v", ds)
	}
}

// An open pull request's events never reach apply, whatever the inputs say.
func TestApplyIsNeverAttemptedFromAnOpenPullRequest(t *testing.T) {
	w := newWorld(t)
	promote(t, w, false)
	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened"),
		inputs: map[string]string{"command": "apply"}}).must(t)
	if r.res.Job.Command != action.CommandRefuse || !r.res.Failed {
		t.Fatalf("job %+v", r.res.Job)
	}
	if n := w.AWS.Count("sts", "AssumeRole"); n != 0 {
		t.Errorf("%d AssumeRole calls: apply was attempted", n)
	}
}

// A token that cannot write (a workflow without the permissions) still gets
// the check to the job summary, with a warning saying what is missing.
func TestReadOnlyTokenFallsBackToTheSummary(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	readOnly, err := w.GitHub.ActionsToken(world.Repo, true)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened"),
		inputs: map[string]string{"github-token": readOnly}}).must(t)
	if r.outputs[action.OutputVerdict] != "pending" || !strings.Contains(r.summary, "fraud-detector") {
		t.Errorf("outputs %v\nsummary:\n%s", r.outputs, r.summary)
	}
	if !strings.Contains(r.stdout, "::warning::modelpromote: the token cannot write the report to #") ||
		!strings.Contains(r.stdout, "pull-requests: write and checks: write") {
		t.Errorf("no warning:\n%s", r.stdout)
	}
	if len(w.GitHub.Comments(world.Repo, n)) != 0 {
		t.Error("a read-only token commented")
	}
}

// The Re-run button of a fork's check run sends check_run rerequested
// naming no pull request (GitHub lists only the repository's own
// branches); the Action checks the open pull request with that head, as
// the App does.
func TestRerequestedCheckRunOfAForkChecksItsPullRequest(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, true)
	// pull_request_target runs get the base repository's token: the check
	// run is written.
	run(t, w, step{event: "pull_request_target", payload: event(t, w, "pull_request", "opened")}).must(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if len(runs) != 1 {
		t.Fatalf("%d check runs on the head, want 1", len(runs))
	}
	if err := w.GitHub.RerequestCheckRun(world.Repo, runs[0].ID, world.Bob); err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "check_run", payload: event(t, w, "check_run", "rerequested")}).must(t)
	if r.res.Job.Command != action.CommandCheck || r.res.Job.PR != n || r.res.Job.SHA != pr.HeadSHA {
		t.Fatalf("job %+v, want a check of #%d", r.res.Job, n)
	}
	if runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA); len(runs) != 2 {
		t.Errorf("%d check runs on the head after the re-run, want 2", len(runs))
	}
}
