package github_test

import (
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// reviewed opens a pull request with n reviews.
func reviewed(t testing.TB, w *world.World, n int) int {
	t.Helper()
	if err := w.GitHub.CreateBranch(world.Repo, "many-reviews", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "many-reviews", ghemu.Change{Message: "m", Author: world.Alice, Files: map[string]string{"notes.md": "x"}}); err != nil {
		t.Fatal(err)
	}
	pr, err := w.GitHub.OpenPullRequest(world.Repo, ghemuSpec("many-reviews"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		who := []string{world.Bob, world.Gina, world.Gus}[i%3]
		if _, err := w.GitHub.Review(world.Repo, pr, who, "COMMENT", "looked"); err != nil {
			t.Fatal(err)
		}
	}
	return pr
}

// A pull request's reviews come in GitHub's order, every one once, however
// many pages they fill; the pages after the first are read at once, within
// the bound, instead of one round trip after another.
func TestReviewsReadsPagesAtOnceInOrder(t *testing.T) {
	w := newWorld(t)
	pr := reviewed(t, w, 450)
	want := w.GitHub.Reviews(world.Repo, pr)
	w.GitHub.SetLatency("pulls/list-reviews", 20*time.Millisecond) // keep the pages in flight together
	w.GitHub.ResetCalls()
	got, err := w.BotRepo().Reviews(t.Context(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != 450 {
		t.Fatalf("%d reviews, want %d (the emulator holds %d)", len(got), 450, len(want))
	}
	seen := map[int64]bool{}
	for i, rv := range got {
		if seen[rv.ID] {
			t.Fatalf("review %d listed twice", rv.ID)
		}
		seen[rv.ID] = true
		if i > 0 && rv.ID < got[i-1].ID {
			t.Fatalf("review %d listed after %d: not GitHub's order", rv.ID, got[i-1].ID)
		}
	}
	if calls := w.GitHub.Calls("pulls/list-reviews"); calls != 5 {
		t.Errorf("%d list calls for 5 pages", calls)
	}
	// One page after another peaks at 1, or 2 when the next request arrives
	// before the emulator has counted the last one finished.
	if peak := w.GitHub.PeakInFlight("pulls/list-reviews"); peak < 3 || peak > 5 {
		t.Errorf("at most %d pages in flight at once, want 3 to 5 (pages 2–5 together, bounded by 4)", peak)
	}
}

// BenchmarkReviews500 reads 500 reviews (5 pages) at 100 ms per GitHub call.
// One page after another it took 5 round trips; now it takes 2.
func BenchmarkReviews500(b *testing.B) {
	w, err := worldtest.New(b, world.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pr := reviewed(b, w, 500)
	w.GitHub.SetLatency("pulls/list-reviews", 100*time.Millisecond)
	repo := w.BotRepo()
	for b.Loop() {
		if _, err := repo.Reviews(b.Context(), pr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(100*time.Millisecond), "round-trips/op")
}
