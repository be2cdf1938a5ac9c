package check

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// TestQueueCommitMustChangeWhatWasReviewed: the queue commit passes only
// when it changes the promotions directory as the pull request does, from
// the same content to the same content.
func TestQueueCommitMustChangeWhatWasReviewed(t *testing.T) {
	const f = "promotions/fraud.yaml"
	v12, v13 := []byte("staging: 12\n"), []byte("staging: 13\n")
	tree := func(kv ...any) manifest.Tree {
		out := manifest.Tree{"promotions/modelpromote.yaml": []byte("policy\n")}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].([]byte)
		}
		return out
	}
	reviewedBase, reviewedHead := tree(f, v12), tree(f, v13)
	for _, tc := range []struct {
		name                 string
		queueBase, queueHead manifest.Tree
		want                 string // "" passes
	}{
		{"the same change on a newer base", tree(f, v12, "promotions/churn.yaml", []byte("x\n")), tree(f, v13, "promotions/churn.yaml", []byte("x\n")), ""},
		{"merged with a change ahead", tree(f, append([]byte("# owners\n"), v12...)), tree(f, append([]byte("# owners\n"), v13...)), "from other content"},
		{"other content at the head", tree(f, v12), tree(f, []byte("staging: 14\n")), "not the reviewed head's"},
		{"already made ahead", tree(f, v13), tree(f, v13), "does not"},
		{"a file the pull request does not change", tree(f, v12), tree(f, v13, "promotions/new.yaml", []byte("y\n")), "promotions/new.yaml in the queue commit"},
		{"deleted instead", tree(f, v12), tree(), "not the reviewed head's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &plan.Plan{}
			in := plan.Input{BaseTree: reviewedBase, HeadTree: reviewedHead, Head: "head5678"}
			judgeQueue(p, &Queue{Ref: "refs/heads/gh-readonly-queue/main/pr-1-x", HeadSHA: "queue1234", BaseSHA: "base1234"},
				&queueTrees{policySHA: "main1234", base: tc.queueBase, head: tc.queueHead}, in)
			var errs []string
			for _, f := range p.Findings {
				if f.Severity == plan.SeverityError {
					errs = append(errs, f.Message)
				}
			}
			switch {
			case tc.want == "" && (len(errs) > 0 || p.Verdict() != plan.StatusPass):
				t.Errorf("refused: %v", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.want) || p.Verdict() != plan.StatusFail):
				t.Errorf("findings %v, want one saying %q", errs, tc.want)
			}
		})
	}
}
