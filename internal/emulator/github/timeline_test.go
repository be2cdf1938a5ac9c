package ghemu_test

import (
	"fmt"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

type activity struct {
	Before       string      `json:"before"`
	After        string      `json:"after"`
	Ref          string      `json:"ref"`
	ActivityType string      `json:"activity_type"`
	Actor        github.User `json:"actor"`
}

type timelineEvent struct {
	Event           string                  `json:"event"`
	SHA             string                  `json:"sha"`
	Actor           *github.User            `json:"actor"`
	CommitID        string                  `json:"commit_id"`
	DismissedReview *github.DismissedReview `json:"dismissed_review"`
}

func get[T any](t *testing.T, c *github.Client, url string) (T, *github.Response) {
	t.Helper()
	var v T
	req, err := c.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(ctx, req, &v)
	if err != nil {
		t.Fatal(err)
	}
	return v, resp
}

// The repository activity names who pushed each change to a ref, and tells
// a force push apart; it pages by cursor, as GitHub does.
func TestActivityRecordsPushersAndForcePushes(t *testing.T) {
	f := newFixture(t)
	n, first := f.openPR(t, "promote", promotionChange)
	second, err := f.e.Push(repoName, "promote", ghemu.Change{Author: "bob", RecordedAs: "alice", Files: map[string]string{"notes.md": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ForcePush(repoName, "promote", first, "alice"); err != nil {
		t.Fatal(err)
	}
	var all []activity
	url := "repos/acme/models/activity?ref=refs/heads/promote&per_page=2"
	for pages := 0; url != ""; pages++ {
		page, resp := get[[]activity](t, f.bot, url)
		all = append(all, page...)
		url = ""
		if resp.After != "" {
			url = "repos/acme/models/activity?ref=refs/heads/promote&per_page=2&after=" + resp.After
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	got := ""
	for _, a := range all {
		got += fmt.Sprintf("%s by %s; ", a.ActivityType, a.Actor.GetLogin())
	}
	// Newest first: alice's force push, bob's push (recorded as alice's
	// commit), alice's first push creating the branch.
	if want := "force_push by alice; push by bob; branch_creation by alice; "; got != want {
		t.Errorf("activity %q, want %q", got, want)
	}
	if all[0].Before != second || all[0].After != first {
		t.Errorf("force push %s → %s, want %s → %s", all[0].Before, all[0].After, second, first)
	}
	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n)
	if err != nil || pr.GetHead().GetSHA() != first {
		t.Fatalf("head %s after the force push, want %s (%v)", pr.GetHead().GetSHA(), first, err)
	}
}

// The timeline lists the pull request's commits, the force push with its
// actor, and a dismissal with its actor and the review's previous state.
func TestTimelineRecordsForcePushesAndDismissals(t *testing.T) {
	f := newFixture(t)
	n, first := f.openPR(t, "promote", promotionChange)
	if _, err := f.e.Push(repoName, "promote", ghemu.Change{Author: "alice", Files: map[string]string{"notes.md": "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.e.ForcePush(repoName, "promote", first, "alice"); err != nil {
		t.Fatal(err)
	}
	id, err := f.e.Review(repoName, n, "bob", "REQUEST_CHANGES", "no")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.DismissReview(repoName, n, id, "alice", "done"); err != nil {
		t.Fatal(err)
	}
	events, _ := get[[]timelineEvent](t, f.bot, fmt.Sprintf("repos/acme/models/issues/%d/timeline", n))
	got := ""
	for _, ev := range events {
		got += ev.Event + " "
	}
	if want := "committed head_ref_force_pushed review_dismissed "; got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}
	if events[0].SHA != first || events[1].Actor.GetLogin() != "alice" || events[1].CommitID != first {
		t.Errorf("events %+v", events[:2])
	}
	d := events[2].DismissedReview
	if events[2].Actor.GetLogin() != "alice" || d == nil || d.GetReviewID() != id || d.GetState() != "changes_requested" {
		t.Errorf("dismissal by %s: %+v", events[2].Actor.GetLogin(), d)
	}
}

// "Lists a maximum of 250 commits for a pull request", while the pull
// request's commits count says how many there are.
func TestPullRequestCommitsListAtMost250(t *testing.T) {
	f := newFixture(t)
	n, _ := f.openPR(t, "promote", promotionChange)
	for i := 0; i < 250; i++ {
		if _, err := f.e.Push(repoName, "promote", ghemu.Change{Author: "alice", Files: map[string]string{"n.md": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	listed := 0
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := f.bot.PullRequests.ListCommits(ctx, "acme", "models", n, opts)
		if err != nil {
			t.Fatal(err)
		}
		listed += len(page)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	pr, _, _ := f.bot.PullRequests.Get(ctx, "acme", "models", n)
	if listed != 250 || pr.GetCommits() != 251 {
		t.Errorf("listed %d of %d commits, want 250 of 251", listed, pr.GetCommits())
	}
}
