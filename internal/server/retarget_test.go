package server_test

import (
	"strings"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestRetargetWhoseDeliveryWasLostIsCheckedByReconcile: a pull request
// checked against one base is retargeted to another and the "edited"
// delivery is lost. Reconciliation sees that the green check judged the old
// base (its external_id says which) and checks the pull request again, so
// the check run on its head judges the branch it will merge into.
func TestRetargetWhoseDeliveryWasLostIsCheckedByReconcile(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	if err := w.GitHub.CreateBranch(world.Repo, "release", "main"); err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.CreateBranch(world.Repo, "docs", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "docs", ghemu.Change{Message: "docs", Author: world.Alice,
		Files: map[string]string{"README.md": "# ML promotions\n\nMore words.\n"}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "docs", Head: "docs", Base: "release", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); !strings.Contains(cr.ExternalID, "base=release") {
		t.Fatalf("the first check judged %q", cr.ExternalID)
	}
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	owner, name, _ := strings.Cut(world.Repo, "/")
	if _, _, err := w.UserClient(world.Alice).PullRequests.Edit(t.Context(), owner, name, n,
		&gogh.PullRequest{Base: &gogh.PullRequestBranch{Ref: gogh.String("main")}}); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.GitHub.Pending() {
		w.GitHub.Drop(d.GUID)
	}
	if err := r.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); !strings.Contains(cr.ExternalID, "base=main") || cr.Status != "completed" {
		t.Errorf("after reconciliation the check judged %q (%s), want base=main", cr.ExternalID, cr.Status)
	}
}
