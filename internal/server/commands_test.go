package server_test

import (
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

func TestSlashCommandsAndRerequests(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := openPR(t, w)
	r.idle(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	runs := checkRuns(w, pr.HeadSHA)
	if runs != 1 {
		t.Fatalf("%d check runs after opening", runs)
	}
	w.GitHub.CreateUser("mallory") // no access to the repository

	for _, tc := range []struct {
		user, body string
		checks     bool
	}{
		{world.Alice, "/modelpromote recheck", true},
		{world.Bob, "/modelpromote plan\nplease", true},
		{"mallory", "/modelpromote recheck", false},
		{world.Alice, "please /modelpromote recheck", false},
		{world.Alice, "/modelpromote deploy", false},
	} {
		if _, err := w.GitHub.Comment(world.Repo, n, tc.user, tc.body); err != nil {
			t.Fatal(err)
		}
		r.idle(t)
		got := checkRuns(w, pr.HeadSHA)
		if ran := got > runs; ran != tc.checks {
			t.Errorf("%s commenting %q: checked %v, want %v", tc.user, tc.body, ran, tc.checks)
		}
		runs = got
	}

	if err := w.GitHub.RerequestCheckRun(world.Repo, latestCheck(t, w, n).ID, world.Alice); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if got := checkRuns(w, pr.HeadSHA); got != runs+1 {
		t.Errorf("re-run: %d check runs, want %d", got, runs+1)
	}
	if len(reportComments(w, n)) != 1 {
		t.Errorf("%d report comments, want one edited in place", len(reportComments(w, n)))
	}
	// The bot's own comments and check runs came back as deliveries and
	// were ignored.
	if v := r.metric(t, `modelpromote_webhook_events_ignored_total{event="check_run"}`); v == 0 {
		t.Error("no check_run event ignored")
	}
}

func TestRepositoriesNotConfiguredAreIgnored(t *testing.T) {
	w := newWorld(t, world.Options{})
	if _, err := w.GitHub.CreateRepo("acme/notebooks", map[string]string{"README.md": "notebooks\n"}); err != nil {
		t.Fatal(err)
	}
	r := newReplica(t, w, replicaOptions{Options: server.Options{Repos: []string{"acme/notebooks", "other/*"}}})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})

	n := openPR(t, w) // acme/ml-promotions: not in the allow-list
	if err := w.GitHub.CreateBranch("acme/notebooks", "idea", "main"); err != nil {
		t.Fatal(err)
	}
	sha, err := w.GitHub.Push("acme/notebooks", "idea", ghemu.Change{Message: "idea", Author: world.Alice, Files: map[string]string{"idea.md": "x\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.OpenPullRequest("acme/notebooks", ghemu.PullRequestSpec{Title: "idea", Head: "idea", Author: world.Alice}); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if got := checkRuns(w, pr.HeadSHA); got != 0 {
		t.Errorf("%d check runs on a repository outside the allow-list", got)
	}
	if got := len(w.GitHub.CheckRuns("acme/notebooks", sha)); got != 0 {
		t.Errorf("%d check runs on a repository without promotions/modelpromote.yaml", got)
	}
	if v := r.metric(t, `modelpromote_events_processed_total{event="pull_request"}`); v != 1 {
		t.Errorf("processed %v pull_request events, want 1 (the notebooks one, skipped)", v)
	}
}
