package route

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// example reads a payload from @octokit/webhooks-examples, as the GitHub
// emulator embeds them, edits it and marshals it back.
func example(t *testing.T, name string, edits ...func(map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("../emulator/github/examples/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, edit := range edits {
		edit(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// set sets the value at a dotted path, creating objects on the way.
func set(path string, v any) func(map[string]any) {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
}

func raw(s string) []byte { return []byte(s) }

// TestRoute covers every event the server and the Action route, over the
// @octokit/webhooks-examples payloads (their pull requests are
// Codertocat/Hello-World#2 into itself, default branch master). It holds
// the cases of the server's and the Action's former routers.
func TestRoute(t *testing.T) {
	// The server: no command input, its bot login, a token that can write.
	server := Inputs{BotLogin: "modelpromote[bot]"}
	// The Action: the command input (auto by default), in an Actions run.
	auto := Inputs{Command: Auto, Actions: true}
	with := func(cmd string) Inputs { return Inputs{Command: cmd, Actions: true} }

	fork := set("pull_request.head.repo.full_name", "mallory/Hello-World")
	merged := set("pull_request.merged", true)
	onPR := set("issue.pull_request", map[string]any{"url": "x"})
	body := func(s string) func(map[string]any) { return set("comment.body", s) }
	action := func(a string) func(map[string]any) { return set("action", a) }
	ours := set("check_run.name", "modelpromote")
	const pushSHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	const mergeSHA = "c4295bd74fb0f4fda03689c3df3f2803b658fd85"
	const headSHA = "d6fde92930d4715a2b49857d24b940956b26d2d3"
	const queueSHA = "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"

	tests := []struct {
		name    string
		event   string
		payload []byte
		in      Inputs
		want    Job // Command, PR, SHA, ReadOnly, Commenter
		wantErr string
	}{
		// pull_request
		{name: "opened", event: "pull_request", payload: example(t, "pull_request.opened"), in: server, want: Job{Command: Check, PR: 2}},
		{name: "synchronize", event: "pull_request", payload: example(t, "pull_request.synchronize"), in: server, want: Job{Command: Check, PR: 2}},
		{name: "reopened", event: "pull_request", payload: example(t, "pull_request.reopened"), in: auto, want: Job{Command: Check, PR: 2}},
		{name: "ready", event: "pull_request", payload: example(t, "pull_request.opened", action("ready_for_review")), in: server, want: Job{Command: Check, PR: 2}},
		{name: "labeled is nothing", event: "pull_request", payload: example(t, "pull_request.opened", action("labeled")), in: server, want: Job{}},
		// A retargeted base is judged again (issue 12 §8); a title edit is nothing.
		{name: "base changed", event: "pull_request", payload: example(t, "pull_request.opened", action("edited"), set("changes.base.ref.from", "release")), in: server, want: Job{Command: Check, PR: 2}},
		{name: "base changed, Action", event: "pull_request", payload: example(t, "pull_request.opened", action("edited"), set("changes.base.ref.from", "release")), in: auto, want: Job{Command: Check, PR: 2}},
		{name: "title edited is nothing", event: "pull_request", payload: example(t, "pull_request.opened", action("edited"), set("changes.title.from", "old")), in: server, want: Job{}},
		{name: "fork opened is read-only in Actions", event: "pull_request", payload: example(t, "pull_request.opened", fork), in: auto, want: Job{Command: Check, PR: 2, ReadOnly: true}},
		{name: "fork on pull_request_target can write", event: "pull_request_target", payload: example(t, "pull_request.opened", fork), in: auto, want: Job{Command: Check, PR: 2}},
		{name: "fork opened on the server can write", event: "pull_request", payload: example(t, "pull_request.opened", fork), in: server, want: Job{Command: Check, PR: 2}},
		{name: "dry-run check is plan", event: "pull_request", payload: example(t, "pull_request.opened"), in: Inputs{Command: Auto, DryRun: true}, want: Job{Command: Plan, PR: 2}},
		{name: "apply on open is refused", event: "pull_request", payload: example(t, "pull_request.opened"), in: with(Apply), want: Job{Command: Refuse, PR: 2}},
		{name: "closed unmerged", event: "pull_request", payload: example(t, "pull_request.closed", set("pull_request.merged", false)), in: server, want: Job{}},
		{name: "merged applies", event: "pull_request", payload: example(t, "pull_request.closed", merged), in: server, want: Job{Command: Apply, PR: 2, SHA: mergeSHA}},
		{name: "merged applies in Actions", event: "pull_request", payload: example(t, "pull_request.closed", merged), in: auto, want: Job{Command: Apply, PR: 2, SHA: mergeSHA}},
		{name: "merged elsewhere is refused", event: "pull_request", payload: example(t, "pull_request.closed", merged, set("pull_request.base.ref", "dev")), in: server, want: Job{Command: Refuse, PR: 2}},
		{name: "merged elsewhere is refused in Actions", event: "pull_request", payload: example(t, "pull_request.closed", merged, set("pull_request.base.ref", "dev")), in: auto, want: Job{Command: Refuse, PR: 2}},
		{name: "merged elsewhere, plan asked", event: "pull_request", payload: example(t, "pull_request.closed", merged, set("pull_request.base.ref", "dev")), in: with(Plan), want: Job{Command: Plan, PR: 2}},
		{name: "merged fork refused", event: "pull_request", payload: example(t, "pull_request.closed", merged, fork), in: auto, want: Job{Command: Refuse, PR: 2}},
		{name: "merged fork refused on the server", event: "pull_request", payload: example(t, "pull_request.closed", merged, fork), in: server, want: Job{Command: Refuse, PR: 2}},
		{name: "merged from a deleted repository refused", event: "pull_request", payload: example(t, "pull_request.closed", merged, set("pull_request.head.repo", nil)), in: server, want: Job{Command: Refuse, PR: 2}},
		{name: "merged fork refused, even asked", event: "pull_request", payload: example(t, "pull_request.closed", merged, fork), in: with(Apply), want: Job{Command: Refuse, PR: 2}},
		{name: "merged fork, check asked, read-only", event: "pull_request", payload: example(t, "pull_request.closed", merged, fork), in: with(Check), want: Job{Command: Check, PR: 2, ReadOnly: true}},
		{name: "merged, dry run", event: "pull_request", payload: example(t, "pull_request.closed", merged), in: Inputs{Command: Auto, DryRun: true}, want: Job{Command: Plan, PR: 2, SHA: mergeSHA}},
		{name: "no pull request", event: "pull_request", payload: raw(`{"action":"opened"}`), in: server, wantErr: "no pull_request"},
		// pull_request_review
		{name: "review submitted", event: "pull_request_review", payload: example(t, "pull_request_review.submitted"), in: server, want: Job{Command: Check, PR: 2}},
		{name: "review dismissed", event: "pull_request_review", payload: example(t, "pull_request_review.dismissed"), in: auto, want: Job{Command: Check, PR: 2}},
		{name: "review edited", event: "pull_request_review", payload: example(t, "pull_request_review.submitted", action("edited")), in: server, want: Job{}},
		{name: "review never applies", event: "pull_request_review", payload: example(t, "pull_request_review.submitted"), in: with(Apply), want: Job{Command: Refuse, PR: 2}},
		{name: "fork review is read-only in Actions", event: "pull_request_review", payload: example(t, "pull_request_review.submitted", fork), in: auto, want: Job{Command: Check, PR: 2, ReadOnly: true}},
		// issue_comment
		{name: "comment on an issue", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote recheck")), in: server, want: Job{}},
		{name: "recheck", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote recheck"), onPR), in: server,
			want: Job{Command: Check, PR: 1, Commenter: "Codertocat"}},
		{name: "recheck with more lines", event: "issue_comment", payload: example(t, "issue_comment.created", body("  /modelpromote recheck\nplease"), onPR), in: auto,
			want: Job{Command: Check, PR: 1, Commenter: "Codertocat"}},
		{name: "recheck in any case", event: "issue_comment", payload: example(t, "issue_comment.created", body("/ModelPromote ReCheck"), onPR), in: server,
			want: Job{Command: Check, PR: 1, Commenter: "Codertocat"}},
		{name: "plan", event: "issue_comment", payload: example(t, "issue_comment.created", body("  /modelpromote   plan \nthanks"), onPR), in: server,
			want: Job{Command: Plan, PR: 1, Commenter: "Codertocat"}},
		{name: "apply is no slash command", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote apply"), onPR), in: server, want: Job{}},
		{name: "a command and more is no command", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote plan now"), onPR), in: server, want: Job{}},
		{name: "recheck by a bot", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote recheck"), onPR, set("comment.user.type", "Bot")), in: auto, want: Job{}},
		{name: "recheck by a bot on the server", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote recheck"), onPR, set("comment.user.type", "Bot")), in: server, want: Job{}},
		{name: "edited comment", event: "issue_comment", payload: example(t, "issue_comment.edited", body("/modelpromote recheck"), onPR), in: server, want: Job{}},
		{name: "comment never applies", event: "issue_comment", payload: example(t, "issue_comment.created", body("/modelpromote recheck"), onPR), in: with(Apply), want: Job{Command: Refuse, PR: 1}},
		// push
		{name: "push to a tag", event: "push", payload: example(t, "push"), in: auto, want: Job{}},
		{name: "push to the default branch", event: "push", payload: example(t, "push", set("ref", "refs/heads/master")), in: server, want: Job{Command: Apply, SHA: pushSHA}},
		{name: "push to the default branch in Actions", event: "push", payload: example(t, "push", set("ref", "refs/heads/master")), in: auto, want: Job{Command: Apply, SHA: pushSHA}},
		{name: "push, check asked, is plan", event: "push", payload: example(t, "push", set("ref", "refs/heads/master")), in: with(Check), want: Job{Command: Plan, SHA: pushSHA}},
		{name: "push to another branch", event: "push", payload: example(t, "push", set("ref", "refs/heads/feature")), in: server, want: Job{}},
		{name: "push deleting the default branch", event: "push", payload: example(t, "push", set("ref", "refs/heads/master"), set("deleted", true)), in: auto, want: Job{}},
		{name: "push deleting, zero after", event: "push", payload: example(t, "push", set("ref", "refs/heads/master"), set("after", zeroSHA), set("deleted", true)), in: server, want: Job{}},
		{name: "push without after", event: "push", payload: example(t, "push", set("ref", "refs/heads/master"), set("after", "")), in: server, wantErr: "no after commit"},
		// check_run
		{name: "rerequested", event: "check_run", payload: example(t, "check_run.rerequested", ours, set("check_run.pull_requests", []any{map[string]any{"number": 3}})), in: server,
			want: Job{Command: Check, PR: 3, SHA: headSHA}},
		{name: "rerequested fork", event: "check_run", payload: example(t, "check_run.rerequested", ours), in: server, want: Job{Command: Check, SHA: headSHA}},
		{name: "rerequested in Actions", event: "check_run", payload: example(t, "check_run.rerequested", ours), in: auto, want: Job{Command: Check, SHA: headSHA}},
		{name: "other check", event: "check_run", payload: example(t, "check_run.rerequested"), in: server, want: Job{}},
		{name: "check run completed", event: "check_run", payload: example(t, "check_run.completed", ours), in: server, want: Job{}},
		// merge_group (the example queues #104 at 2ffea6d)
		{name: "merge group", event: "merge_group", payload: example(t, "merge_group.checks_requested"), in: server, want: Job{Command: Check, PR: 104, SHA: queueSHA}},
		{name: "merge group in Actions", event: "merge_group", payload: example(t, "merge_group.checks_requested"), in: auto, want: Job{Command: Check, PR: 104, SHA: queueSHA}},
		{name: "merge group, dry run", event: "merge_group", payload: example(t, "merge_group.checks_requested"), in: Inputs{Command: Auto, DryRun: true}, want: Job{Command: Plan, PR: 104, SHA: queueSHA}},
		{name: "merge group never applies", event: "merge_group", payload: example(t, "merge_group.checks_requested"), in: with(Apply), want: Job{Command: Refuse, PR: 104}},
		{name: "merge group destroyed", event: "merge_group", payload: example(t, "merge_group.checks_requested", action("destroyed"), set("reason", "merged")), in: server, want: Job{}},
		{name: "merge group on another ref", event: "merge_group", payload: example(t, "merge_group.checks_requested", set("merge_group.head_ref", "refs/heads/feature")), in: server, wantErr: "gh-readonly-queue"},
		{name: "merge group without a base", event: "merge_group", payload: example(t, "merge_group.checks_requested", set("merge_group.base_sha", "")), in: server, wantErr: "head and base"},
		{name: "no merge group", event: "merge_group", payload: raw(`{"action":"checks_requested"}`), in: server, wantErr: "no merge_group"},
		// who caused it
		{name: "own event", event: "pull_request", payload: example(t, "pull_request.opened", set("sender", map[string]any{"login": "modelpromote[bot]", "type": "Bot"})), in: server, want: Job{}},
		{name: "own event, any case", event: "push", payload: example(t, "push", set("ref", "refs/heads/master"), set("sender", map[string]any{"login": "ModelPromote[bot]", "type": "Bot"})), in: server, want: Job{}},
		{name: "other bot", event: "pull_request", payload: example(t, "pull_request.opened", set("sender", map[string]any{"login": "dependabot[bot]", "type": "Bot"})), in: server,
			want: Job{Command: Check, PR: 2}},
		{name: "a user named like the bot", event: "pull_request", payload: example(t, "pull_request.opened", set("sender", map[string]any{"login": "modelpromote[bot]", "type": "User"})), in: server,
			want: Job{Command: Check, PR: 2}},
		// workflow_dispatch and schedule
		{name: "dispatch defaults to plan", event: "workflow_dispatch", payload: raw(`{"inputs":{"pull-request":"7"}}`), in: auto, want: Job{Command: Plan, PR: 7}},
		{name: "dispatch apply", event: "workflow_dispatch", payload: raw(`{"inputs":{"command":"apply","pull_request":7}}`), in: auto, want: Job{Command: Apply, PR: 7}},
		{name: "dispatch, input pull-request wins", event: "workflow_dispatch", payload: raw(`{"inputs":{"pull-request":"7"}}`), in: Inputs{Command: Check, PullRequest: 8}, want: Job{Command: Check, PR: 8}},
		{name: "dispatch without a pull request", event: "workflow_dispatch", payload: raw(`{}`), in: auto, wantErr: "pull-request"},
		{name: "dispatch bad number", event: "workflow_dispatch", payload: raw(`{"inputs":{"pull-request":"seven"}}`), in: auto, wantErr: "not a pull request number"},
		{name: "dispatch bad command", event: "workflow_dispatch", payload: raw(`{"inputs":{"command":"deploy","pull-request":"7"}}`), in: auto, wantErr: "is not check, plan, apply or drift"},
		{name: "dispatch drift", event: "workflow_dispatch", payload: raw(`{"inputs":{"command":"drift"}}`), in: auto, want: Job{Command: Drift}},
		{name: "schedule is drift", event: "schedule", payload: raw(`{}`), in: auto, want: Job{Command: Drift}},
		// anything else
		{name: "unknown event", event: "release", payload: raw(`{}`), in: auto, wantErr: "not one modelpromote handles"},
		{name: "unknown event on the server", event: "star", payload: raw(`{"action":"created"}`), in: server, wantErr: "not one modelpromote handles"},
		{name: "unknown event, explicit", event: "release", payload: raw(`{}`), in: Inputs{Command: Plan, PullRequest: 3}, want: Job{Command: Plan, PR: 3}},
		{name: "unknown event, drift", event: "release", payload: raw(`{}`), in: with(Drift), want: Job{Command: Drift}},
		{name: "drift on a merge is drift", event: "pull_request", payload: example(t, "pull_request.closed", merged), in: with(Drift), want: Job{Command: Drift}},
		{name: "refuse is no input", event: "pull_request", payload: example(t, "pull_request.opened"), in: with(Refuse), wantErr: "not a command"},
		{name: "not JSON", event: "pull_request", payload: raw(`{`), in: server, wantErr: "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := Route(tc.event, tc.payload, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q (job %+v)", err, tc.wantErr, j)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := Job{Command: j.Command, PR: j.PR, SHA: j.SHA, ReadOnly: j.ReadOnly, Commenter: j.Commenter}
			if got != tc.want || j.Reason == "" {
				t.Errorf("job %+v, want %+v with a reason", j, tc.want)
			}
			var p payload
			_ = json.Unmarshal(tc.payload, &p)
			if j.Event != tc.event || j.Repo != p.Repository.FullName || j.DefaultBranch != p.Repository.DefaultBranch || j.Installation != p.Installation.ID {
				t.Errorf("event facts: %+v", j)
			}
		})
	}
}

// TestMergeGroupNamesTheQueueCommit: the check of a merge group carries
// the queue's commits, and its base branch may have slashes.
func TestMergeGroupNamesTheQueueCommit(t *testing.T) {
	const ref = "refs/heads/gh-readonly-queue/release/v2/pr-7-929f8209d40f77f4abc622a499c93a83babdbe64"
	j, err := Route("merge_group", example(t, "merge_group.checks_requested", set("merge_group.head_ref", ref),
		set("merge_group.base_ref", "refs/heads/release/v2")), Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	want := Queue{Ref: ref, BaseRef: "refs/heads/release/v2", BaseSHA: "380387fbc80638b734a49e1be1c4dfec1c01b33c", HeadSHA: "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"}
	if j.Command != Check || j.PR != 7 || j.SHA != want.HeadSHA || j.Queue != want {
		t.Errorf("job %+v, want a check of #7 at the queue commit %+v", j, want)
	}
	if j, _ := Route("pull_request", example(t, "pull_request.opened"), Inputs{}); j.Queue != (Queue{}) {
		t.Errorf("a pull request's check names a queue: %+v", j.Queue)
	}
}

func TestInstallationAndRepository(t *testing.T) {
	j, err := Route("pull_request", example(t, "pull_request.closed"), Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if j.Installation != 1 || j.Repo != "Codertocat/Hello-World" || j.DefaultBranch != "master" || j.Event != "pull_request" {
		t.Errorf("job %+v", j)
	}
}

func TestSlashCommand(t *testing.T) {
	for body, want := range map[string]string{
		"/modelpromote recheck":          Check,
		"/modelpromote plan":             Plan,
		"/MODELPROMOTE PLAN":             Plan,
		" \n/modelpromote\trecheck\nbye": Check,
		"/modelpromote":                  "",
		"/modelpromote apply":            "",
		"please /modelpromote recheck":   "",
		"/modelpromote recheck please":   "",
		"thanks\n/modelpromote recheck":  "",
		"":                               "",
	} {
		got, ok := SlashCommand(body)
		if got != want || ok != (want != "") {
			t.Errorf("SlashCommand(%q) = %q, %v; want %q", body, got, ok, want)
		}
	}
}
