package action_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/world"
)

func TestPullRequestOpenedChecksAndReports(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)

	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened")}).must(t)
	if r.res.Job.Command != action.CommandCheck || r.res.Job.PR != n || r.res.Failed {
		t.Fatalf("job %+v failed=%v", r.res.Job, r.res.Failed)
	}
	if got := r.outputs[action.OutputVerdict]; got != "pending" {
		t.Errorf("verdict output %q, want pending (approvals missing)", got)
	}
	if r.outputs[action.OutputCommand] != "check" || r.outputs[action.OutputPullRequest] != strconv.Itoa(n) {
		t.Errorf("outputs %v", r.outputs)
	}
	ps := promotions(t, r)
	if len(ps) != 1 || ps[0].Model != "fraud-detector" || ps[0].Stage != "staging" || ps[0].FromVersion != 12 || ps[0].ToVersion != 13 ||
		ps[0].Endpoint != "fraud-detector-staging" || ps[0].Account != world.StagingAccount || ps[0].Status != "pending" {
		t.Errorf("promotions output %+v", ps)
	}
	if c := reportComments(w, n); c != 1 {
		t.Errorf("%d report comments, want 1", c)
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if len(runs) != 1 || runs[0].Name != "modelpromote" || runs[0].Conclusion != "action_required" {
		t.Errorf("check runs %+v", runs)
	}
	if u := r.outputs[action.OutputCommentURL]; u == "" || !strings.Contains(u, "/pull/"+strconv.Itoa(n)) {
		t.Errorf("comment-url %q", u)
	}
	if r.outputs[action.OutputCheckRunURL] == "" {
		t.Error("no check-run-url output")
	}
	if !strings.Contains(r.summary, "fraud-detector") || !strings.Contains(r.summary, "staging") {
		t.Errorf("summary lacks the promotion:\n%s", r.summary)
	}
	// The pending approval is a finding on the manifest line: an annotation.
	if !strings.Contains(r.stdout, "file=promotions/fraud-detector.yaml,line=10,title=fraud-detector/staging · governance%3A pending::") {
		t.Errorf("no annotation on the manifest in stdout:\n%s", r.stdout)
	}
}

func TestReviewRechecksAndPasses(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened")}).must(t)

	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request_review", payload: event(t, w, "pull_request_review", "submitted")}).must(t)
	if r.res.Job.Command != action.CommandCheck || r.outputs[action.OutputVerdict] != "pass" || r.res.Failed {
		t.Fatalf("job %+v verdict %q\n%s", r.res.Job, r.outputs[action.OutputVerdict], r.summary)
	}
	if c := reportComments(w, n); c != 1 {
		t.Errorf("%d report comments after the re-check, want the same one edited", c)
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if last := runs[len(runs)-1]; last.Conclusion != "success" {
		t.Errorf("check run conclusion %s, want success", last.Conclusion)
	}
	if !strings.Contains(r.summary, "bob") {
		t.Errorf("summary lacks the approver:\n%s", r.summary)
	}
}

// The Actions GITHUB_TOKEN cannot read team membership, and the example
// policy names teams: the gate stays shut and says an App token is needed.
func TestActionsTokenCannotPassTeamRules(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	tok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request_review", payload: event(t, w, "pull_request_review", "submitted"),
		inputs: map[string]string{"github-token": tok}}).must(t)
	if v := r.outputs[action.OutputVerdict]; v == "pass" {
		t.Fatalf("verdict pass with a token that cannot read teams")
	}
	if !strings.Contains(r.summary, "GitHub App") {
		t.Errorf("summary does not say a GitHub App token is needed:\n%s", r.summary)
	}
	if c := reportComments(w, n); c != 1 {
		t.Errorf("%d report comments, want 1 (the Actions token can write)", c)
	}
}

// approvedPR opens the promotion, has bob approve it and the action check
// it (passing), then merges it as pat.
func approvedPR(t *testing.T, w *world.World) int {
	t.Helper()
	n := promote(t, w, false)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request_review", payload: event(t, w, "pull_request_review", "submitted")}).must(t)
	if r.outputs[action.OutputVerdict] != "pass" {
		t.Fatalf("check verdict %q:\n%s", r.outputs[action.OutputVerdict], r.summary)
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

func assertDeployed(t *testing.T, w *world.World, r ran, n int) {
	t.Helper()
	if r.res.Job.Command != action.CommandApply || r.res.Job.PR != n || r.res.Failed {
		t.Fatalf("job %+v failed=%v\n%s", r.res.Job, r.res.Failed, r.summary)
	}
	if v := r.outputs[action.OutputVerdict]; v != action.VerdictSuccess {
		t.Errorf("verdict %q, want success", v)
	}
	eps := deployed(t, r)
	if len(eps) != 1 || eps[0].Endpoint != "fraud-detector-staging" || eps[0].State != "success" || eps[0].Version != 13 ||
		eps[0].Account != world.StagingAccount || !strings.HasPrefix(eps[0].Record, "s3://") {
		t.Errorf("endpoints output %+v", eps)
	}
	s := serving(t, w, world.StagingAccount, "fraud-detector-staging")
	if s == nil || s.SourceVersion != 13 || s.EndpointStatus != "InService" {
		t.Errorf("staging serves %+v, want version 13", s)
	}
	if !strings.Contains(r.summary, "apply of #"+strconv.Itoa(n)+": success") || !strings.Contains(r.summary, "fraud-detector-staging") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if r.outputs[action.OutputCommentURL] == "" {
		t.Error("no comment-url output")
	}
}

func TestMergedPullRequestDeploys(t *testing.T) {
	w := newWorld(t)
	n := approvedPR(t, w)
	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "closed")}).must(t)
	assertDeployed(t, w, r, n)

	// Applied again by hand (workflow_dispatch): the work is done once.
	r = run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(fmt.Sprintf(`{"command": "apply", "pull-request": "%d"}`, n))}).must(t)
	if eps := deployed(t, r); r.res.Job.Command != action.CommandApply || len(eps) != 1 || eps[0].State != "already-applied" || r.res.Failed {
		t.Errorf("dispatch apply: job %+v endpoints %+v", r.res.Job, eps)
	}
}

func TestPushToMainAppliesThePullRequestItMerged(t *testing.T) {
	w := newWorld(t)
	n := approvedPR(t, w)
	push := event(t, w, "push", "")
	r := run(t, w, step{event: "push", payload: push}).must(t)
	assertDeployed(t, w, r, n)

	// The same push again (a re-run of the workflow) does the work once.
	again := run(t, w, step{event: "push", payload: push}).must(t)
	if eps := deployed(t, again); len(eps) != 1 || eps[0].State != "already-applied" || again.res.Failed {
		t.Errorf("re-run: %+v failed=%v", eps, again.res.Failed)
	}
}

// TestDocumentedWorkflowsReportAsTheAppAndApply plays the example
// workflows: check.yml's step on the pull request's own events, with the
// Actions GITHUB_TOKEN and dry-run, only plans (no check run, no comment);
// check-app.yml's step, on workflow_run with the App's token, reports the
// `modelpromote` check run as the App; apply.yml's step, told the App's ID,
// deploys the merge. A check reported with the GITHUB_TOKEN (the old
// check.yml) is the github-actions App's and does not count: apply refuses
// and says so, the migration case of docs/action.md.
func TestDocumentedWorkflowsReportAsTheAppAndApply(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	actionsTok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	review := event(t, w, "pull_request_review", "submitted")

	// check.yml: plans only.
	r := run(t, w, step{event: "pull_request_review", payload: review,
		inputs: map[string]string{"github-token": actionsTok, "dry-run": "true"}}).must(t)
	if r.res.Job.Command != action.CommandPlan || len(w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)) != 0 || reportComments(w, n) != 0 {
		t.Fatalf("check.yml's step: job %+v, %d check runs, %d comments; want a plan that writes nothing",
			r.res.Job, len(w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)), reportComments(w, n))
	}
	// The old check.yml reported with the GITHUB_TOKEN: that run is
	// github-actions', whatever it says.
	run(t, w, step{event: "pull_request_review", payload: review, inputs: map[string]string{"github-token": actionsTok}}).must(t)
	runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if len(runs) != 1 || runs[0].AppSlug != "github-actions" {
		t.Fatalf("the GITHUB_TOKEN's check runs: %+v", runs)
	}

	// check-app.yml: the App reports.
	r = run(t, w, step{event: "workflow_run", payload: []byte(`{"action":"completed","workflow_run":{"event":"pull_request_review","conclusion":"success"}}`),
		inputs: map[string]string{"command": "check", "pull-request": strconv.Itoa(n)}}).must(t)
	if r.outputs[action.OutputVerdict] != "pass" {
		t.Fatalf("check-app.yml's step: verdict %q\n%s", r.outputs[action.OutputVerdict], r.summary)
	}
	runs = w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if last := runs[len(runs)-1]; last.AppID != w.GitHub.App().ID || last.Conclusion != "success" {
		t.Fatalf("check-app.yml's run: %+v", last)
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	push := event(t, w, "push", "")
	assertDeployed(t, w, run(t, w, step{event: "push", payload: push}).must(t), n)
}

// TestApplyWithoutTheAppsOwnCheckRunIsRefused: with only the GITHUB_TOKEN's
// check run on the head (the old example check.yml), apply refuses and
// names why; without the app-id input it cannot tell any run apart and
// refuses, saying what to set. Nothing is deployed.
func TestApplyWithoutTheAppsOwnCheckRunIsRefused(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	actionsTok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request_review", payload: event(t, w, "pull_request_review", "submitted"),
		inputs: map[string]string{"github-token": actionsTok}}).must(t)
	if r.outputs[action.OutputVerdict] == "pass" {
		t.Fatal("the GITHUB_TOKEN read the team rule")
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	push := event(t, w, "push", "")
	for _, c := range []struct {
		name   string
		inputs map[string]string
		reason string
	}{
		{"the GITHUB_TOKEN's run only", nil, "runs named modelpromote by github-actions do not count"},
		{"no app-id", map[string]string{"app-id": ""}, "ID is not configured"},
	} {
		r := run(t, w, step{event: "push", payload: push, inputs: c.inputs}).must(t)
		if !r.res.Failed || r.outputs[action.OutputVerdict] != "refused" || !strings.Contains(r.summary, c.reason) {
			t.Errorf("%s: failed=%v verdict %q, want refused saying %q:\n%s\n%s", c.name, r.res.Failed, r.outputs[action.OutputVerdict], c.reason, r.summary, r.stdout)
		}
	}
	if s := serving(t, w, world.StagingAccount, "fraud-detector-staging"); s == nil || s.SourceVersion != 12 {
		t.Errorf("staging serves %+v, want version 12 still", s)
	}
}
