package action_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/cli"
	"github.com/modelpromote/modelpromote/internal/dashboard"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// dispatchPayload is a workflow_dispatch event as @octokit/webhooks-examples
// shapes it: the workflow's inputs as strings, the ref, the workflow file.
func dispatchPayload(inputs string) []byte {
	return fmt.Appendf(nil, `{
  "inputs": %s,
  "ref": "refs/heads/main",
  "repository": {"id": 1, "name": "ml-promotions", "full_name": %q, "private": true, "default_branch": "main",
    "owner": {"login": "acme", "type": "Organization"}},
  "organization": {"login": "acme"},
  "sender": {"login": "pat", "type": "User"},
  "workflow": ".github/workflows/promote.yml"
}`, inputs, world.Repo)
}

func TestWorkflowDispatchPlansWithoutTouchingAnything(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	event(t, w, "pull_request", "opened") // not run: only the dispatch is
	before := w.GitHub.CallCounts()

	r := run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(fmt.Sprintf(`{"command": "plan", "pull-request": "%d"}`, n))}).must(t)
	if r.res.Job.Command != action.CommandPlan || r.res.Job.PR != n || r.res.Failed {
		t.Fatalf("job %+v", r.res.Job)
	}
	if r.outputs[action.OutputVerdict] != "pending" || r.outputs[action.OutputCommentURL] != "" {
		t.Errorf("outputs %v", r.outputs)
	}
	if ps := promotions(t, r); len(ps) != 1 || ps[0].ToVersion != 13 {
		t.Errorf("promotions %+v", ps)
	}
	if !strings.Contains(r.summary, "Plan only") || !strings.Contains(r.summary, "fraud-detector") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if len(w.GitHub.Comments(world.Repo, n)) != 0 {
		t.Error("plan commented")
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if len(w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)) != 0 {
		t.Error("plan created a check run")
	}
	for op, c := range w.GitHub.CallCounts() {
		write := strings.Contains(op, "create") || strings.Contains(op, "update") || strings.Contains(op, "delete")
		if c > before[op] && write {
			t.Errorf("plan called %s", op)
		}
	}

	// The pull-request input wins over the dispatch's; the command input
	// over its command; dry-run turns apply into plan.
	r = run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(`{"command": "apply", "pull-request": "999"}`),
		inputs: map[string]string{"pull-request": strconv.Itoa(n), "dry-run": "true"}}).must(t)
	if r.res.Job.Command != action.CommandPlan || r.res.Job.PR != n {
		t.Errorf("dry-run apply: job %+v", r.res.Job)
	}
}

func TestRecheckCommentFromAWriterRechecks(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	event(t, w, "pull_request", "opened")
	if _, err := w.GitHub.Comment(world.Repo, n, world.Bob, "/modelpromote recheck"); err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "issue_comment", payload: event(t, w, "issue_comment", "created")}).must(t)
	if r.res.Job.Command != action.CommandCheck || r.res.Job.Commenter != world.Bob || r.res.Job.PR != n {
		t.Fatalf("job %+v", r.res.Job)
	}
	if reportComments(w, n) != 1 || r.outputs[action.OutputVerdict] != "pending" {
		t.Errorf("no report; outputs %v", r.outputs)
	}

	// Someone without write access asks: nothing runs.
	w.GitHub.CreateUser("mallory")
	if _, err := w.GitHub.Comment(world.Repo, n, "mallory", "/modelpromote recheck"); err != nil {
		t.Fatal(err)
	}
	r = run(t, w, step{event: "issue_comment", payload: event(t, w, "issue_comment", "created")}).must(t)
	if r.res.Job.Command != "" || r.outputs[action.OutputVerdict] != action.VerdictSkipped || !strings.Contains(r.res.Job.Reason, "no write access") {
		t.Errorf("mallory: job %+v outputs %v", r.res.Job, r.outputs)
	}

	// Chatter is ignored without calling anything.
	if _, err := w.GitHub.Comment(world.Repo, n, world.Bob, "looks good to me"); err != nil {
		t.Fatal(err)
	}
	r = run(t, w, step{event: "issue_comment", payload: event(t, w, "issue_comment", "created")}).must(t)
	if r.res.Job.Command != "" || r.outputs[action.OutputVerdict] != action.VerdictSkipped {
		t.Errorf("chatter: job %+v", r.res.Job)
	}
}

// The `modelpromote action` command: exit codes, and errors both as an
// annotation and on stderr, with the token never printed.
func TestCommandLineEntryPoint(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"ref": "refs/heads/feature", "after": "abc", "repository": {"full_name": "acme/ml-promotions", "default_branch": "main"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "ghs_secretsecretsecret"
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": event, "GITHUB_REPOSITORY": world.Repo,
		"GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"), "INPUT_GITHUB-TOKEN": token}
	main := func(eventName string) (int, string, string) {
		vars["GITHUB_EVENT_NAME"] = eventName
		var stdout, stderr strings.Builder
		code := cli.Main(t.Context(), []string{"action"}, cli.NewFactory(cli.Streams{Out: &stdout, Err: &stderr, Getenv: func(k string) string { return vars[k] }}))
		return code, stdout.String(), stderr.String()
	}

	code, stdout, _ := main("push")
	if code != cli.ExitOK || !strings.Contains(stdout, "::notice::modelpromote: nothing to do: push to refs/heads/feature") {
		t.Errorf("push to a branch: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr := main("release")
	if code != cli.ExitFail || !strings.Contains(stdout, "::error::modelpromote: event release is not one modelpromote handles") ||
		!strings.Contains(stderr, "modelpromote action: event release") {
		t.Errorf("unsupported event: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, token) || strings.Count(stdout, token) != 1 || !strings.Contains(stdout, "::add-mask::"+token+"\n") {
		t.Errorf("the token is printed outside its mask:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

// A scheduled run compares every stage of the manifests on main with what
// its endpoint serves.
func TestScheduleDetectsDrift(t *testing.T) {
	w := newWorld(t)
	sha, _ := w.GitHub.Branch(world.Repo, "main")
	schedule := step{event: "schedule", payload: []byte(`{"schedule": "17 6 * * *"}`), env: map[string]string{"GITHUB_SHA": sha}}

	r := run(t, w, schedule).must(t)
	if r.res.Job.Command != action.CommandDrift {
		t.Fatalf("job %+v", r.res.Job)
	}
	var before struct {
		Checked int          `json:"checked"`
		Drift   []plan.Drift `json:"drift"`
	}
	if err := json.Unmarshal([]byte(r.outputs[action.OutputDrift]), &before); err != nil || before.Checked == 0 {
		t.Fatalf("drift output %q: %v", r.outputs[action.OutputDrift], err)
	}
	for _, d := range before.Drift {
		if d.Model == "fraud-detector" {
			t.Errorf("fraud-detector drifted before anything changed: %+v", d)
		}
	}

	// Someone deploys version 13 to staging behind modelpromote's back.
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	r = run(t, w, schedule).must(t)
	if !r.res.Failed || r.outputs[action.OutputVerdict] != action.VerdictDrifted {
		t.Errorf("failed=%v verdict %q", r.res.Failed, r.outputs[action.OutputVerdict])
	}
	if !strings.Contains(r.summary, "| fraud-detector | staging | `fraud-detector-staging` | 12 | 13 |") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if !strings.Contains(r.stdout, "::error::modelpromote: drift: fraud-detector/staging: ") {
		t.Errorf("no annotation:\n%s", r.stdout)
	}
}

// With dashboard: true, the scheduled drift run keeps the dashboard issue
// as GITHUB_TOKEN's github-actions[bot]; an issue carrying the marker that
// someone else opened is left alone.
func TestScheduledDriftKeepsTheDashboard(t *testing.T) {
	w := newWorld(t)
	const path = "promotions/modelpromote.yaml"
	cfg, _ := w.GitHub.File(world.Repo, "main", path)
	sha, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "dashboard", Author: world.Pat, Files: map[string]string{path: cfg + "dashboard: true\n"}})
	if err != nil {
		t.Fatal(err)
	}
	planted, err := w.GitHub.OpenIssue(world.Repo, world.Alice, dashboard.Title, dashboard.Marker+"\nnothing to see")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	tok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	schedule := step{event: "schedule", payload: []byte(`{"schedule": "17 6 * * *"}`), env: map[string]string{"GITHUB_SHA": sha},
		inputs: map[string]string{"github-token": tok}}
	r := run(t, w, schedule).must(t)
	if r.outputs[action.OutputVerdict] != action.VerdictDrifted {
		t.Fatalf("verdict %q", r.outputs[action.OutputVerdict])
	}
	var mine []ghemu.Issue
	for _, is := range w.GitHub.Issues(world.Repo) {
		switch {
		case is.Number == planted && is.Body != dashboard.Marker+"\nnothing to see":
			t.Errorf("the planted issue was edited: %q", is.Body)
		case is.Author == action.DefaultBotLogin:
			mine = append(mine, is)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0].Body, "⚠️ fraud-detector/staging (`fraud-detector-staging`)") {
		t.Fatalf("dashboards by github-actions[bot]: %+v", mine)
	}
	if !strings.Contains(r.summary, fmt.Sprintf("Dashboard: %s", "http")) || !strings.Contains(r.summary, fmt.Sprintf("/issues/%d\n", mine[0].Number)) {
		t.Errorf("summary does not link the dashboard:\n%s", r.summary)
	}

	// The next run edits the same issue, and reads the manifests once: the
	// dashboard takes them from the drift run.
	w.GitHub.ResetCalls()
	run(t, w, schedule).must(t)
	if got := w.GitHub.Calls("git/get-tree"); got != 1 {
		t.Errorf("the tree was read %d times, want once (calls %v)", got, w.GitHub.CallCounts())
	}
	n := 0
	for _, is := range w.GitHub.Issues(world.Repo) {
		if is.Author == action.DefaultBotLogin {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d dashboards after the second run", n)
	}
}
