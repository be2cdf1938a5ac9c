package ghemu_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// receiver is a webhook endpoint that verifies signatures with go-github
// and keeps the parsed events.
type receiver struct {
	mu     sync.Mutex
	events []received
	status int
}

type received struct {
	guid, kind string
	event      any
}

func newReceiver(t *testing.T, secret string) (*receiver, string) {
	t.Helper()
	rc := &receiver{status: http.StatusAccepted}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, err := github.ValidatePayload(r, []byte(secret))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := github.ParseWebHook(github.WebHookType(r), payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.events = append(rc.events, received{guid: github.DeliveryID(r), kind: github.WebHookType(r), event: ev})
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.events...)
}

func kinds(evs []received) []string {
	var out []string
	for _, ev := range evs {
		action := ""
		switch e := ev.event.(type) {
		case *github.PullRequestEvent:
			action = e.GetAction()
		case *github.PullRequestReviewEvent:
			action = e.GetAction()
		case *github.IssueCommentEvent:
			action = e.GetAction()
		case *github.CheckRunEvent:
			action = e.GetAction()
		case *github.MergeGroupEvent:
			action = e.GetAction()
		}
		out = append(out, ev.kind+":"+action)
	}
	return out
}

func TestWebhooksFollowThePullRequestLifecycle(t *testing.T) {
	f := newFixture(t)
	rc, url := newReceiver(t, "s3cret")
	f.e.AddWebhook(ghemu.Webhook{URL: url, Secret: "s3cret"})

	n, head := f.openPR(t, "promote", promotionChange)
	head2, _ := f.e.Push(repoName, "promote", ghemu.Change{Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\nversion: 4\n"}})
	rid, _ := f.e.Review(repoName, n, "bob", "APPROVE", "")
	f.e.DismissReview(repoName, n, rid, "bob", "redo")
	f.bot.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String("report")})
	cr, _, err := f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head2})
	if err != nil {
		t.Fatal(err)
	}
	f.e.RerequestCheckRun(repoName, cr.GetID(), "bob")
	res, _, err := f.bob.PullRequests.Merge(ctx, "acme", "models", n, "", nil)
	if err != nil {
		t.Fatal(err)
	}

	evs := rc.got()
	want := []string{
		"push:", "pull_request:opened", "push:", "pull_request:synchronize", "pull_request_review:submitted",
		"pull_request_review:dismissed", "issue_comment:created", "check_run:created", "check_run:rerequested", "pull_request:closed", "push:",
	}
	if fmt.Sprint(kinds(evs)) != fmt.Sprint(want) {
		t.Fatalf("events = %v\nwant     %v", kinds(evs), want)
	}
	opened := evs[1].event.(*github.PullRequestEvent)
	if opened.GetInstallation().GetID() != f.inst || opened.GetPullRequest().GetHead().GetSHA() != head ||
		opened.GetRepo().GetFullName() != repoName || opened.GetSender().GetLogin() != "alice" || opened.GetNumber() != n {
		t.Errorf("opened = inst %d head %s repo %s sender %s", opened.GetInstallation().GetID(), opened.GetPullRequest().GetHead().GetSHA(), opened.GetRepo().GetFullName(), opened.GetSender().GetLogin())
	}
	sync := evs[3].event.(*github.PullRequestEvent)
	if sync.GetBefore() != head || sync.GetAfter() != head2 || sync.GetPullRequest().GetHead().GetSHA() != head2 {
		t.Errorf("synchronize before %s after %s", sync.GetBefore(), sync.GetAfter())
	}
	rv := evs[4].event.(*github.PullRequestReviewEvent)
	if rv.GetReview().GetState() != "approved" || rv.GetReview().GetCommitID() != head2 || rv.GetReview().GetUser().GetLogin() != "bob" {
		t.Errorf("review state %s commit %s", rv.GetReview().GetState(), rv.GetReview().GetCommitID())
	}
	ic := evs[6].event.(*github.IssueCommentEvent)
	if ic.GetSender().GetLogin() != "modelpromote[bot]" || !ic.GetIssue().IsPullRequest() || ic.GetIssue().GetNumber() != n {
		t.Errorf("comment sender %s", ic.GetSender().GetLogin())
	}
	rr := evs[8].event.(*github.CheckRunEvent)
	if rr.GetCheckRun().GetID() != cr.GetID() || rr.GetCheckRun().GetHeadSHA() != head2 {
		t.Errorf("rerequested %d", rr.GetCheckRun().GetID())
	}
	closed := evs[9].event.(*github.PullRequestEvent)
	if !closed.GetPullRequest().GetMerged() || closed.GetPullRequest().GetMergeCommitSHA() != res.GetSHA() {
		t.Errorf("closed merged %v sha %s", closed.GetPullRequest().GetMerged(), closed.GetPullRequest().GetMergeCommitSHA())
	}
	push := evs[10].event.(*github.PushEvent)
	if push.GetRef() != "refs/heads/main" || push.GetAfter() != res.GetSHA() || push.GetBefore() != f.mainSHA || push.GetHeadCommit().GetID() != res.GetSHA() {
		t.Errorf("push ref %s %s..%s", push.GetRef(), push.GetBefore(), push.GetAfter())
	}
	for _, d := range f.e.Deliveries() {
		if d.Status != http.StatusAccepted || d.Header.Get("X-Hub-Signature-256") == "" {
			t.Errorf("delivery %s %s: status %d", d.GUID, d.Event, d.Status)
		}
	}
}

func TestRedeliveryKeepsTheDeliveryID(t *testing.T) {
	f := newFixture(t)
	rc, url := newReceiver(t, "k")
	f.e.AddWebhook(ghemu.Webhook{URL: url, Secret: "k", Repo: repoName, Events: []string{"pull_request"}})
	rc.status = http.StatusInternalServerError
	f.openPR(t, "promote", promotionChange)
	ds := f.e.Deliveries()
	if len(ds) != 1 || ds[0].Status != http.StatusInternalServerError {
		t.Fatalf("deliveries = %+v", ds)
	}
	rc.status = http.StatusOK
	again, err := f.e.Redeliver(ds[0].GUID)
	if err != nil {
		t.Fatal(err)
	}
	evs := rc.got()
	if !again.Redelivery || again.Status != http.StatusOK || len(evs) != 2 || evs[0].guid != evs[1].guid || evs[1].guid != ds[0].GUID {
		t.Errorf("redelivery %+v, guids %v", again, evs)
	}
	if _, err := f.e.Redeliver("no-such-guid"); err == nil {
		t.Error("redelivered an unknown delivery")
	}
}

func TestHeldDeliveriesArriveOutOfOrderOrNever(t *testing.T) {
	f := newFixture(t, ghemu.WithDeliveryMode(ghemu.Hold))
	rc, url := newReceiver(t, "k")
	f.e.AddWebhook(ghemu.Webhook{URL: url, Secret: "k", Events: []string{"pull_request", "pull_request_review"}})
	n, _ := f.openPR(t, "promote", promotionChange)
	f.e.Review(repoName, n, "bob", "APPROVE", "")
	f.e.Review(repoName, n, "bob", "REQUEST_CHANGES", "no")
	pending := f.e.Pending()
	if len(pending) != 3 || len(rc.got()) != 0 {
		t.Fatalf("pending %d, received %d", len(pending), len(rc.got()))
	}
	// The change request arrives first, the approval is lost, the opening last.
	for _, guid := range []string{pending[2].GUID, pending[0].GUID} {
		if _, err := f.e.Deliver(guid); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.e.Drop(pending[1].GUID); err != nil {
		t.Fatal(err)
	}
	got := kinds(rc.got())
	if fmt.Sprint(got) != "[pull_request_review:submitted pull_request:opened]" || len(f.e.Pending()) != 0 {
		t.Errorf("received %v", got)
	}
	first := rc.got()[0].event.(*github.PullRequestReviewEvent)
	if first.GetReview().GetState() != "changes_requested" {
		t.Errorf("first delivered review is %s", first.GetReview().GetState())
	}
}

func TestAsyncDeliveries(t *testing.T) {
	f := newFixture(t, ghemu.WithDeliveryMode(ghemu.Async))
	rc, url := newReceiver(t, "k")
	f.e.AddWebhook(ghemu.Webhook{URL: url, Secret: "k"})
	f.openPR(t, "promote", promotionChange)
	f.e.WaitDeliveries()
	if len(rc.got()) != 2 { // push + opened
		t.Errorf("received %v", kinds(rc.got()))
	}
}
