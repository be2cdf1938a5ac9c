package server

import (
	"slices"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/route"
)

var time0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestAccept is the server's side of routing (the cases of the router
// itself are in package route): what it queues, and that everything else
// (nothing to do, a refused apply, an unreadable delivery) is ignored with
// a reason.
func TestAccept(t *testing.T) {
	const repo = `"repository":{"full_name":"acme/p","default_branch":"main"},"installation":{"id":7}`
	const alice = `"sender":{"login":"alice","type":"User"}`
	const same = `"head":{"repo":{"full_name":"acme/p"}},"base":{"ref":"main","repo":{"full_name":"acme/p"}}`
	for _, tc := range []struct {
		name, event, payload string
		want                 route.Job
		ignored              bool
	}{
		{"opened", "pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `,` + alice + `}`,
			route.Job{Command: route.Check, PR: 3}, false},
		{"merged", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc",` + same + `},` + repo + `,` + alice + `}`,
			route.Job{Command: route.Apply, PR: 3, SHA: "abc"}, false},
		{"merged elsewhere", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc","head":{"repo":{"full_name":"acme/p"}},"base":{"ref":"dev","repo":{"full_name":"acme/p"}}},` + repo + `,` + alice + `}`, route.Job{}, true},
		{"merged fork", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc","head":{"repo":{"full_name":"eve/p"}},"base":{"ref":"main","repo":{"full_name":"acme/p"}}},` + repo + `,` + alice + `}`, route.Job{}, true},
		{"closed unmerged", "pull_request", `{"action":"closed","pull_request":{"number":3,"merged":false},` + repo + `,` + alice + `}`, route.Job{}, true},
		{"plan", "issue_comment", `{"action":"created","issue":{"number":3,"pull_request":{"url":"u"}},"comment":{"body":"  /modelpromote   plan \nthanks","user":{"login":"alice"}},` + repo + `,` + alice + `}`,
			route.Job{Command: route.Plan, PR: 3, Commenter: "alice"}, false},
		{"own event", "pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `,"sender":{"login":"modelpromote[bot]","type":"Bot"}}`, route.Job{}, true},
		{"schedule", "schedule", `{` + repo + `}`, route.Job{}, true},
		{"unknown event", "star", `{"action":"created",` + repo + `}`, route.Job{}, true},
		{"no repository", "pull_request", `{"action":"opened","pull_request":{"number":3},` + alice + `}`, route.Job{}, true},
		{"not JSON", "pull_request", `{`, route.Job{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := accept(tc.event, []byte(tc.payload), "modelpromote[bot]")
			if tc.ignored {
				if why == "" {
					t.Fatalf("routed to %+v, want ignored", got)
				}
				return
			}
			if why != "" {
				t.Fatalf("ignored: %s", why)
			}
			tc.want.Event, tc.want.Repo, tc.want.DefaultBranch, tc.want.Installation, tc.want.Reason = tc.event, "acme/p", "main", 7, got.Reason
			if got != tc.want || got.Reason == "" {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQueueCoalescesAndSerializes(t *testing.T) {
	q := newQueue(3)
	check := func(pr int) route.Job { return route.Job{Command: route.Check, Repo: "a/b", PR: pr} }
	apply := func(sha string) route.Job { return route.Job{Command: route.Apply, Repo: "a/b", SHA: sha} }
	mustPush := func(j route.Job, wantCoalesced bool) {
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
	if jobKey(j1) != jobKey(check(1)) || jobKey(j2) != jobKey(apply("m1")) {
		t.Fatalf("popped %s, %s", jobKey(j1), jobKey(j2))
	}
	mustPush(check(1), true)                 // running: runs once more afterwards
	mustPush(apply("m1"), true)              // running: the running apply does it
	if w, r := q.depth(); w != 1 || r != 2 { // m2 waits on its lane
		t.Fatalf("depth %d waiting, %d running", w, r)
	}
	q.done(j1)
	again, _ := q.pop()
	if jobKey(again) != jobKey(check(1)) {
		t.Fatalf("after the check ended, popped %s, want the check again", jobKey(again))
	}
	q.done(again)
	q.done(j2)
	next, _ := q.pop()
	if jobKey(next) != jobKey(apply("m2")) {
		t.Fatalf("popped %s, want m2 once m1 ended", jobKey(next))
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
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1, Commenter: "mallory"})
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1})
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

// TestFailedJobNamesEveryDeliveryItDid: the deliveries a job absorbed,
// queued or while it ran (an apply), come back from done so that a failed
// job forgets them all.
func TestFailedJobNamesEveryDeliveryItDid(t *testing.T) {
	q := newQueue(10)
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1, Delivery: "d1"})
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1, Delivery: "d2"})
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1, Event: "reconcile"}) // no delivery
	q.push(route.Job{Command: route.Apply, Repo: "a/b", SHA: "m", Delivery: "d3"})
	check, _ := q.pop()
	apply, _ := q.pop()
	q.push(route.Job{Command: route.Apply, Repo: "a/b", SHA: "m", Delivery: "d4"}) // the running apply does it
	q.push(route.Job{Command: route.Check, Repo: "a/b", PR: 1, Delivery: "d5"})    // runs again afterwards
	if got := q.done(check); check.Delivery != "" || !slices.Equal(got, []string{"d1", "d2"}) {
		t.Errorf("check: delivery %q, absorbed %v, want the reconcile job's none and [d1 d2]", check.Delivery, got)
	}
	if got := q.done(apply); apply.Delivery != "d3" || !slices.Equal(got, []string{"d4"}) {
		t.Errorf("apply: delivery %q, absorbed %v, want d3 and [d4]", apply.Delivery, got)
	}
	again, _ := q.pop()
	if got := q.done(again); again.Delivery != "d5" || len(got) != 0 {
		t.Errorf("the check run again: delivery %q, absorbed %v, want d5 alone", again.Delivery, got)
	}
}
