package server_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/dashboard"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// enableDashboard turns the dashboard on in the world's configuration.
func enableDashboard(t *testing.T, w *world.World) {
	t.Helper()
	const path = "promotions/modelpromote.yaml"
	cfg, _ := w.GitHub.File(world.Repo, "main", path)
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "dashboard", Author: world.Pat,
		Files: map[string]string{path: cfg + "dashboard: true\n"}}); err != nil {
		t.Fatal(err)
	}
}

// applyOne opens, approves and merges a promotion, and waits for the
// server to apply it.
func applyOne(t *testing.T, w *world.World, r *replica) {
	t.Helper()
	n := openPR(t, w)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
}

// botDashboards are the issues the App opened that carry the marker.
func botDashboards(w *world.World) []ghemu.Issue {
	var out []ghemu.Issue
	for _, is := range w.GitHub.Issues(world.Repo) {
		if is.Author == w.GitHub.App().BotLogin && strings.HasPrefix(is.Body, dashboard.Marker) {
			out = append(out, is)
		}
	}
	return out
}

// After an apply the App keeps the one dashboard issue: it opens its own
// even though an outsider planted an issue with the marker first (anyone
// can open an issue), never touches the planted one, and edits its own in
// place after the next apply.
func TestServerKeepsTheDashboardIssueAfterApplies(t *testing.T) {
	w := newWorld(t, world.Options{})
	enableDashboard(t, w)
	w.GitHub.CreateUser("mallory")
	const planted = dashboard.Marker + "\n# Model promotions\n\nAll clear, nothing to see. [Approve here](https://evil.example)\n"
	plantedN, err := w.GitHub.OpenIssue(world.Repo, "mallory", dashboard.Title, planted)
	if err != nil {
		t.Fatal(err)
	}
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})

	applyOne(t, w, r)
	if v := r.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`); v != 1 {
		t.Fatalf("apply success metric %v", v)
	}
	ds := botDashboards(w)
	if len(ds) != 1 {
		t.Fatalf("%d dashboards by the App, want 1: %+v", len(ds), w.GitHub.Issues(world.Repo))
	}
	d := ds[0]
	if d.Title != dashboard.Title || d.State != "open" || d.Number == plantedN {
		t.Errorf("dashboard #%d %q %s (planted #%d)", d.Number, d.Title, d.State, plantedN)
	}
	for _, want := range []string{"| fraud-detector | staging | v13 | v13 | InService", "| fraud-detector | prod | v11 | v11 |", "## Pending promotions", "## Recent failures"} {
		if !strings.Contains(d.Body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, d.Body)
		}
	}
	if v := r.metric(t, `modelpromote_dashboard_updates_total{result="created"}`); v != 1 {
		t.Errorf("dashboard created metric %v", v)
	}
	for _, is := range w.GitHub.Issues(world.Repo) {
		if is.Number == plantedN && (is.Body != planted || is.Author != "mallory") {
			t.Errorf("the planted issue was changed: %+v", is)
		}
	}

	// A rollback, staging 13 → 12, is an apply too: the same issue is
	// edited.
	const file = "promotions/fraud-detector.yaml"
	cur, _ := w.GitHub.File(world.Repo, "main", file)
	back := strings.Replace(cur, "  staging:\n    version: 13\n", "  staging:\n    version: 12\n", 1)
	if back == cur {
		t.Fatalf("%s does not have staging on 13", file)
	}
	if err := w.GitHub.CreateBranch(world.Repo, "rollback", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "rollback", ghemu.Change{Message: "roll back staging", Author: world.Alice, Files: map[string]string{file: back}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "roll back staging", Head: "rollback", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if v := r.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`); v != 2 {
		t.Fatalf("apply success metric %v after the rollback", v)
	}
	ds = botDashboards(w)
	if len(ds) != 1 || ds[0].Number != d.Number {
		t.Fatalf("dashboards after the second apply: %+v, want #%d edited", ds, d.Number)
	}
	if !strings.Contains(ds[0].Body, "| fraud-detector | staging | v12 | v12 |") {
		t.Errorf("dashboard not edited after the rollback:\n%s", ds[0].Body)
	}
	if v := r.metric(t, `modelpromote_dashboard_updates_total{result="updated"}`); v != 1 {
		t.Errorf("dashboard updated metric %v", v)
	}
}

// A dashboard that cannot be written is logged and counted; the apply
// succeeds all the same.
func TestDashboardFailureDoesNotFailTheApply(t *testing.T) {
	w := newWorld(t, world.Options{})
	enableDashboard(t, w)
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	w.GitHub.InjectFault("issues/create", ghemu.Fault{Status: 422, Message: "Validation Failed", Times: 5})
	applyOne(t, w, r)
	if v := r.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`); v != 1 {
		t.Fatalf("apply success metric %v", v)
	}
	if v := r.metric(t, `modelpromote_events_failed_total{event="pull_request"}`); v != 0 {
		t.Errorf("%v jobs failed", v)
	}
	if v := r.metric(t, `modelpromote_dashboard_updates_total{result="failed"}`); v != 1 {
		t.Errorf("dashboard failed metric %v", v)
	}
	if got := serving(t, w); got == nil || got.SourceVersion != 13 {
		t.Errorf("staging serves %+v, want v13", got)
	}
	if ds := botDashboards(w); len(ds) != 0 {
		t.Errorf("dashboards %+v", ds)
	}
	if !strings.Contains(r.logs.String(), "dashboard not updated") {
		t.Errorf("no log of the failed dashboard")
	}
}
