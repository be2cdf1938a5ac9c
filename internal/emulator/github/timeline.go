package ghemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The records GitHub keeps of who did what to a pull request, beyond the
// commits' own (free-text) metadata: the issue timeline and the
// repository's activity (pushes with their pusher).

// timelineEvent is a stored issue timeline event: a force push of the head
// branch or a review dismissal. `committed` events are not stored: they are
// the pull request's current commits. GitHub's conversation drops the
// commits a force push removed; the emulator models that less helpful
// reading, so the bot must find force-pushed-away commits from the force
// push itself.
type timelineEvent struct {
	id    int64
	event string // head_ref_force_pushed, review_dismissed
	actor *account
	at    time.Time
	// commitID is the head after a force push.
	commitID string
	// For review_dismissed: the review, its state before the dismissal,
	// and the dismissal's message.
	review         *review
	dismissedState string
	message        string
	// label is the label of a labeled or unlabeled event (labels.go).
	label string
}

// activity is one repository activity: a push to a ref, with its pusher
// (https://docs.github.com/rest/repos/repos#list-repository-activities).
type activity struct {
	id     int64
	before string
	after  string
	ref    string // refs/heads/NAME
	at     time.Time
	kind   string // push, force_push, branch_creation, branch_deletion, pr_merge
	actor  *account
}

func (e *Emulator) timelineRoutes() []route {
	return []route{
		{id: "issues/list-events-for-timeline", method: "GET", path: "/repos/{owner}/{repo}/issues/{issue_number}/timeline",
			pattern: "/repos/{owner}/{repo}/issues/{issue_number}/{comments}", handle: (*call).listTimeline}, // shares issues/list-comments' pattern (routes.go)
		{id: "repos/list-activities", method: "GET", path: "/repos/{owner}/{repo}/activity", handle: (*call).listActivities},
	}
}

// recordPush notes a push of branch from before ("" for a new branch) to
// its current tip by who, as repository activity. Callers hold e.mu.
func (e *Emulator) recordPush(r *repo, branch, before string, who *account) {
	after := r.branches[branch]
	kind := "push"
	switch {
	case before == "":
		kind = "branch_creation"
	case before != after && !e.objects.ancestors(after)[before]:
		kind = "force_push"
	}
	r.activity = append(r.activity, activity{id: e.nextID(), before: before, after: after, ref: "refs/heads/" + branch, at: e.now(), kind: kind, actor: who})
}

// recordForcePush adds head_ref_force_pushed to p's timeline when its head
// moved from before to a commit that does not contain it. Callers hold e.mu.
func (e *Emulator) recordForcePush(p *pull, before string, who *account) {
	if before == "" || e.objects.ancestors(p.headSHA)[before] {
		return
	}
	p.timeline = append(p.timeline, timelineEvent{id: e.nextID(), event: "head_ref_force_pushed", actor: who, at: e.now(), commitID: p.headSHA})
}

// recordDismissal adds review_dismissed to p's timeline. Callers hold e.mu.
func (e *Emulator) recordDismissal(p *pull, rv *review, previous, message string, who *account) {
	p.timeline = append(p.timeline, timelineEvent{id: e.nextID(), event: "review_dismissed", actor: who, at: e.now(),
		review: rv, dismissedState: strings.ToLower(previous), message: message})
}

func (c *call) listTimeline() {
	r := c.repoFor()
	if r == nil {
		return
	}
	n, ok := c.intParam("issue_number")
	if !ok {
		return
	}
	p := r.pulls[int(n)]
	if p == nil {
		c.notFound()
		return
	}
	u := c.u()
	api := u.api("/repos/" + r.fullName())
	var out []map[string]any
	for _, cm := range c.e.objects.commitsBetween(p.baseTip(), p.headSHA) {
		out = append(out, c.e.committedEvent(u, r, cm))
	}
	for _, ev := range p.timeline {
		m := map[string]any{
			"id": ev.id, "node_id": nodeID("E", ev.id), "url": api + "/issues/events/" + fmt.Sprint(ev.id),
			"actor": userJSON(u, ev.actor), "event": ev.event, "commit_id": nil, "commit_url": nil,
			"created_at": ts(ev.at), "performed_via_github_app": nil,
		}
		if ev.commitID != "" {
			m["commit_id"], m["commit_url"] = ev.commitID, api+"/commits/"+ev.commitID
		}
		if ev.label != "" {
			m["label"] = map[string]any{"name": ev.label, "color": "ededed"}
		}
		if ev.review != nil {
			m["dismissed_review"] = map[string]any{
				"state": ev.dismissedState, "review_id": ev.review.id, "dismissal_message": ev.message, "dismissal_commit_id": ev.review.commitID,
			}
		}
		out = append(out, m)
	}
	paginate(c, out, nil)
}

// committedEvent is a timeline `committed` event: the git commit as
// written (author and committer are free text, no GitHub login).
func (e *Emulator) committedEvent(u urls, r *repo, cm *commit) map[string]any {
	api := u.api("/repos/" + r.fullName())
	sig := func(s signature) map[string]any {
		return map[string]any{"name": s.name, "email": s.email, "date": ts(s.when)}
	}
	parents := []map[string]any{}
	for _, p := range cm.parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/git/commits/" + p, "html_url": u.html("/" + r.fullName() + "/commit/" + p)})
	}
	return map[string]any{
		"event": "committed", "sha": cm.sha, "node_id": nodeID("C", int64(len(cm.sha))), "url": api + "/git/commits/" + cm.sha,
		"html_url": u.html("/" + r.fullName() + "/commit/" + cm.sha), "author": sig(cm.author), "committer": sig(cm.committer),
		"message": cm.message, "tree": map[string]any{"sha": cm.tree, "url": api + "/git/trees/" + cm.tree}, "parents": parents,
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
	}
}

// listActivities answers repository activity, newest first by default,
// filtered by ref (a full ref or a branch name), actor and activity_type,
// paginated by cursor as GitHub does (rel="next" carries after=CURSOR).
func (c *call) listActivities() {
	r := c.repoFor()
	if r == nil {
		return
	}
	ref := c.query("ref")
	if ref != "" && !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	var items []activity
	for _, a := range r.activity {
		if (ref == "" || a.ref == ref) && (c.query("actor") == "" || strings.EqualFold(login(a.actor), c.query("actor"))) &&
			(c.query("activity_type") == "" || a.kind == c.query("activity_type")) {
			items = append(items, a)
		}
	}
	if c.query("direction") != "asc" {
		slices.Reverse(items)
	}
	perPage := 30
	if v, err := strconv.Atoi(c.query("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	start := 0
	if after := c.query("after"); after != "" {
		id, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			c.fail(http.StatusUnprocessableEntity, "Invalid cursor")
			return
		}
		start = len(items)
		for i, a := range items {
			if a.id == id {
				start = i + 1
				break
			}
		}
	}
	end := min(start+perPage, len(items))
	u := c.u()
	out := []map[string]any{}
	for _, a := range items[start:end] {
		out = append(out, map[string]any{
			"id": a.id, "node_id": nodeID("RA", a.id), "before": orZero(a.before), "after": orZero(a.after), "ref": a.ref,
			"timestamp": ts(a.at), "activity_type": a.kind, "actor": userJSON(u, a.actor),
		})
	}
	if end < len(items) {
		q := c.r.URL.Query()
		q.Set("after", strconv.FormatInt(items[end-1].id, 10))
		c.w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", u.api(c.r.URL.Path), q.Encode()))
	}
	c.json(http.StatusOK, out)
}

// orZero is a SHA, or git's all-zero SHA for none.
func orZero(sha string) string {
	if sha == "" {
		return strings.Repeat("0", 40)
	}
	return sha
}

// ForcePush moves branch of repo to to (a branch or SHA), as `git push
// --force` by user, emitting a push and, for pull requests whose head is the
// branch, synchronize (their timelines record head_ref_force_pushed).
func (e *Emulator) ForcePush(repo, branch, to, user string) error {
	e.mu.Lock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	who := e.account(user)
	if who == nil {
		e.mu.Unlock()
		return fmt.Errorf("no user %s", user)
	}
	c := e.resolve(r, to)
	if c == nil {
		e.mu.Unlock()
		return fmt.Errorf("%s: no commit for %q", repo, to)
	}
	before := r.branches[branch]
	r.branches[branch] = c.sha
	r.pushedAt = e.now()
	u := e.u()
	events := []*event{e.pushEvent(u, r, branch, before, nil, who)}
	e.synchronizePulls(u, r, branch, before, who, &events)
	e.mu.Unlock()
	e.dispatch(events)
	return nil
}
