package server_test

import (
	"strconv"
	"strings"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestPlantedCheckRunDoesNotKeepReconcileFromChecking: a pull request's
// delivery is lost, so the App never checked it; its own workflow posts a
// green modelpromote run with the GITHUB_TOKEN (the github-actions App's),
// claiming the right pull request and base. Reconciliation judges a check
// fresh by the App's runs only, as apply does: it checks the pull request,
// and the App's run then stands beside the planted one.
func TestPlantedCheckRunDoesNotKeepReconcileFromChecking(t *testing.T) {
	w := newWorld(t, world.Options{})
	// The allow-list names the repository, so reconciliation knows it
	// without a delivery.
	r := newReplica(t, w, replicaOptions{Options: server.Options{Repos: []string{world.Repo}}})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	if err := w.GitHub.CreateBranch(world.Repo, "docs", "main"); err != nil {
		t.Fatal(err)
	}
	head, err := w.GitHub.Push(world.Repo, "docs", ghemu.Change{Message: "docs", Author: world.Alice,
		Files: map[string]string{"README.md": "# ML promotions\n\nMore words.\n"}})
	if err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "docs", Head: "docs", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.GitHub.Pending() {
		w.GitHub.Drop(d.GUID)
	}
	tok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	owner, name, _ := strings.Cut(world.Repo, "/")
	if _, _, err := w.GitHub.Client(tok).Checks.CreateCheckRun(t.Context(), owner, name, gogh.CreateCheckRunOptions{
		Name: report.CheckRunName, HeadSHA: head, Conclusion: gogh.String("success"),
		ExternalID: gogh.String("modelpromote/v1 pr=" + strconv.Itoa(n) + " base=main")}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.SetDeliveryMode(ghemu.Sync)
	if err := r.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	app := w.GitHub.App().ID
	var own []ghemu.CheckRun
	for _, cr := range w.GitHub.CheckRuns(world.Repo, head) {
		if cr.Name == report.CheckRunName && cr.AppID == app {
			own = append(own, cr)
		}
	}
	if len(own) != 1 || own[0].Status != "completed" || !strings.Contains(own[0].ExternalID, "pr="+strconv.Itoa(n)) {
		t.Errorf("after reconciliation the App's runs on the head are %+v, want one completed check of #%d", own, n)
	}
}
