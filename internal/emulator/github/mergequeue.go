package ghemu

import (
	"fmt"
	"strings"
)

// Merge queues, as GitHub runs them
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/managing-a-merge-queue):
// a pull request added to a branch's queue is merged, on a temporary
// branch gh-readonly-queue/<base>/pr-<number>-<head SHA>, onto the commit
// of the entry ahead of it (or onto the base branch's head), and GitHub
// asks for the required checks on that commit with a merge_group
// checks_requested event
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#merge_group).
// When they pass, the base branch is fast-forwarded to the commit, the
// pull request is merged with it as its merge commit, and the temporary
// branch is deleted (merge_group destroyed, reason merged); when they
// fail, the entry leaves the queue (destroyed, dequeued) and the entries
// behind it are rebuilt (destroyed, invalidated, then checks_requested
// again).

// QueueEntry is a pull request in a merge queue.
type QueueEntry struct {
	PullRequest int
	// Ref is the temporary branch, without refs/heads/.
	Ref string
	// BaseSHA is the commit it was built on; HeadSHA the queue's commit.
	BaseSHA, HeadSHA string
}

type queueEntry struct {
	p   *pull
	who *account
	QueueEntry
}

func queueKey(r *repo, branch string) string { return strings.ToLower(r.fullName()) + ":" + branch }

// Enqueue adds a pull request to its base branch's merge queue, as user,
// and builds its queue commit. A pull request that conflicts with the
// queue is refused.
func (e *Emulator) Enqueue(repo string, number int, user string) (QueueEntry, error) {
	e.mu.Lock()
	r, p, err := e.pullByRef(repo, number)
	if err != nil {
		e.mu.Unlock()
		return QueueEntry{}, err
	}
	who := e.account(user)
	switch {
	case who == nil:
		err = fmt.Errorf("no user %s", user)
	case p.state != "open":
		err = fmt.Errorf("#%d is not open", number)
	}
	for _, q := range e.queues[queueKey(r, p.baseRef)] {
		if q.p == p {
			err = fmt.Errorf("#%d is already queued", number)
		}
	}
	if err != nil {
		e.mu.Unlock()
		return QueueEntry{}, err
	}
	if e.queues == nil {
		e.queues = map[string][]*queueEntry{}
	}
	key := queueKey(r, p.baseRef)
	q := &queueEntry{p: p, who: who}
	var events []*event
	if err := e.build(r, key, q, len(e.queues[key]), &events); err != nil {
		e.mu.Unlock()
		return QueueEntry{}, err
	}
	e.queues[key] = append(e.queues[key], q)
	e.mu.Unlock()
	e.dispatch(events)
	return q.QueueEntry, nil
}

// build makes q's queue commit onto the entry ahead of position i (or the
// base branch's head) and asks for checks. Callers hold e.mu.
func (e *Emulator) build(r *repo, key string, q *queueEntry, i int, events *[]*event) error {
	base := q.p.baseRef
	parent := r.branches[base]
	if i > 0 {
		parent = e.queues[key][i-1].HeadSHA
	}
	files, ok := e.mergeOnto(parent, q.p.headSHA)
	if !ok {
		return fmt.Errorf("#%d conflicts with the merge queue: %w", q.p.number, errNotMergeable)
	}
	msg := fmt.Sprintf("Merge pull request #%d from %s/%s", q.p.number, q.p.headRepo.owner.login, q.p.headRef)
	sig := e.signatureFor(q.who, nil)
	cm := e.objects.putCommit(files, []string{parent, q.p.headSHA}, sig, e.webFlow(sig.when), msg)
	q.PullRequest = q.p.number
	q.Ref = fmt.Sprintf("gh-readonly-queue/%s/pr-%d-%s", base, q.p.number, q.p.headSHA)
	q.BaseSHA, q.HeadSHA = parent, cm.sha
	r.branches[q.Ref] = cm.sha
	*events = append(*events, e.mergeGroupEvent(r, q, "checks_requested", ""))
	return nil
}

// MergeQueue lists branch's merge queue in repo, first first.
func (e *Emulator) MergeQueue(repo, branch string) []QueueEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []QueueEntry
	for _, q := range e.queues[queueKey(r, branch)] {
		out = append(out, q.QueueEntry)
	}
	return out
}

// ProcessMergeQueue does what the queue does once checks report on its
// first entry: with the latest check run named required on its commit
// concluded success, it merges the entry ("merged"); concluded otherwise,
// it removes the entry and rebuilds those behind it ("dequeued"); not
// concluded yet, it waits ("").
func (e *Emulator) ProcessMergeQueue(repo, branch, required string) (string, error) {
	e.mu.Lock()
	r := e.lockedRepo(repo)
	if r == nil {
		e.mu.Unlock()
		return "", fmt.Errorf("no repository %s", repo)
	}
	key := queueKey(r, branch)
	entries := e.queues[key]
	if len(entries) == 0 {
		e.mu.Unlock()
		return "", fmt.Errorf("the merge queue of %s is empty", branch)
	}
	q := entries[0]
	var latest *checkRun
	for _, cr := range r.checkRuns {
		if cr.headSHA == q.HeadSHA && cr.name == required {
			latest = cr
		}
	}
	if latest == nil || latest.status != "completed" {
		e.mu.Unlock()
		return "", nil
	}
	var events []*event
	e.queues[key] = entries[1:]
	delete(r.branches, q.Ref)
	outcome := "merged"
	if latest.conclusion == "success" && r.branches[branch] == q.BaseSHA {
		e.mergeQueued(r, q, branch, &events)
	} else {
		outcome = "dequeued"
		events = append(events, e.mergeGroupEvent(r, q, "destroyed", "dequeued"))
		for i, behind := range e.queues[key] {
			delete(r.branches, behind.Ref)
			events = append(events, e.mergeGroupEvent(r, behind, "destroyed", "invalidated"))
			if err := e.build(r, key, behind, i, &events); err != nil {
				e.queues[key] = e.queues[key][:i] // it and those behind it leave the queue
				break
			}
		}
	}
	e.mu.Unlock()
	e.dispatch(events)
	return outcome, nil
}

// mergeQueued fast-forwards branch to q's commit, which becomes the pull
// request's merge commit. Callers hold e.mu.
func (e *Emulator) mergeQueued(r *repo, q *queueEntry, branch string, events *[]*event) {
	u := e.u()
	before := r.branches[branch]
	r.branches[branch] = q.HeadSHA
	r.pushedAt = e.now()
	t := e.now()
	p := q.p
	p.baseSHA = q.BaseSHA
	p.state, p.merged, p.mergedBy, p.mergeCommitSHA = "closed", true, q.who, q.HeadSHA
	p.mergedAt, p.closedAt, p.updatedAt = t, t, t
	*events = append(*events, e.mergeGroupEvent(r, q, "destroyed", "merged"))
	*events = append(*events, e.pullEvent(u, p, "closed", q.who, nil))
	*events = append(*events, e.pushEvent(u, r, branch, before, e.objects.commitsBetween(before, q.HeadSHA), q.who))
	e.synchronizePulls(u, r, branch, before, q.who, events)
}

// mergeGroupEvent is a merge_group event about q. Callers hold e.mu.
func (e *Emulator) mergeGroupEvent(r *repo, q *queueEntry, action, reason string) *event {
	u := e.u()
	m := e.basePayload(u, r, action, q.who)
	cm := e.objects.commits[q.HeadSHA]
	person := func(s signature) map[string]any { return map[string]any{"name": s.name, "email": s.email} }
	m["merge_group"] = map[string]any{
		"head_sha": q.HeadSHA, "head_ref": "refs/heads/" + q.Ref, "base_sha": q.BaseSHA, "base_ref": "refs/heads/" + q.p.baseRef,
		"head_commit": map[string]any{"id": cm.sha, "tree_id": cm.tree, "message": cm.message, "timestamp": ts(cm.committer.when),
			"author": person(cm.author), "committer": person(cm.committer)},
	}
	if reason != "" {
		m["reason"] = reason
	}
	return &event{name: "merge_group", action: action, repo: r, payload: m}
}
