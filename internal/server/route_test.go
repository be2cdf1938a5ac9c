package server

import (
	"testing"
	"time"
)

var time0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRoute(t *testing.T) {
	const repo = `"repository":{"full_name":"acme/p","default_branch":"main"},"installation":{"id":7}`
	const alice = `"sender":{"login":"alice","type":"User"}`
	for _, tc := range []struct {
		name, event, payload string
		want                 Job
		ignored              bool
	}{
		{"opened", "pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"synchronize", "pull_request", `{"action":"synchronize","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"ready", "pull_request", `{"action":"ready_for_review","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"labeled", "pull_request", `{"action":"labeled","pull_request":{"number":3},` + repo + `,` + alice + `}`, Job{}, true},
		{"merged", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc","base":{"ref":"main"}},` + repo + `,` + alice + `}`,
			Job{Kind: KindApply, PR: 3, SHA: "abc"}, false},
		{"merged elsewhere", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc","base":{"ref":"dev"}},` + repo + `,` + alice + `}`, Job{}, true},
		{"closed unmerged", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":false},` + repo + `,` + alice + `}`, Job{}, true},
		{"review", "pull_request_review", `{"action":"submitted","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"review dismissed", "pull_request_review", `{"action":"dismissed","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"review edited", "pull_request_review", `{"action":"edited","pull_request":{"number":3},` + repo + `,` + alice + `}`, Job{}, true},
		{"push main", "push", `{"ref":"refs/heads/main","after":"def",` + repo + `,` + alice + `}`,
			Job{Kind: KindApply, SHA: "def"}, false},
		{"push branch", "push", `{"ref":"refs/heads/x","after":"def",` + repo + `,` + alice + `}`, Job{}, true},
		{"push delete", "push", `{"ref":"refs/heads/main","after":"` + zeroSHA + `","deleted":true,` + repo + `,` + alice + `}`, Job{}, true},
		{"recheck", "issue_comment", `{"action":"created","issue":{"number":3,"pull_request":{"url":"u"}},"comment":{"body":"/modelpromote recheck","user":{"login":"alice"}},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3, Commenter: "alice"}, false},
		{"plan", "issue_comment", `{"action":"created","issue":{"number":3,"pull_request":{"url":"u"}},"comment":{"body":"  /modelpromote   plan \nthanks","user":{"login":"alice"}},` + repo + `,` + alice + `}`,
			Job{Kind: KindPlan, PR: 3, Commenter: "alice"}, false},
		{"comment on issue", "issue_comment", `{"action":"created","issue":{"number":3},"comment":{"body":"/modelpromote recheck","user":{"login":"alice"}},` + repo + `,` + alice + `}`, Job{}, true},
		{"comment edited", "issue_comment", `{"action":"edited","issue":{"number":3,"pull_request":{}},"comment":{"body":"/modelpromote recheck","user":{"login":"alice"}},` + repo + `,` + alice + `}`, Job{}, true},
		{"rerequested", "check_run", `{"action":"rerequested","check_run":{"name":"modelpromote","head_sha":"h","pull_requests":[{"number":3}]},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, PR: 3, SHA: "h"}, false},
		{"rerequested fork", "check_run", `{"action":"rerequested","check_run":{"name":"modelpromote","head_sha":"h","pull_requests":[]},` + repo + `,` + alice + `}`,
			Job{Kind: KindCheck, SHA: "h"}, false},
		{"other check", "check_run", `{"action":"rerequested","check_run":{"name":"lint","head_sha":"h"},` + repo + `,` + alice + `}`, Job{}, true},
		{"own event", "pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `,"sender":{"login":"modelpromote[bot]","type":"Bot"}}`, Job{}, true},
		{"other bot", "pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `,"sender":{"login":"dependabot[bot]","type":"Bot"}}`,
			Job{Kind: KindCheck, PR: 3}, false},
		{"unknown event", "star", `{"action":"created",` + repo + `}`, Job{}, true},
		{"not JSON", "pull_request", `{`, Job{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := route(tc.event, []byte(tc.payload), "modelpromote[bot]")
			if tc.ignored {
				if why == "" {
					t.Fatalf("routed to %+v, want ignored", got)
				}
				return
			}
			if why != "" {
				t.Fatalf("ignored: %s", why)
			}
			tc.want.Event, tc.want.Repo, tc.want.Installation = tc.event, "acme/p", 7
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQueueCoalescesAndSerializes(t *testing.T) {
	q := newQueue(3)
	check := func(pr int) Job { return Job{Kind: KindCheck, Repo: "a/b", PR: pr} }
	apply := func(sha string) Job { return Job{Kind: KindApply, Repo: "a/b", SHA: sha} }
	mustPush := func(j Job, wantCoalesced bool) {
		t.Helper()
		c, err := q.push(j)
		if err != nil || c != wantCoalesced {
			t.Fatalf("push %+v: coalesced %v, %v", j, c, err)
		}
	}
	mustPush(check(1), false)
	mustPush(check(1), true) // waiting: absorbed
	mustPush(apply("m1"), false)
	mustPush(apply("m2"), false) // same lane as m1: waits behind it
	if _, err := q.push(check(2)); err != errQueueFull {
		t.Fatalf("push beyond the limit: %v", err)
	}

	j1, _ := q.pop()
	j2, _ := q.pop()
	if j1.key() != check(1).key() || j2.key() != apply("m1").key() {
		t.Fatalf("popped %s, %s", j1.key(), j2.key())
	}
	mustPush(check(1), true)                 // running: runs once more afterwards
	mustPush(apply("m1"), true)              // running: the running apply does it
	if w, r := q.depth(); w != 1 || r != 2 { // m2 waits on its lane
		t.Fatalf("depth %d waiting, %d running", w, r)
	}
	q.done(j1)
	again, _ := q.pop()
	if again.key() != check(1).key() {
		t.Fatalf("after the check ended, popped %s, want the check again", again.key())
	}
	q.done(again)
	q.done(j2)
	next, _ := q.pop()
	if next.key() != apply("m2").key() {
		t.Fatalf("popped %s, want m2 once m1 ended", next.key())
	}
	q.done(next)
	if left := q.close(); left != 0 {
		t.Fatalf("%d left", left)
	}
	if _, ok := q.pop(); ok {
		t.Fatal("pop after close")
	}
	if _, err := q.push(check(1)); err != errQueueClosed {
		t.Fatalf("push after close: %v", err)
	}
}

func TestAbsorbKeepsThePlainEvent(t *testing.T) {
	q := newQueue(10)
	q.push(Job{Kind: KindCheck, Repo: "a/b", PR: 1, Commenter: "mallory"})
	q.push(Job{Kind: KindCheck, Repo: "a/b", PR: 1})
	j, _ := q.pop()
	if j.Commenter != "" {
		t.Fatalf("a plain event coalesced into a slash command kept its commenter %q", j.Commenter)
	}
}

func TestDeliveriesForgetOldestAndExpired(t *testing.T) {
	now := time0
	d := newDeliveries(2, time.Hour, func() time.Time { return now })
	if !d.add("a") || d.add("a") || !d.add("b") {
		t.Fatal("first sightings")
	}
	if !d.add("c") || !d.add("a") { // a was the oldest of two: forgotten
		t.Fatal("size bound")
	}
	now = now.Add(2 * time.Hour)
	if !d.add("c") {
		t.Fatal("ttl")
	}
	d.forget("c")
	if !d.add("c") {
		t.Fatal("forget")
	}
}
