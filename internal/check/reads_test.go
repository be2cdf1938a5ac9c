package check_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// A merge queue's first entry is built on the branch's head, which is also
// the commit policy comes from and the pull request's merge base: the
// check reads each commit's tree once (main, the pull request's head, the
// queue commit), not once per use. It read five trees before.
func TestMergeQueueCheckReadsEachTreeOnce(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", func(s string) string {
		return strings.Replace(s, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	})
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	entry, err := w.GitHub.Enqueue(world.Repo, n, world.Pat)
	if err != nil {
		t.Fatal(err)
	}
	e := env(w)
	e.Report = false
	e.Queue = &check.Queue{Ref: "refs/heads/" + entry.Ref, BaseRef: "refs/heads/main", BaseSHA: entry.BaseSHA, HeadSHA: entry.HeadSHA}
	w.GitHub.ResetCalls()
	res := run(t, e, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("verdict %s", res.Verdict)
	}
	if got := w.GitHub.Calls("git/get-tree"); got != 3 {
		t.Errorf("%d tree reads, want 3: main, the pull request's head and the queue commit (calls %v)", got, w.GitHub.CallCounts())
	}
}

// A check reads the pull request once: who contributed and the
// break-glass label are taken from that read, not from two more.
func TestCheckReadsThePullRequestOnce(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-13", func(s string) string {
		return strings.Replace(s, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	})
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.ResetCalls()
	if res := run(t, env(w), n); res.Verdict != plan.StatusPass {
		t.Fatalf("verdict %s", res.Verdict)
	}
	if got := w.GitHub.Calls("pulls/get"); got != 1 {
		t.Errorf("the pull request was read %d times, want once (calls %v)", got, w.GitHub.CallCounts())
	}
}
