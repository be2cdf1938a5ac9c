package check

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/route"
)

// Queue is a merge queue's temporary commit to check a pull request at
// (a merge_group checks_requested event, as the router reads it). Branch protection's required
// check must report on it: the check run goes on HeadSHA.
//
// What a queue commit is judged by: the same gates as the pull request,
// with its head's manifests and its approvals on its head commit (the
// queue commit is not what reviewers approved). Policy comes from the
// base branch's history only: the merge base of BaseSHA with the branch,
// which is BaseSHA itself for the first entry of the queue and, for a
// later one, the branch commit the entries ahead were built on (an entry
// ahead is not merged yet, and its policy is not policy). Then one more
// rule holds the queue commit to what was reviewed: it must change the
// promotions directory exactly as the pull request does, file by file,
// from the same content to the same content. A change ahead of it in the
// queue, or on the base branch since the review, that touches the same
// files makes the queue commit's manifests something nobody reviewed, so
// the check fails closed and says which file.
type Queue = route.Queue

// QueueOf is the queue commit a routed job names, nil when none.
func QueueOf(q route.Queue) *Queue {
	if q.HeadSHA == "" {
		return nil
	}
	return &q
}

// queueTrees are what a queue check reads besides the pull request's.
type queueTrees struct {
	policySHA  string
	base, head manifest.Tree
}

// gatherQueue reads the queue commit's trees and the policy's, from the
// base branch's history.
func gatherQueue(ctx context.Context, env Env, q *Queue, in *plan.Input, fail func(error), tree func(string, *manifest.Tree)) (*queueTrees, []func()) {
	qt := &queueTrees{}
	return qt, []func(){
		func() { tree(q.BaseSHA, &qt.base) },
		func() { tree(q.HeadSHA, &qt.head) },
		func() {
			branch := strings.TrimPrefix(q.BaseRef, "refs/heads/")
			mb, err := env.Repo.MergeBase(ctx, branch, q.BaseSHA)
			if err != nil {
				fail(fmt.Errorf("merge queue: the base branch %s's commit under %s: %w", branch, gitsha.Short(q.BaseSHA), err))
				return
			}
			qt.policySHA = mb
			tree(mb, &in.PolicyTree)
		},
	}
}

// judgeQueue adds the queue's findings to p: a notice saying what was
// checked where, and an error for each promotions file the queue commit
// does not change exactly as the pull request does.
func judgeQueue(p *plan.Plan, q *Queue, qt *queueTrees, in plan.Input) {
	p.Findings = append(p.Findings, plan.Finding{Gate: plan.GateManifest, Severity: plan.SeverityNotice,
		Message: fmt.Sprintf("merge queue: checked at the queue commit %s (%s, built on %s); policy from %s on the base branch; approvals on the pull request's head %s",
			gitsha.Short(q.HeadSHA), strings.TrimPrefix(q.Ref, "refs/heads/"), gitsha.Short(q.BaseSHA), gitsha.Short(qt.policySHA), gitsha.Short(in.Head))})
	reviewed := changes(in.BaseTree, in.HeadTree)
	queued := changes(qt.base, qt.head)
	paths := map[string]bool{}
	for path := range reviewed {
		paths[path] = true
	}
	for path := range queued {
		paths[path] = true
	}
	sorted := make([]string, 0, len(paths))
	for path := range paths {
		sorted = append(sorted, path)
	}
	sort.Strings(sorted)
	for _, path := range sorted {
		r, inReview := reviewed[path]
		c, inQueue := queued[path]
		var why string
		switch {
		case !inQueue:
			why = "the pull request changes it but the queue commit does not (the base branch or a change ahead in the queue already made it)"
		case !inReview:
			why = "the queue commit changes it but the pull request does not"
		case !r.before.equal(c.before):
			why = "the queue commit changes it from other content than the pull request's merge base had (the base branch or a change ahead in the queue changed it since the review)"
		case !r.after.equal(c.after):
			why = "the queue commit's content is not the reviewed head's (another change to it is merged with this one)"
		default:
			continue
		}
		p.Findings = append(p.Findings, plan.Finding{Gate: plan.GateManifest, Severity: plan.SeverityError, File: path,
			Message: fmt.Sprintf("merge queue: %s in the queue commit %s is not what was reviewed at %s: %s; update the pull request's branch so that its head is what merges, and have it reviewed again",
				path, gitsha.Short(q.HeadSHA), gitsha.Short(in.Head), why)})
	}
}

// file is a file's content at one revision; absent when it does not exist.
type file struct {
	content []byte
	present bool
}

func (f file) equal(g file) bool { return f.present == g.present && bytes.Equal(f.content, g.content) }

// change is a file that differs between two revisions.
type change struct{ before, after file }

// changes are the files that differ between two trees of the promotions
// directory.
func changes(from, to manifest.Tree) map[string]change {
	out := map[string]change{}
	for path, b := range from {
		a, ok := to[path]
		if !ok || !bytes.Equal(a, b) {
			out[path] = change{before: file{b, true}, after: file{a, ok}}
		}
	}
	for path, a := range to {
		if _, ok := from[path]; !ok {
			out[path] = change{after: file{a, true}}
		}
	}
	return out
}
