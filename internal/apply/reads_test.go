package apply_test

import (
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Apply reads the default branch's tip once (git/get-ref): admit judges
// the merge against it and superseded reads the manifests there. When the
// merge is the tip, nothing needs comparing; when main has moved on, one
// comparison says the merge is in its history. It used to compare against
// the branch and read the tip again for superseded.
func TestApplyReadsTheDefaultBranchTipOnce(t *testing.T) {
	for _, c := range []struct {
		name        string
		moveOn      bool
		wantCompare int
	}{
		{name: "the merge is the tip", wantCompare: 0},
		{name: "main has moved on", moveOn: true, wantCompare: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, world.Options{})
			// prod: the last stage, so no follow-up pull request reads the branch too.
			n := mergedPR(t, w, prodChange)
			if c.moveOn {
				if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "docs", Author: world.Pat, Files: map[string]string{"README.md": "later\n"}}); err != nil {
					t.Fatal(err)
				}
			}
			w.GitHub.ResetCalls()
			res := runApply(t, applyEnv(w), n)
			if res.Failed() || len(res.Outcomes) != 1 {
				t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
			}
			if got := w.GitHub.Calls("git/get-ref"); got != 1 {
				t.Errorf("the default branch's tip was read %d times, want once (calls %v)", got, w.GitHub.CallCounts())
			}
			if got := w.GitHub.Calls("repos/compare-commits"); got != c.wantCompare {
				t.Errorf("%d comparisons, want %d", got, c.wantCompare)
			}
		})
	}
}
