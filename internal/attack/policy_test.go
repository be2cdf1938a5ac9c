package attack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/check"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// loosenedBranch is the attack of issue 12 §1: the attacker (a writer who is
// not a platform owner) pushes an unprotected branch whose modelpromote.yaml
// lets any governance member approve staging, opens a promotion into that
// branch, has it approved under the loosened policy (the check passes,
// judged by that branch's configuration), and merges it. It returns the
// pull request's number.
func loosenedBranch(t *testing.T, w *world.World) int {
	t.Helper()
	const branch = "release"
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	cfg, ok := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	if !ok {
		t.Fatal("no configuration on main")
	}
	loose := strings.Replace(cfg, "      approvers: [team:ml-leads]\n", "      approvers: [team:ml-governance]\n", 1)
	if loose == cfg {
		t.Fatal("the example configuration changed: the attack no longer loosens it")
	}
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "loosen staging", Author: world.Alice,
		Files: map[string]string{"promotions/modelpromote.yaml": loose}}); err != nil {
		t.Fatal(err)
	}
	model, _ := w.GitHub.File(world.Repo, branch, "promotions/fraud-detector.yaml")
	promoted := strings.Replace(model, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	if promoted == model {
		t.Fatal("the example model file changed: staging is not on 12")
	}
	if err := w.GitHub.CreateBranch(world.Repo, "promote-13", branch); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Message: "promote 13", Author: world.Alice,
		Files: map[string]string{"promotions/fraud-detector.yaml": promoted}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote 13", Head: "promote-13", Base: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	// Gina is in ml-governance, not ml-leads: main's policy would not count her.
	if _, err := w.GitHub.Review(world.Repo, n, world.Gina, "APPROVE", "lgtm"); err != nil {
		t.Fatal(err)
	}
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != plan.StatusPass {
		t.Fatalf("the attack's premise failed: the check under the branch's own policy is %s", res.Verdict)
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Alice, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

func afterSoak() time.Time { return time.Now().Add(25 * time.Hour) }

func newWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.Example(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// assertUntouched fails when anything was written to AWS since the last
// reset (re-verifying reads), or when staging no longer serves 12.
func assertUntouched(t *testing.T, w *world.World) {
	t.Helper()
	for _, r := range w.AWS.Requests() {
		if isWrite(r.Operation) {
			t.Errorf("AWS was written to: %s %s in %s", r.Service, r.Operation, r.Account)
		}
	}
	if got := servingVersion(t, w, "fraud-detector-staging"); got != 12 {
		t.Errorf("staging serves v%d, want 12", got)
	}
}

// assertTold fails unless the pull request's last comment refuses the apply
// for the branch it was merged into.
func assertTold(t *testing.T, w *world.World, n int) {
	t.Helper()
	cs := w.GitHub.Comments(world.Repo, n)
	if len(cs) == 0 {
		t.Fatal("the pull request was not told")
	}
	last := cs[len(cs)-1].Body
	if !strings.Contains(last, "Apply refused") || !strings.Contains(last, "not the default branch") {
		t.Errorf("the comment does not say why:\n%s", last)
	}
}

func TestAttackMergeIntoAnotherBranchIsNotAppliedByTheCore(t *testing.T) {
	w := newWorld(t)
	n := loosenedBranch(t, w)
	w.AWS.ResetRequests()
	for _, run := range []struct {
		name string
		do   func() ([]string, error)
	}{
		{"apply.Run", func() ([]string, error) {
			r, err := apply.Run(t.Context(), applyEnv(w), n)
			if err != nil {
				return nil, err
			}
			return r.Refused, nil
		}},
		{"apply.RunForCommit", func() ([]string, error) {
			pr, _ := w.GitHub.PullRequest(world.Repo, n)
			sha := pr.MergeCommitSHA
			r, err := apply.RunForCommit(t.Context(), applyEnv(w), sha)
			if err != nil {
				return nil, err
			}
			return r.Refused, nil
		}},
		{"apply.Plan", func() ([]string, error) {
			r, err := apply.Plan(t.Context(), applyEnv(w), n)
			if err != nil {
				return nil, err
			}
			return r.Refused, nil
		}},
	} {
		refused, err := run.do()
		if err != nil {
			t.Fatalf("%s: %v", run.name, err)
		}
		if len(refused) == 0 || !strings.Contains(refused[0], "merged into release, not the default branch main") {
			t.Errorf("%s: refused %q", run.name, refused)
		}
	}
	assertUntouched(t, w)
	assertTold(t, w, n)
}

func servingVersion(t *testing.T, w *world.World, endpoint string) int {
	t.Helper()
	s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(w.AdminAWS(world.StagingAccount)), endpoint)
	if err != nil || s == nil {
		t.Fatalf("trace %s: %v", endpoint, err)
	}
	return s.SourceVersion
}

func applyEnv(w *world.World) apply.Env {
	return apply.Env{Repo: w.BotRepo(), AppID: w.GitHub.App().ID, AWS: w.BotAWS(), S3PathStyle: true, Poll: 5 * time.Millisecond, EndpointTimeout: 20 * time.Second, Now: afterSoak}
}
