package server_test

import (
	"net/http"
	"slices"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Deliveries arrive out of order: the check reads the pull request's state
// from GitHub when it runs, so the last check reflects the current head,
// whatever order the events came in.
func TestOutOfOrderDeliveriesEndOnTheCurrentState(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	n := openPR(t, w)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	// A new commit after the approval makes the approval stale.
	cur, _ := w.GitHub.File(world.Repo, "main", "promotions/fraud-detector.yaml")
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if _, err := w.GitHub.Push(world.Repo, pr.HeadRef, ghemu.Change{Message: "more", Author: world.Alice,
		Files: map[string]string{"notes.md": cur[:10]}}); err != nil {
		t.Fatal(err)
	}
	held := w.GitHub.Pending()
	slices.Reverse(held) // newest first: synchronize, then the review, then opened
	for _, d := range held {
		if got, err := w.GitHub.Deliver(d.GUID); err != nil || got.Status >= 300 && got.Status != http.StatusOK {
			t.Fatalf("deliver %s: %d %v", d.Event, got.Status, err)
		}
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); cr.Conclusion != "action_required" {
		t.Errorf("last check %s/%s, want action_required: the approval is on an older commit", cr.Status, cr.Conclusion)
	}
}
