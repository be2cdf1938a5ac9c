package server_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestShutdownMidApplyResumesOnRestart stops a replica while it applies
// (its grace too short to finish) and while a delivery is lost, then
// starts another: its first reconciliation finishes the apply and checks
// the pull request whose delivery never arrived.
func TestShutdownMidApplyResumesOnRestart(t *testing.T) {
	w := newWorld(t, world.Options{EndpointDelay: 150 * time.Millisecond})
	a := newReplica(t, w, replicaOptions{Options: server.Options{Replica: "a", Workers: 1}})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: a.URL, Secret: secret})
	n := approvedPR(t, w, a)

	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(applyStatuses(w), "in_progress") {
		if time.Now().After(deadline) {
			t.Fatal("apply never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.stop(t, time.Millisecond); err == nil {
		t.Log("the apply finished within the grace period; the restart has less to do")
	}
	if got := applyStatuses(w); slices.Contains(got, "success") {
		t.Logf("apply statuses at shutdown: %v", got)
	}

	// While no replica runs, a pull request is opened: its delivery fails.
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	m := openChurnPR(t, w)
	for _, d := range w.GitHub.Pending() {
		if err := w.GitHub.Drop(d.GUID); err != nil {
			t.Fatal(err)
		}
	}

	b := newReplica(t, w, replicaOptions{Options: server.Options{Replica: "b", Repos: []string{world.Repo}}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	b.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 13 || s.EndpointStatus != "InService" {
		t.Fatalf("staging serves %+v after the restart", s)
	}
	if got := applyStatuses(w); got[len(got)-1] != "success" {
		t.Errorf("apply deployment statuses %v", got)
	}
	if cr := latestCheck(t, w, m); cr.Status != "completed" {
		t.Errorf("the pull request opened while down was not checked: %+v", cr)
	}
	// A second pass finds nothing to do.
	before := len(w.GitHub.Deployments(world.Repo))
	if err := b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	b.idle(t)
	if after := len(w.GitHub.Deployments(world.Repo)); after != before {
		t.Errorf("a second reconciliation made %d deployments", after-before)
	}
	// (Apply proposed the prod promotion, whose delivery was held: the
	// second pass checks that one.)
	logs := b.logs.String()
	if got := strings.Count(logs, `"msg":"reconcile queued","kind":"apply"`); got != 1 {
		t.Errorf("reconciliation queued %d applies, want 1", got)
	}
	if got := strings.Count(logs, `"msg":"reconcile queued","kind":"check","repo":"acme/ml-promotions","pr":`+strconv.Itoa(m)+","); got != 1 {
		t.Errorf("reconciliation queued %d checks of #%d, want 1", got, m)
	}
}

// openChurnPR opens a pull request that touches no promotion.
func openChurnPR(t *testing.T, w *world.World) int {
	t.Helper()
	branch := "docs-" + time.Now().Format("150405.000000")
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "docs", Author: world.Alice,
		Files: map[string]string{"README.md": "# ML promotions\n\nMore words.\n"}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "docs", Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
