package apply_test

import (
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
	"github.com/modelpromote/modelpromote/internal/github"
)

// TestStatus reads apply's progress on a merge from its deployments, as
// the real client finds them on the GitHub emulator: the bot's and
// another user's (the Action's token, say).
func TestStatus(t *testing.T) {
	e := ghemutest.New(t)
	sha, err := e.CreateRepo("acme/p", map[string]string{"promotions/modelpromote.yaml": "x: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	alice := e.CreateUser("alice")
	if err := e.SetPermission("acme/p", "alice", "write"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.InstallationToken(e.Install("acme"))
	if err != nil {
		t.Fatal(err)
	}
	bot, user := github.NewRepo(e.Client(tok), "acme", "p"), github.NewRepo(e.Client(alice), "acme", "p")
	ctx := t.Context()
	const lease = time.Hour
	status := func(at time.Time) apply.MergeStatus {
		t.Helper()
		st, err := apply.Status(ctx, bot, sha, at, lease)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	deploy := func(repo *github.Repo, env string) int64 {
		t.Helper()
		id, err := repo.CreateDeployment(ctx, github.DeploymentSpec{SHA: sha, Task: apply.DeploymentTask, Environment: env})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	set := func(repo *github.Repo, id int64, state string) {
		t.Helper()
		if err := repo.SetDeploymentStatus(ctx, id, state, "", state); err != nil {
			t.Fatal(err)
		}
	}

	if st := status(time.Now()); st.Progress != apply.NotStarted || st.Finished() {
		t.Fatalf("no deployment: %+v", st)
	}
	// Another task's deployments of the merge (the server's lease) are not
	// apply's.
	if _, err := bot.CreateDeployment(ctx, github.DeploymentSpec{SHA: sha, Task: "lock:modelpromote", Environment: "lease"}); err != nil {
		t.Fatal(err)
	}
	if st := status(time.Now()); st.Progress != apply.NotStarted {
		t.Fatalf("a lease only: %+v", st)
	}

	staging := deploy(bot, "staging/m")
	set(bot, staging, "success")
	prod := deploy(user, "prod/m")
	set(user, prod, "in_progress")
	st := status(time.Now())
	if st.Progress != apply.InProgress || st.Finished() || st.InProgressByOther(e.App().BotLogin) != "alice" || st.InProgressByOther("Alice") != "" {
		t.Fatalf("alice deploying prod: %+v", st)
	}
	if st := status(time.Now().Add(2 * lease)); st.Progress != apply.Interrupted || st.Finished() || st.InProgressByOther("x") != "" {
		t.Fatalf("alice's status gone stale: %+v", st)
	}
	set(user, prod, "error")
	if st := status(time.Now()); st.Progress != apply.Interrupted {
		t.Fatalf("an errored deployment: %+v", st)
	}
	set(user, prod, "failure")
	if st := status(time.Now()); st.Progress != apply.Failed || !st.Finished() {
		t.Fatalf("prod failed: %+v", st)
	}
	set(bot, prod, "success")
	if st := status(time.Now()); st.Progress != apply.Applied || !st.Finished() {
		t.Fatalf("both succeeded: %+v", st)
	}
	// A later merge's success makes this one's inactive: still applied,
	// by apply's own rule (Deployment.Done).
	later, err := e.Push("acme/p", "main", ghemu.Change{Message: "next", Files: map[string]string{"promotions/m.yaml": "v: 2\n"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := bot.CreateDeployment(ctx, github.DeploymentSpec{SHA: later, Task: apply.DeploymentTask, Environment: "staging/m"})
	if err != nil {
		t.Fatal(err)
	}
	set(bot, id, "success")
	if st := status(time.Now()); st.Progress != apply.Applied {
		t.Fatalf("after a later merge made staging inactive: %+v", st)
	}
}
