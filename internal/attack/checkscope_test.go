package attack_test

import (
	"html"
	"strconv"
	"strings"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Issue 12 §8: a green check is reused out of the context it judged. A
// check run belongs to a commit, so GitHub's branch protection accepts any
// passing modelpromote check on the head commit; apply must accept only one
// that judged this pull request against the branch it was merged into.

// promotion13 pushes a branch promoting fraud-detector 13 to staging off
// from, and opens a pull request of it into base.
func promotion13(t *testing.T, w *world.World, branch, from, base string) (int, string) {
	t.Helper()
	model, _ := w.GitHub.File(world.Repo, from, "promotions/fraud-detector.yaml")
	if err := w.GitHub.CreateBranch(world.Repo, branch, from); err != nil {
		t.Fatal(err)
	}
	head, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "promote 13", Author: world.Alice,
		Files: map[string]string{"promotions/fraud-detector.yaml": strings.Replace(model, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote 13", Head: branch, Base: base, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n, head
}

func checkPasses(t *testing.T, w *world.World, n int) {
	t.Helper()
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != plan.StatusPass {
		t.Fatalf("the attack's premise failed: #%d's check is %s", n, res.Verdict)
	}
}

func assertRefused(t *testing.T, w *world.World, n int, want string) {
	t.Helper()
	w.AWS.ResetRequests()
	res, err := apply.Run(t.Context(), applyEnv(w), n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(res.Refused, "\n"), want) {
		t.Fatalf("apply of #%d: refused %q, want %q", n, res.Refused, want)
	}
	assertUntouched(t, w)
	cs := w.GitHub.Comments(world.Repo, n)
	if len(cs) == 0 || !strings.Contains(html.UnescapeString(cs[len(cs)-1].Body), want) {
		t.Errorf("the pull request was not told %q", want)
	}
}

func TestAttackRetargetedPullRequestDoesNotReuseItsCheck(t *testing.T) {
	w := newWorld(t)
	// Judged against an unprotected branch whose policy lets a governance
	// member approve staging ...
	if err := w.GitHub.CreateBranch(world.Repo, "release", "main"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	if _, err := w.GitHub.Push(world.Repo, "release", ghemu.Change{Message: "loosen", Author: world.Alice,
		Files: map[string]string{"promotions/modelpromote.yaml": strings.Replace(cfg, "      approvers: [team:ml-leads]\n", "      approvers: [team:ml-governance]\n", 1)}}); err != nil {
		t.Fatal(err)
	}
	n, _ := promotion13(t, w, "promote-13", "main", "release")
	if _, err := w.GitHub.Review(world.Repo, n, world.Gina, "APPROVE", "lgtm"); err != nil {
		t.Fatal(err)
	}
	checkPasses(t, w, n)
	// ... then retargeted to main and merged before the check runs again.
	if _, _, err := w.UserClient(world.Alice).PullRequests.Edit(t.Context(), world.Org, strings.TrimPrefix(world.Repo, world.Org+"/"), n,
		&gogh.PullRequest{Base: &gogh.PullRequestBranch{Ref: gogh.String("main")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Alice, "merge"); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, w, n, "judged #"+itoa(n)+" against release, but it was merged into main")
}

func TestAttackCheckOfAnotherPullRequestOnTheSameHeadDoesNotCount(t *testing.T) {
	w := newWorld(t)
	if err := w.GitHub.CreateBranch(world.Repo, "release", "main"); err != nil {
		t.Fatal(err)
	}
	// One head commit, two pull requests: the first is checked and green
	// (into release, approved there), the second goes into main unchecked.
	first, _ := promotion13(t, w, "promote-13", "main", "release")
	if _, err := w.GitHub.Review(world.Repo, first, world.Bob, "APPROVE", "lgtm"); err != nil {
		t.Fatal(err)
	}
	checkPasses(t, w, first)
	second, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote 13 (again)", Head: "promote-13", Base: "main", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Review(world.Repo, second, world.Bob, "APPROVE", "lgtm"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Merge(world.Repo, second, world.Alice, "merge"); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, w, second, "judged pull request #"+itoa(first)+", not #"+itoa(second))
}

func itoa(n int) string { return strconv.Itoa(n) }
