package action

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// example reads a payload from @octokit/webhooks-examples, as the GitHub
// emulator embeds them, and edits it.
func example(t *testing.T, name string, edit func(map[string]any)) event {
	t.Helper()
	data, err := os.ReadFile("../emulator/github/examples/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	ev, err := decodeEvent(m)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func set(path string, v any) func(map[string]any) {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
}

func both(fs ...func(map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

func TestRoute(t *testing.T) {
	auto := Inputs{Command: CommandAuto}
	with := func(cmd string) Inputs { return Inputs{Command: cmd} }
	// The examples' pull requests are from Codertocat/Hello-World into
	// itself; a fork is another head repository.
	fork := set("pull_request.head.repo.full_name", "mallory/Hello-World")
	merged := set("pull_request.merged", true)
	tests := []struct {
		name    string
		event   string
		ev      event
		in      Inputs
		want    string // command
		pr      int
		sha     string
		ro      bool
		wantErr string
	}{
		{name: "opened", event: "pull_request", ev: example(t, "pull_request.opened", nil), in: auto, want: CommandCheck, pr: 2},
		{name: "synchronize", event: "pull_request", ev: example(t, "pull_request.synchronize", nil), in: auto, want: CommandCheck, pr: 2},
		{name: "reopened", event: "pull_request", ev: example(t, "pull_request.reopened", nil), in: auto, want: CommandCheck, pr: 2},
		{name: "labeled is nothing", event: "pull_request", ev: example(t, "pull_request.opened", set("action", "labeled")), in: auto, want: ""},
		{name: "fork opened is read-only", event: "pull_request", ev: example(t, "pull_request.opened", fork), in: auto, want: CommandCheck, pr: 2, ro: true},
		{name: "fork on pull_request_target can write", event: "pull_request_target", ev: example(t, "pull_request.opened", fork), in: auto, want: CommandCheck, pr: 2},
		{name: "dry-run check is plan", event: "pull_request", ev: example(t, "pull_request.opened", nil), in: Inputs{Command: CommandAuto, DryRun: true}, want: CommandPlan, pr: 2},
		{name: "apply on open is refused", event: "pull_request", ev: example(t, "pull_request.opened", nil), in: with(CommandApply), want: CommandRefuse, pr: 2},
		{name: "closed unmerged", event: "pull_request", ev: example(t, "pull_request.closed", set("pull_request.merged", false)), in: auto, want: ""},
		{name: "merged applies", event: "pull_request", ev: example(t, "pull_request.closed", merged), in: auto, want: CommandApply, pr: 2},
		{name: "merged fork refused", event: "pull_request", ev: example(t, "pull_request.closed", both(merged, fork)), in: auto, want: CommandRefuse, pr: 2},
		{name: "merged fork refused, even asked", event: "pull_request", ev: example(t, "pull_request.closed", both(merged, fork)), in: with(CommandApply), want: CommandRefuse, pr: 2},
		{name: "merged, dry run", event: "pull_request", ev: example(t, "pull_request.closed", merged), in: Inputs{Command: CommandAuto, DryRun: true}, want: CommandPlan, pr: 2},
		{name: "review submitted", event: "pull_request_review", ev: example(t, "pull_request_review.submitted", nil), in: auto, want: CommandCheck, pr: 2},
		{name: "review dismissed", event: "pull_request_review", ev: example(t, "pull_request_review.dismissed", nil), in: auto, want: CommandCheck},
		{name: "review edited", event: "pull_request_review", ev: example(t, "pull_request_review.submitted", set("action", "edited")), in: auto, want: ""},
		{name: "review never applies", event: "pull_request_review", ev: example(t, "pull_request_review.submitted", nil), in: with(CommandApply), want: CommandRefuse, pr: 2},
		{name: "comment on an issue", event: "issue_comment", ev: example(t, "issue_comment.created", set("comment.body", "/modelpromote recheck")), in: auto, want: ""},
		{name: "recheck on a pull request", event: "issue_comment", ev: example(t, "issue_comment.created",
			both(set("comment.body", "  /modelpromote recheck\nplease"), set("issue.pull_request", map[string]any{"url": "x"}))), in: auto, want: CommandCheck, pr: 1},
		{name: "recheck by a bot", event: "issue_comment", ev: example(t, "issue_comment.created",
			both(set("comment.body", "/modelpromote recheck"), set("issue.pull_request", map[string]any{"url": "x"}), set("comment.user.type", "Bot"))), in: auto, want: ""},
		{name: "edited comment", event: "issue_comment", ev: example(t, "issue_comment.edited",
			both(set("comment.body", "/modelpromote recheck"), set("issue.pull_request", map[string]any{"url": "x"}))), in: auto, want: ""},
		{name: "push to a tag", event: "push", ev: example(t, "push", nil), in: auto, want: ""},
		{name: "push to the default branch", event: "push", ev: example(t, "push", set("ref", "refs/heads/master")), in: auto, want: CommandApply,
			sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246"},
		{name: "push to another branch", event: "push", ev: example(t, "push", set("ref", "refs/heads/feature")), in: auto, want: ""},
		{name: "push deleting the default branch", event: "push", ev: example(t, "push", both(set("ref", "refs/heads/master"), set("deleted", true))), in: auto, want: ""},
		{name: "dispatch defaults to plan", event: "workflow_dispatch", ev: event{Inputs: map[string]any{"pull-request": "7"}}, in: auto, want: CommandPlan, pr: 7},
		{name: "dispatch apply", event: "workflow_dispatch", ev: event{Inputs: map[string]any{"command": "apply", "pull_request": 7}}, in: auto, want: CommandApply, pr: 7},
		{name: "dispatch without a pull request", event: "workflow_dispatch", ev: event{}, in: auto, wantErr: "pull-request"},
		{name: "dispatch bad number", event: "workflow_dispatch", ev: event{Inputs: map[string]any{"pull-request": "seven"}}, in: auto, wantErr: "not a pull request number"},
		{name: "dispatch drift", event: "workflow_dispatch", ev: event{Inputs: map[string]any{"command": "drift"}}, in: auto, want: CommandDrift},
		{name: "schedule is drift", event: "schedule", ev: event{}, in: auto, want: CommandDrift},
		{name: "unknown event", event: "release", ev: event{}, in: auto, wantErr: "not one modelpromote handles"},
		{name: "unknown event, explicit", event: "release", ev: event{}, in: Inputs{Command: CommandPlan, PullRequest: 3}, want: CommandPlan, pr: 3},
		{name: "unknown event, drift", event: "release", ev: event{}, in: Inputs{Command: CommandDrift}, want: CommandDrift},
		{name: "drift on a merge is drift", event: "pull_request", ev: example(t, "pull_request.closed", merged), in: with(CommandDrift), want: CommandDrift},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := route(tc.event, tc.ev, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.Command != tc.want || (tc.pr != 0 && j.PR != tc.pr) || j.SHA != tc.sha || j.ReadOnly != tc.ro || j.Reason == "" {
				t.Errorf("job %+v, want command %q pr %d sha %q read-only %v", j, tc.want, tc.pr, tc.sha, tc.ro)
			}
		})
	}
}

func TestJWTSubject(t *testing.T) {
	// {"sub":"repo:o/r:ref:refs/heads/main"}
	tok := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.x"
	if got := jwtSubject(tok); got != "repo:o/r:ref:refs/heads/main" {
		t.Errorf("subject %q", got)
	}
	if got := jwtSubject("not a token"); got != "" {
		t.Errorf("subject %q", got)
	}
}
