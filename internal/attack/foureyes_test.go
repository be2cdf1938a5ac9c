package attack_test

import (
	"fmt"
	"strings"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Issue 12 §7: four eyes from GitHub's records, not commit metadata. Staging
// needs one approval from team:ml-leads (bob); alice opens the promotion.

const stagingKey = "fraud-detector/staging"

// Bob works on the promotion with alice, who credits him with a trailer;
// bob then approves it as if he were an independent reviewer.
func TestAttackCoAuthorApprovalDoesNotCount(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{
		Message: "Promote fraud-detector 13\n\nCo-authored-by: Bob <12345+bob@users.noreply.github.com>"})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "needs 1 approval(s)")
	if v := verdictOf(t, res.Plan, stagingKey, world.Bob); v.Counted || !strings.Contains(v.Reason, "co-authored") {
		t.Errorf("bob's approval: counted=%v reason=%q, want not counted as a co-author", v.Counted, v.Reason)
	}
	if !saidOnPR(w, n, "co-authored") {
		t.Error("the comment does not say bob co-authored the pull request")
	}
	mergeAnyway(t, w, n, "needs 1 approval(s)")
}

// Bob pushes the promotion commit under alice's name (git metadata is free
// text), then approves it.
func TestAttackApproverPushingUnderAnotherAuthorDoesNotCount(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{Author: world.Bob, RecordedAs: world.Alice})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "needs 1 approval(s)")
	if v := verdictOf(t, res.Plan, stagingKey, world.Bob); v.Counted || !strings.Contains(v.Reason, "pushed to promote-13") {
		t.Errorf("bob's approval: counted=%v reason=%q, want not counted as the pusher", v.Counted, v.Reason)
	}
	mergeAnyway(t, w, n, "needs 1 approval(s)")
}

// A commit authored by bob (pushed by alice) is force-pushed away before
// bob approves: his work shaped the branch, and the pull request no longer
// lists it.
func TestAttackForcePushedAwayAuthorDoesNotCount(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{})
	first, _ := w.GitHub.Branch(world.Repo, "promote-13")
	if _, err := w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Author: world.Alice, RecordedAs: world.Bob, Message: "tune the rollout",
		Files: map[string]string{"notes/rollout.md": "bob's rollout plan\n"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.ForcePush(world.Repo, "promote-13", first, world.Alice); err != nil {
		t.Fatal(err)
	}
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "needs 1 approval(s)")
	if v := verdictOf(t, res.Plan, stagingKey, world.Bob); v.Counted || !strings.Contains(v.Reason, "later force-pushed away") {
		t.Errorf("bob's approval: counted=%v reason=%q, want not counted as the author of a force-pushed-away commit", v.Counted, v.Reason)
	}
	mergeAnyway(t, w, n, "needs 1 approval(s)")
}

// 251 commits: GitHub lists 250, so the 251st author could be the
// approver. No approval counts.
func TestAttackMoreCommitsThanGitHubListsFailsClosed(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{})
	for i := 1; i <= 250; i++ {
		if _, err := w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Author: world.Alice, Message: fmt.Sprintf("note %d", i),
			Files: map[string]string{"notes/n.md": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "the pull request has 251 commits and GitHub lists only 250")
	mergeAnyway(t, w, n, "GitHub lists only 250")
}

// The policy names gus as a staging approver; gus has since lost write
// access to the repository, and approves anyway.
func TestAttackNamedApproverWithoutWriteAccessDoesNotCount(t *testing.T) {
	w := newWorld(t)
	cfg, _ := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	named := strings.Replace(cfg, "      approvers: [team:ml-leads]\n      reports: [modelQuality]\n", "      approvers: [gus]\n      reports: [modelQuality]\n", 1)
	if named == cfg {
		t.Fatal("staging approvers not found in modelpromote.yaml")
	}
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Author: world.Pat, Message: "staging: gus approves",
		Files: map[string]string{"promotions/modelpromote.yaml": named}}); err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.SetPermission(world.Repo, world.Gus, "read"); err != nil {
		t.Fatal(err)
	}
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{})
	approve(t, w, n, world.Gus)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "needs 1 approval(s)")
	if v := verdictOf(t, res.Plan, stagingKey, world.Gus); v.Counted || !strings.Contains(v.Reason, "no longer has write access") {
		t.Errorf("gus's approval: counted=%v reason=%q", v.Counted, v.Reason)
	}
	mergeAnyway(t, w, n, "needs 1 approval(s)")
}

// Gus asks for changes; alice, the author, dismisses his review and bob
// approves. The request still blocks: only an owner may lift it.
func TestAttackAuthorDismissingRequestedChangesStillBlocks(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{})
	id, err := w.GitHub.Review(world.Repo, n, world.Gus, "REQUEST_CHANGES", "v13 was trained on last month's data")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.DismissReview(world.Repo, n, id, world.Alice, "fixed"); err != nil {
		t.Fatal(err)
	}
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, stagingKey, plan.GateGovernance, "the dismissal by alice does not count: they are the pull request's author")
	mergeAnyway(t, w, n, "the dismissal by alice does not count")
}

// The control for the attack above: an owner's dismissal lifts the
// request, and the comment says who lifted it.
func TestOwnerDismissingRequestedChangesLiftsThem(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13", stagingTo13, ghemu.Change{})
	id, err := w.GitHub.Review(world.Repo, n, world.Gus, "REQUEST_CHANGES", "v13 was trained on last month's data")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.DismissReview(world.Repo, n, id, world.Pat, "checked: the data is current"); err != nil {
		t.Fatal(err)
	}
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("verdict %s; findings:\n%s", res.Verdict, findings(res.Plan))
	}
	if !saidOnPR(w, n, "requested changes, dismissed by owner pat") {
		t.Error("the comment does not say the owner pat lifted gus's request")
	}
}

// verdictOf returns login's review verdict in promotion key.
func verdictOf(t *testing.T, p *plan.Plan, key, login string) plan.ReviewVerdict {
	t.Helper()
	for _, pr := range p.Promotions {
		if pr.Key() != key || pr.Details.Approvals == nil {
			continue
		}
		for _, v := range pr.Details.Approvals.Reviews {
			if strings.EqualFold(v.Login, login) {
				return v
			}
		}
	}
	t.Fatalf("no review by %s on %s", login, key)
	return plan.ReviewVerdict{}
}
