package action_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/action"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/world"
)

func proposals(t *testing.T, r ran) []action.Proposed {
	t.Helper()
	return jsonOutput[[]action.Proposed](t, r, action.OutputProposals)
}

// A training pipeline dispatches a workflow whose step is the action with
// command: propose; it opens the promotion pull request, and a retry
// finds it instead of opening a second.
func TestProposeThroughTheActionOpensOnePullRequest(t *testing.T) {
	w := newWorld(t)
	dispatch := step{event: "workflow_dispatch", payload: dispatchPayload(`{"model": "fraud-detector", "stage": "staging", "version": "13"}`),
		inputs: map[string]string{"command": "propose", "model": "fraud-detector", "stage": "staging", "version": "13"}}

	r := run(t, w, dispatch).must(t)
	ps := proposals(t, r)
	if r.res.Failed || r.outputs[action.OutputCommand] != action.CommandPropose || r.outputs[action.OutputVerdict] != action.VerdictSuccess || len(ps) != 1 {
		t.Fatalf("failed=%v outputs %v", r.res.Failed, r.outputs)
	}
	p := ps[0]
	if p.State != propose.NextProposed || p.Action != propose.ActionOpened || p.Version != 13 || p.FromVersion != 12 || p.PullRequest == 0 {
		t.Fatalf("proposal %+v", p)
	}
	if r.outputs[action.OutputPullRequest] != strconv.Itoa(p.PullRequest) {
		t.Errorf("pull-request output %q, want %d", r.outputs[action.OutputPullRequest], p.PullRequest)
	}
	pr, ok := w.GitHub.PullRequest(world.Repo, p.PullRequest)
	if !ok || pr.State != "open" || pr.HeadRef != "modelpromote/fraud-detector/staging-v13" || pr.BaseRef != "main" {
		t.Fatalf("pull request %+v", pr)
	}
	head, _ := w.GitHub.File(world.Repo, pr.HeadRef, "promotions/fraud-detector.yaml")
	if !strings.Contains(head, "  staging:\n    version: 13\n") || !strings.Contains(head, "  prod:\n    version: 11\n") {
		t.Errorf("proposed file:\n%s", head)
	}
	if !strings.Contains(r.summary, "| fraud-detector | staging | 13 | proposed (opened) | [#") {
		t.Errorf("summary:\n%s", r.summary)
	}

	again := run(t, w, dispatch).must(t)
	if ps := proposals(t, again); len(ps) != 1 || ps[0].Action != propose.ActionUnchanged || ps[0].PullRequest != p.PullRequest {
		t.Errorf("retry: %+v", ps)
	}
	if _, ok := w.GitHub.PullRequest(world.Repo, p.PullRequest+1); ok {
		t.Error("the retry opened a second pull request")
	}
}

// latest-approved resolves the newest approved version once and pins it;
// a version the base branch already names is no pull request at all.
func TestProposeLatestApprovedPinsTheNumber(t *testing.T) {
	w := newWorld(t)
	r := run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(`{}`),
		inputs: map[string]string{"command": "propose", "model": "fraud-detector", "stage": "prod", "latest-approved": "true"}}).must(t)
	ps := proposals(t, r)
	if len(ps) != 1 || ps[0].Version != 13 || ps[0].Action != propose.ActionOpened {
		t.Fatalf("proposals %+v", ps)
	}
	if head, _ := w.GitHub.File(world.Repo, ps[0].Branch, "promotions/fraud-detector.yaml"); !strings.Contains(head, "  prod:\n    version: 13\n") {
		t.Errorf("proposed file:\n%s", head)
	}

	r = run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(`{}`),
		inputs: map[string]string{"command": "propose", "model": "fraud-detector", "stage": "staging", "version": "12"}}).must(t)
	if ps := proposals(t, r); len(ps) != 1 || ps[0].State != "none" || ps[0].PullRequest != 0 || r.res.Failed {
		t.Errorf("already on the base branch: %+v", ps)
	}
	if _, ok := w.GitHub.Branch(world.Repo, "modelpromote/fraud-detector/staging-v12"); ok {
		t.Error("a branch was pushed for a version the base already names")
	}
}

// A scheduled workflow with due: true proposes prod once staging's version
// has soaked for the policy's 24h, and not before.
func TestProposeDueOnScheduleOpensWhatHasSoaked(t *testing.T) {
	w := newWorld(t)
	schedule := step{event: "schedule", payload: []byte(`{"schedule": "17 * * * *"}`),
		inputs: map[string]string{"command": "propose", "due": "true"}}
	const branch = "modelpromote/fraud-detector/prod-v12"

	r := run(t, w, schedule).must(t)
	fraud := func(ps []action.Proposed) action.Proposed {
		for _, p := range ps {
			if p.Model == "fraud-detector" {
				return p
			}
		}
		t.Fatalf("no fraud-detector in %+v", ps)
		return action.Proposed{}
	}
	if p := fraud(proposals(t, r)); p.State != propose.NextSoaking || p.Stage != "prod" || p.After != "staging" || p.DueAt == "" {
		t.Fatalf("just deployed: %+v", p)
	}
	if _, ok := w.GitHub.Branch(world.Repo, branch); ok {
		t.Fatal("prod was proposed before the soak")
	}

	schedule.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	r = run(t, w, schedule).must(t)
	p := fraud(proposals(t, r))
	if p.State != propose.NextProposed || p.Action != propose.ActionOpened || p.Version != 12 || p.Branch != branch {
		t.Fatalf("after the soak: %+v", p)
	}
	pr, ok := w.GitHub.PullRequest(world.Repo, p.PullRequest)
	if !ok || pr.HeadRef != branch || r.outputs[action.OutputVerdict] != action.VerdictSuccess {
		t.Errorf("pull request %+v, outputs %v", pr, r.outputs)
	}
}

// command: validate reads the pull request's head through the API (no
// checkout) and puts each problem on its line.
func TestValidateAnnotatesThePullRequestsManifestLines(t *testing.T) {
	w := newWorld(t)
	const file = "promotions/fraud-detector.yaml"
	cur, _ := w.GitHub.File(world.Repo, "main", file)
	broken := strings.Replace(cur, "  staging:\n    version: 12\n", "  staging:\n    version: 12\n    colour: blue\n", 1)
	if err := w.GitHub.CreateBranch(world.Repo, "colour", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "colour", ghemu.Change{Message: "colour", Author: world.Alice, Files: map[string]string{file: broken}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "colour", Head: "colour", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened"), inputs: map[string]string{"command": "validate"}}).must(t)
	if !r.res.Failed || r.res.Job.PR != n || r.outputs[action.OutputVerdict] != action.VerdictFail || r.outputs[action.OutputCommand] != action.CommandValidate {
		t.Fatalf("failed=%v job %+v outputs %v", r.res.Failed, r.res.Job, r.outputs)
	}
	line := strings.Count(broken[:strings.Index(broken, "    colour:")], "\n") + 1
	if !strings.Contains(r.stdout, "file="+file) || !strings.Contains(r.stdout, "line="+strconv.Itoa(line)) || !strings.Contains(r.stdout, "colour") {
		t.Errorf("no annotation on %s:%d:\n%s", file, line, r.stdout)
	}
	if !strings.Contains(r.summary, "1 problem(s) in promotions") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if len(w.GitHub.Comments(world.Repo, n)) != 0 {
		t.Error("validate wrote to the pull request")
	}

	sha, _ := w.GitHub.Branch(world.Repo, "main")
	r = run(t, w, step{event: "push", payload: []byte(`{"ref": "refs/heads/main"}`), env: map[string]string{"GITHUB_SHA": sha},
		inputs: map[string]string{"command": "validate"}}).must(t)
	if r.res.Failed || r.outputs[action.OutputVerdict] != action.VerdictPass || !strings.Contains(r.summary, "is valid") {
		t.Errorf("main: failed=%v outputs %v summary %s", r.res.Failed, r.outputs, r.summary)
	}
}

// Inputs that would be silently ignored, or that propose cannot act on,
// are refused before anything runs.
func TestProposeInputsAreCheckedFirst(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"command": "propose"}, "needs the model and stage inputs"},
		{map[string]string{"command": "propose", "model": "fraud-detector", "stage": "prod"}, "exactly one of the version and latest-approved"},
		{map[string]string{"command": "propose", "model": "fraud-detector", "stage": "prod", "version": "13", "latest-approved": "true"}, "exactly one of"},
		{map[string]string{"command": "propose", "due": "true", "model": "fraud-detector"}, "leave model, stage"},
		{map[string]string{"command": "propose", "due": "true", "dry-run": "true"}, "propose has no dry run"},
		{map[string]string{"command": "check", "model": "fraud-detector"}, "are for command propose, not check"},
		{map[string]string{"command": "propose", "due": "yes please"}, `input due: "yes please" is not true or false`},
		{map[string]string{"command": "deploy"}, "not auto, check, plan, apply, drift, propose or validate"},
	} {
		before := w.GitHub.CallCounts()
		r := run(t, w, step{event: "workflow_dispatch", payload: dispatchPayload(`{}`), inputs: tc.inputs})
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.inputs, r.err, tc.want)
		}
		for op, c := range w.GitHub.CallCounts() {
			if c != before[op] {
				t.Errorf("%v: called %s", tc.inputs, op)
			}
		}
	}
}
