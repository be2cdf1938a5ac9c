package github_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

func newWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.New(t, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// GitHub takes at most 50 annotations per check-run request: more are sent
// in follow-up updates, which append. The emulator refuses a 51st. The
// batches before the last go at once; the last, which completes the run,
// after them.
func TestCheckRunWithMoreThanFiftyAnnotations(t *testing.T) {
	w := newWorld(t)
	w.GitHub.SetLatency("checks/update", 200*time.Millisecond)
	repo := w.BotRepo()
	sha, _ := w.GitHub.Branch(world.Repo, "main")
	run, err := repo.StartCheckRun(t.Context(), sha, github.CheckScope{PR: 1, BaseRef: "main"})
	if err != nil {
		t.Fatal(err)
	}
	out := report.CheckRunOutput{Name: report.CheckRunName, Conclusion: report.ConclusionFailure, Title: "many problems", Summary: "s", Text: "t"}
	for i := 1; i <= 120; i++ {
		out.Annotations = append(out.Annotations, report.Annotation{Path: "promotions/fraud-detector.yaml", StartLine: i, EndLine: i,
			Level: report.LevelFailure, Message: fmt.Sprintf("problem %d", i)})
	}
	if err := repo.FinishCheckRun(t.Context(), run, out); err != nil {
		t.Fatal(err)
	}
	runs := w.GitHub.CheckRuns(world.Repo, sha)
	got := runs[len(runs)-1]
	if got.Status != "completed" || got.Conclusion != "failure" || len(got.Annotations) != 120 {
		t.Fatalf("check run %s/%s with %d annotations, want completed/failure with 120", got.Status, got.Conclusion, len(got.Annotations))
	}
	if got.Annotations[119].Message != "problem 120" {
		t.Errorf("last annotation %+v", got.Annotations[119])
	}
	seen := map[string]bool{}
	for _, a := range got.Annotations {
		seen[a.Message] = true
	}
	if len(seen) != 120 {
		t.Errorf("%d distinct annotations, want 120", len(seen))
	}
	if n := w.GitHub.Calls("checks/update"); n != 3 {
		t.Errorf("%d check-run updates, want 3 (50 + 50 + 20)", n)
	}
	if p := w.GitHub.PeakInFlight("checks/update"); p != 2 {
		t.Errorf("at most %d check-run updates in flight, want the first two batches at once (2)", p)
	}
}

func TestReportCommentIsEditedInPlaceAndNotCapturedByPeople(t *testing.T) {
	w := newWorld(t)
	repo := w.BotRepo()
	if err := w.GitHub.CreateBranch(world.Repo, "x", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "x", ghemu.Change{Message: "m", Author: world.Alice, Files: map[string]string{"notes.md": "x"}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemuSpec("x"))
	if err != nil {
		t.Fatal(err)
	}
	// A person quoting the marker must not capture the bot's comment.
	if _, err := w.GitHub.Comment(world.Repo, n, world.Alice, report.CommentMarker+" quoting the bot"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := repo.UpsertComment(ctx, n, fmt.Sprintf("%s\nreport %d", report.CommentMarker, i)); err != nil {
			t.Fatal(err)
		}
	}
	var bot []string
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if c.User != world.Alice {
			bot = append(bot, c.Body)
		}
	}
	if len(bot) != 1 || !strings.HasSuffix(bot[0], "report 2") {
		t.Errorf("bot comments %q, want one edited to the latest report", bot)
	}
}

// The Actions GITHUB_TOKEN cannot read team membership: the lookup is an
// error that names the fix, so the approval does not count.
func TestTeamLookupWithActionsTokenFailsClosed(t *testing.T) {
	w := newWorld(t)
	tok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	repo := github.NewRepo(w.GitHub.Client(tok), world.Org, "ml-promotions")
	_, err = github.Directory{Repo: repo}.IsTeamMember(t.Context(), "ml-governance", world.Gina)
	if err == nil || !strings.Contains(err.Error(), "members:read") {
		t.Fatalf("err = %v", err)
	}
	facts := plan.PullRequestFacts{Author: world.Alice, HeadSHA: "h", Reviews: []plan.Review{{ID: 1, Login: world.Gina, State: plan.ReviewApproved, CommitID: "h"}}}
	a := plan.JudgeApprovals(t.Context(), facts, 1, plan.NewApprovers([]string{"team:ml-governance"}, github.Directory{Repo: repo}))
	if a.Counted != 0 || !strings.Contains(a.Reviews[0].Reason, "could not verify team membership") {
		t.Errorf("approvals %+v", a.Reviews)
	}
	// With the App's installation token, the same lookup works.
	ok, err := github.Directory{Repo: w.BotRepo()}.IsTeamMember(t.Context(), "ml-governance", world.Gina)
	if err != nil || !ok {
		t.Errorf("App token: %v %v", ok, err)
	}
}

func ghemuSpec(branch string) ghemu.PullRequestSpec {
	return ghemu.PullRequestSpec{Title: "t", Head: branch, Author: world.Alice}
}

// Secondary rate limits (403 or 429 with Retry-After) are answered without
// doing the work: the request is sent again after the wait, writes too.
func TestSecondaryRateLimitsAreRetriedAfterTheirWait(t *testing.T) {
	w := newWorld(t)
	var waits []time.Duration
	rt := &github.RetryTransport{Sleep: func(d time.Duration, _ <-chan struct{}) bool {
		waits = append(waits, d)
		return true
	}}
	gh, err := github.NewClient(w.GitHub.URL(), w.BotToken, rt)
	if err != nil {
		t.Fatal(err)
	}
	repo := github.NewRepo(gh, world.Org, "ml-promotions")
	w.GitHub.InjectFault("repos/get-commit", ghemu.SecondaryRateLimit(2, 403, 3*time.Second))
	w.GitHub.InjectFault("checks/create", ghemu.SecondaryRateLimit(1, 429, 1*time.Second))
	sha, _ := w.GitHub.Branch(world.Repo, "main")
	if _, err := repo.FirstParent(t.Context(), sha); err != nil && !strings.Contains(err.Error(), "no parent") {
		t.Fatalf("read after secondary limits: %v", err)
	}
	if _, err := repo.StartCheckRun(t.Context(), sha, github.CheckScope{PR: 1, BaseRef: "main"}); err != nil {
		t.Fatalf("write after a secondary limit: %v", err)
	}
	if fmt.Sprint(waits) != "[3s 3s 1s]" {
		t.Errorf("waited %v, want the Retry-After of each answer", waits)
	}
	if runs := w.GitHub.CheckRuns(world.Repo, sha); len(runs) != 1 {
		t.Errorf("%d check runs: a retried write must happen once", len(runs))
	}
	// A wait longer than a minute is not slept: the error is returned.
	w.GitHub.InjectFault("pulls/get", ghemu.SecondaryRateLimit(1, 403, 10*time.Minute))
	if _, _, err := repo.PullRequest(t.Context(), 1); err == nil {
		t.Error("a 10-minute Retry-After was slept through")
	}
}
