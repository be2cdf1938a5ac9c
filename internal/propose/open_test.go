package propose_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	gogh "github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

const fraudFile = "promotions/fraud-detector.yaml"

// newWorld is the example world: fraud-detector 1..13 registered, 12 live
// in staging and 11 in prod, as the manifest says.
func newWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.New(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions("fraud-detector", 13); err != nil {
		t.Fatal(err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 12, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	if err := w.Deploy(t.Context(), "prod", "fraud-detector", 11, "fraud-detector"); err != nil {
		t.Fatal(err)
	}
	return w
}

func env(w *world.World) propose.Env {
	return propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS()}
}

// pullRequests lists every pull request of the promotions repository.
func pullRequests(t *testing.T, w *world.World) []*gogh.PullRequest {
	t.Helper()
	prs, _, err := w.GitHub.Client(w.BotToken).PullRequests.List(t.Context(), world.Org, "ml-promotions", &gogh.PullRequestListOptions{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	return prs
}

func TestProposeFromACleanRepoOpensAPullRequest(t *testing.T) {
	w := newWorld(t)
	res, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != propose.ActionOpened || res.Number == 0 || res.Branch != "modelpromote/fraud-detector/staging-v13" || res.Commit == "" {
		t.Fatalf("result %+v", res)
	}
	pr, ok := w.GitHub.PullRequest(world.Repo, res.Number)
	if !ok || pr.State != "open" || pr.HeadRef != res.Branch || pr.BaseRef != "main" || pr.Title != "Promote fraud-detector v13 to staging" {
		t.Fatalf("pull request %+v", pr)
	}
	p, ok := propose.ParseBlock(pr.Body)
	if !ok || p.Kind != propose.KindPromote || p.Model != "fraud-detector" || p.Stage != "staging" || p.Version != 13 || p.FromVersion != 12 ||
		p.PackageARN != world.PackageARN("fraud-detector", 13) {
		t.Errorf("machine-readable block %+v in\n%s", p, pr.Body)
	}
	for _, want := range []string{world.PackageARN("fraud-detector", 13), "Approved", "Produced by", "Model data", "describe-model-package"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("description lacks %q:\n%s", want, pr.Body)
		}
	}
	// The branch holds the base file with that one version changed.
	base, _ := w.GitHub.File(world.Repo, "main", fraudFile)
	head, _ := w.GitHub.File(world.Repo, res.Branch, fraudFile)
	want := strings.Replace(base, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	if head != want || head == base {
		t.Errorf("branch file:\n%s", head)
	}
}

func TestProposeAgainUpdatesTheSamePullRequest(t *testing.T) {
	w := newWorld(t)
	first, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if err != nil {
		t.Fatal(err)
	}
	tip, _ := w.GitHub.Branch(world.Repo, first.Branch)
	// The same promotion, this time resolved from the registry.
	second, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", LatestApproved: true})
	if err != nil {
		t.Fatal(err)
	}
	if second.Number != first.Number || second.Branch != first.Branch || second.Commit != "" {
		t.Fatalf("second propose %+v, first %+v", second, first)
	}
	if second.Action != propose.ActionUpdated { // its description now says how v13 was chosen
		t.Errorf("second action %s", second.Action)
	}
	third, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", LatestApproved: true})
	if err != nil || third.Action != propose.ActionUnchanged || third.Number != first.Number {
		t.Fatalf("third propose %+v, %v", third, err)
	}
	if got := len(pullRequests(t, w)); got != 1 {
		t.Errorf("%d pull requests, want 1", got)
	}
	if now, _ := w.GitHub.Branch(world.Repo, first.Branch); now != tip {
		t.Errorf("the branch moved from %s to %s without a change", tip, now)
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, first.Number)
	if p, _ := propose.ParseBlock(pr.Body); p == nil || p.Resolved != "latest-approved" {
		t.Errorf("block %+v", p)
	}
}

func TestLatestApprovedPinsTheNewestApprovedVersion(t *testing.T) {
	w := newWorld(t)
	if _, err := w.SeedVersion(world.Version{Group: "fraud-detector", Approval: "PendingManualApproval"}); err != nil { // v14
		t.Fatal(err)
	}
	res, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", LatestApproved: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Proposal.Version != 13 || res.Branch != "modelpromote/fraud-detector/staging-v13" {
		t.Fatalf("resolved v%d on %s, want the newest approved, v13", res.Proposal.Version, res.Branch)
	}
	head, _ := w.GitHub.File(world.Repo, res.Branch, fraudFile)
	if !strings.Contains(head, "  staging:\n    version: 13\n") {
		t.Errorf("the version is not pinned in the file:\n%s", head)
	}
}

func TestProposeRefusesAVersionThatIsNotApproved(t *testing.T) {
	w := newWorld(t)
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", Approval: "Rejected"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: v})
	if err == nil || !strings.Contains(err.Error(), "Rejected") {
		t.Fatalf("error %v", err)
	}
	if len(pullRequests(t, w)) != 0 {
		t.Error("a pull request was opened")
	}
}

func TestProposeWhatTheBaseAlreadyNamesDoesNothing(t *testing.T) {
	w := newWorld(t)
	res, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "prod", Version: 11})
	if err != nil || res.Action != propose.ActionNone || res.Number != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, ok := w.GitHub.Branch(world.Repo, res.Branch); ok {
		t.Error("a branch was created")
	}
}

// interceptor runs before once, just before the first request that
// matches, as another writer racing the bot would.
type interceptor struct {
	base    http.RoundTripper
	matches func(*http.Request) bool
	before  func()
	once    sync.Once
}

func (i *interceptor) RoundTrip(r *http.Request) (*http.Response, error) {
	if i.matches(r) {
		i.once.Do(i.before)
	}
	return i.base.RoundTrip(r)
}

func TestConcurrentEditOfTheFileIsDetected(t *testing.T) {
	w := newWorld(t)
	branch := "modelpromote/fraud-detector/staging-v13"
	theirs := "# someone else's edit\n"
	hc := w.HTTPClient()
	ic := &interceptor{base: hc.Transport,
		matches: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/contents/")
		},
		before: func() {
			cur, _ := w.GitHub.File(world.Repo, branch, fraudFile)
			if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "edit", Author: world.Alice,
				Files: map[string]string{fraudFile: theirs + cur}}); err != nil {
				t.Error(err)
			}
		}}
	gh := gogh.NewClient(&http.Client{Transport: ic}).WithAuthToken(w.BotToken)
	gh.BaseURL, _ = url.Parse(w.GitHub.URL())
	e := env(w)
	e.Repo = github.NewRepo(gh, world.Org, "ml-promotions")

	_, err := propose.Open(t.Context(), e, propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if !errors.Is(err, github.ErrConflict) || !strings.Contains(err.Error(), "nothing was overwritten") {
		t.Fatalf("error %v, want a conflict", err)
	}
	head, _ := w.GitHub.File(world.Repo, branch, fraudFile)
	if !strings.HasPrefix(head, theirs) || strings.Contains(head, "version: 13") {
		t.Errorf("the concurrent edit was overwritten:\n%s", head)
	}
	if len(pullRequests(t, w)) != 0 {
		t.Error("a pull request was opened after the conflict")
	}
	// Proposing again starts from their content and keeps it.
	res, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if err != nil {
		t.Fatal(err)
	}
	head, _ = w.GitHub.File(world.Repo, branch, fraudFile)
	if res.Action != propose.ActionOpened || !strings.HasPrefix(head, theirs) || !strings.Contains(head, "  staging:\n    version: 13\n") {
		t.Errorf("%+v\n%s", res, head)
	}
}

func TestALeftOverBranchStartsAgainFromTheBase(t *testing.T) {
	w := newWorld(t)
	first, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if err != nil {
		t.Fatal(err)
	}
	closed := "closed"
	if _, _, err := w.GitHub.Client(w.BotToken).PullRequests.Edit(t.Context(), world.Org, "ml-promotions", first.Number, &gogh.PullRequest{State: &closed}); err != nil {
		t.Fatal(err)
	}
	// Meanwhile prod moved on the base branch.
	base, _ := w.GitHub.File(world.Repo, "main", fraudFile)
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "prod", Author: world.Pat,
		Files: map[string]string{fraudFile: strings.Replace(base, "  prod:\n    version: 11\n", "  prod:\n    version: 10\n", 1)}}); err != nil {
		t.Fatal(err)
	}
	second, err := propose.Open(t.Context(), env(w), propose.Request{Model: "fraud-detector", Stage: "staging", Version: 13})
	if err != nil {
		t.Fatal(err)
	}
	if second.Action != propose.ActionOpened || second.Number == first.Number {
		t.Fatalf("second %+v", second)
	}
	head, _ := w.GitHub.File(world.Repo, second.Branch, fraudFile)
	if !strings.Contains(head, "  prod:\n    version: 10\n") || !strings.Contains(head, "  staging:\n    version: 13\n") {
		t.Errorf("the branch does not start from the current base:\n%s", head)
	}
}

func TestBranchNamesAndTitlesStayWithinGitHubLimits(t *testing.T) {
	long := strings.Repeat("m", 300)
	p := propose.Proposal{Model: long, Stage: "prod..x.lock", Version: 7, After: long}
	b := p.Branch()
	if len(b) > propose.MaxBranch || strings.Contains(b, "..") || !strings.HasPrefix(b, "modelpromote/") {
		t.Errorf("branch %q (%d bytes)", b, len(b))
	}
	q := p
	q.Version = 8
	if q.Branch() == b {
		t.Error("two long promotions share a branch")
	}
	if got := []rune(p.Title()); len(got) > propose.MaxTitle {
		t.Errorf("title of %d characters", len(got))
	}
	short := propose.Proposal{Model: "fraud-detector", Stage: "prod", Version: 12}
	if short.Branch() != "modelpromote/fraud-detector/prod-v12" {
		t.Errorf("branch %q", short.Branch())
	}
}
