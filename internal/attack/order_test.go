package attack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// openStaging opens a pull request moving fraud-detector's staging version
// from one version to another on main.
func openStaging(t *testing.T, w *world.World, from, to int) int {
	t.Helper()
	model, _ := w.GitHub.File(world.Repo, "main", "promotions/fraud-detector.yaml")
	next := strings.Replace(model, fmt.Sprintf("  staging:\n    version: %d\n", from), fmt.Sprintf("  staging:\n    version: %d\n", to), 1)
	if next == model {
		t.Fatalf("staging is not on %d on main", from)
	}
	branch := fmt.Sprintf("staging-%d-%d-%d", from, to, time.Now().UnixNano())
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "staging to " + fmt.Sprint(to), Author: world.Alice,
		Files: map[string]string{"promotions/fraud-detector.yaml": next}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "staging", Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mergeStaging opens, approves, checks and merges a pull request moving
// fraud-detector's staging version from one version to another on main.
func mergeStaging(t *testing.T, w *world.World, from, to int) int {
	t.Helper()
	n := openStaging(t, w, from, to)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "lgtm"); err != nil {
		t.Fatal(err)
	}
	checkPasses(t, w, n)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Alice, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 12 §5: an older merge applied after a newer one for the same
// endpoint (a manual rerun, reconciliation after a lost delivery, a rerun
// after a failed rollout) must not put the endpoint back on the older
// version while main says the newer.
func TestAttackOlderMergeAppliedAfterANewerOneIsNotApplied(t *testing.T) {
	w := newWorld(t)
	older := mergeStaging(t, w, 12, 13) // its delivery is "lost": not applied
	newer := mergeStaging(t, w, 13, 11)
	res, err := apply.Run(t.Context(), applyEnv(w), newer)
	if err != nil || res.Failed() {
		t.Fatalf("the newer merge: %v %+v %q", err, res.Outcomes, res.Refused)
	}
	if got := servingVersion(t, w, "fraud-detector-staging"); got != 11 {
		t.Fatalf("staging serves v%d after the newer merge, want 11", got)
	}
	w.AWS.ResetRequests()
	res, err = apply.Run(t.Context(), applyEnv(w), older)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].State != apply.StateSuperseded || !strings.Contains(res.Outcomes[0].Error, "v11") {
		t.Fatalf("the older merge: %+v, refused %q", res.Outcomes, res.Refused)
	}
	for _, r := range w.AWS.Requests() {
		if isWrite(r.Operation) {
			t.Errorf("AWS was written to: %s %s in %s", r.Service, r.Operation, r.Account)
		}
	}
	if got := servingVersion(t, w, "fraud-detector-staging"); got != 11 {
		t.Errorf("staging serves v%d, want 11 (main's)", got)
	}
	cs := w.GitHub.Comments(world.Repo, older)
	if len(cs) == 0 || !strings.Contains(cs[len(cs)-1].Body, "superseded by a later merge") {
		t.Error("the older pull request was not told it was superseded")
	}
}
