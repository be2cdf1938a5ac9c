package ghemu

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// pull is a pull request. Its number is shared with issue comments.
type pull struct {
	id        int64
	number    int
	repo      *repo // the base repository
	title     string
	body      string
	state     string // open, closed
	draft     bool
	user      *account
	headRepo  *repo
	headRef   string
	headSHA   string
	baseRef   string
	baseSHA   string // frozen when closed; the base branch tip while open
	createdAt time.Time
	updatedAt time.Time
	closedAt  time.Time
	mergedAt  time.Time
	merged    bool
	mergedBy  *account

	mergeCommitSHA string
	reviews        []*review
	timeline       []timelineEvent // force pushes and dismissals (timeline.go)
	labels         []string        // label names, in the order set (labels.go)
}

func (p *pull) baseTip() string {
	if p.state == "open" {
		if sha, ok := p.repo.branches[p.baseRef]; ok {
			return sha
		}
	}
	return p.baseSHA
}

func (r *repo) sortedPulls() []*pull {
	out := make([]*pull, 0, len(r.pulls))
	for _, p := range r.pulls {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

func (e *Emulator) pullRoutes() []route {
	return []route{
		{id: "pulls/list", method: "GET", path: "/repos/{owner}/{repo}/pulls", handle: (*call).listPulls},
		{id: "pulls/create", method: "POST", path: "/repos/{owner}/{repo}/pulls", handle: (*call).createPull},
		{id: "pulls/get", method: "GET", path: "/repos/{owner}/{repo}/pulls/{pull_number}", handle: (*call).getPull},
		{id: "pulls/update", method: "PATCH", path: "/repos/{owner}/{repo}/pulls/{pull_number}", handle: (*call).updatePull},
		{id: "pulls/list-files", method: "GET", path: "/repos/{owner}/{repo}/pulls/{pull_number}/files", handle: (*call).listPullFiles},
		{id: "pulls/list-commits", method: "GET", path: "/repos/{owner}/{repo}/pulls/{pull_number}/commits", handle: (*call).listPullCommits},
		{id: "pulls/merge", method: "PUT", path: "/repos/{owner}/{repo}/pulls/{pull_number}/merge", handle: (*call).mergePull},
	}
}

// pullFor finds the path's pull request, answering 404 otherwise.
func (c *call) pullFor() (*repo, *pull) {
	r := c.repoFor()
	if r == nil {
		return nil, nil
	}
	n, ok := c.intParam("pull_number")
	if !ok {
		return nil, nil
	}
	p := r.pulls[int(n)]
	if p == nil {
		c.notFound()
		return nil, nil
	}
	return r, p
}

// pullJSON renders a pull request: the full form (get, create, webhooks)
// or the simple form used in lists.
func (e *Emulator) pullJSON(u urls, p *pull, full bool) map[string]any {
	r := p.repo
	api := u.api("/repos/" + r.fullName())
	self := fmt.Sprintf("%s/pulls/%d", api, p.number)
	html := u.html(fmt.Sprintf("/%s/pull/%d", r.fullName(), p.number))
	issue := fmt.Sprintf("%s/issues/%d", api, p.number)
	side := func(rr *repo, ref, sha string) map[string]any {
		return map[string]any{
			"label": rr.owner.login + ":" + ref, "ref": ref, "sha": sha,
			"user": userJSON(u, rr.owner), "repo": repoJSON(u, rr),
		}
	}
	optTime := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return ts(t)
	}
	var mergeSHA any
	if p.mergeCommitSHA != "" {
		mergeSHA = p.mergeCommitSHA
	}
	var body any
	if p.body != "" {
		body = p.body
	}
	m := map[string]any{
		"url": self, "id": p.id, "node_id": nodeID("PR", p.id), "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": self + "/commits", "review_comments_url": self + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": issue + "/comments",
		"statuses_url": api + "/statuses/" + p.headSHA,
		"number":       p.number, "state": p.state, "locked": false, "title": p.title, "body": body,
		"user": userJSON(u, p.user), "labels": labelsJSON(u, p.repo, p.labels), "milestone": nil, "active_lock_reason": nil,
		"created_at": ts(p.createdAt), "updated_at": ts(p.updatedAt),
		"closed_at": optTime(p.closedAt), "merged_at": optTime(p.mergedAt), "merge_commit_sha": mergeSHA,
		"assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": side(p.headRepo, p.headRef, p.headSHA), "base": side(r, p.baseRef, p.baseTip()),
		"_links": map[string]any{
			"self": map[string]any{"href": self}, "html": map[string]any{"href": html},
			"issue": map[string]any{"href": issue}, "comments": map[string]any{"href": issue + "/comments"},
			"review_comments": map[string]any{"href": self + "/comments"},
			"review_comment":  map[string]any{"href": api + "/pulls/comments{/number}"},
			"commits":         map[string]any{"href": self + "/commits"},
			"statuses":        map[string]any{"href": api + "/statuses/" + p.headSHA},
		},
		"author_association": e.association(r, p.user), "auto_merge": nil, "draft": p.draft,
	}
	if full {
		files := e.pullFiles(p)
		adds, dels := 0, 0
		for _, f := range files {
			adds += f.additions
			dels += f.deletions
		}
		mergeable := any(nil)
		state := "unknown"
		if p.state == "open" {
			ok := e.mergeable(p)
			mergeable, state = ok, "clean"
			if !ok {
				state = "dirty"
			}
		}
		comments := 0
		for _, cm := range r.comments {
			if cm.number == p.number {
				comments++
			}
		}
		m["merged"] = p.merged
		m["mergeable"] = mergeable
		m["rebaseable"] = mergeable
		m["mergeable_state"] = state
		m["merged_by"] = userJSON(u, p.mergedBy)
		m["comments"] = comments
		m["review_comments"] = 0
		m["maintainer_can_modify"] = false
		m["commits"] = len(e.objects.commitsBetween(p.baseTip(), p.headSHA))
		m["additions"] = adds
		m["deletions"] = dels
		m["changed_files"] = len(files)
	}
	return m
}

// association is author_association: OWNER, MEMBER, COLLABORATOR or NONE.
func (e *Emulator) association(r *repo, a *account) string {
	switch {
	case a == nil:
		return "NONE"
	case a == r.owner:
		return "OWNER"
	case r.owner.kind == "Organization" && e.isOrgMember(r.owner, a):
		return "MEMBER"
	case r.perms[strings.ToLower(a.login)] != "":
		return "COLLABORATOR"
	}
	return "NONE"
}

// pullFiles is the pull request's diff: merge base → head.
func (e *Emulator) pullFiles(p *pull) []fileChange {
	mb := e.objects.mergeBase(p.baseTip(), p.headSHA)
	var from map[string]string
	if c := e.objects.commits[mb]; c != nil {
		from = c.files
	}
	return e.objects.diff(from, e.objects.commits[p.headSHA].files)
}

func (e *Emulator) pullHasCommit(p *pull, sha string) bool {
	for _, c := range e.objects.commitsBetween(p.baseTip(), p.headSHA) {
		if c.sha == sha {
			return true
		}
	}
	return false
}

func (c *call) listPulls() {
	r := c.repoFor()
	if r == nil {
		return
	}
	state := c.query("state")
	if state == "" {
		state = "open"
	}
	head, base := c.query("head"), c.query("base")
	var out []map[string]any
	pulls := r.sortedPulls()
	if c.query("direction") != "asc" {
		sort.Slice(pulls, func(i, j int) bool { return pulls[i].number > pulls[j].number })
	}
	for _, p := range pulls {
		if state != "all" && p.state != state {
			continue
		}
		if base != "" && p.baseRef != base {
			continue
		}
		if head != "" {
			owner, ref, ok := strings.Cut(head, ":")
			if !ok || !strings.EqualFold(owner, p.headRepo.owner.login) || (ref != "" && ref != p.headRef) {
				continue
			}
		}
		out = append(out, c.e.pullJSON(c.u(), p, false))
	}
	paginate(c, out, nil)
}

func (c *call) getPull() {
	if _, p := c.pullFor(); p != nil {
		c.json(http.StatusOK, c.e.pullJSON(c.u(), p, true))
	}
}

func (c *call) createPull() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if !c.decode(&req) {
		return
	}
	p, errs := c.e.openPull(c.u(), r, PullRequestSpec{Title: req.Title, Head: req.Head, Base: req.Base, Body: req.Body, Draft: req.Draft}, c.actor(), &c.events)
	if errs != nil {
		c.invalid(errs...)
		return
	}
	c.json(http.StatusCreated, c.e.pullJSON(c.u(), p, true))
}

// openPull creates a pull request; head is BRANCH or OWNER:BRANCH (a fork).
// Callers hold e.mu.
func (e *Emulator) openPull(u urls, r *repo, s PullRequestSpec, who *account, events *[]*event) (*pull, []fieldError) {
	headRepo, headRef := r, s.Head
	if owner, ref, ok := strings.Cut(s.Head, ":"); ok {
		headRef = ref
		headRepo = nil
		for _, other := range e.repos {
			if strings.EqualFold(other.owner.login, owner) && (other == r || other.parent == r) {
				headRepo = other
			}
		}
	}
	if s.Title == "" {
		return nil, []fieldError{{Resource: "PullRequest", Field: "title", Code: "missing_field"}}
	}
	baseSHA, ok := r.branches[s.Base]
	if !ok {
		return nil, []fieldError{{Resource: "PullRequest", Field: "base", Code: "invalid"}}
	}
	if headRepo == nil {
		return nil, []fieldError{{Resource: "PullRequest", Field: "head", Code: "invalid"}}
	}
	headSHA, ok := headRepo.branches[headRef]
	if !ok {
		return nil, []fieldError{{Resource: "PullRequest", Field: "head", Code: "invalid"}}
	}
	if len(e.objects.commitsBetween(baseSHA, headSHA)) == 0 {
		return nil, []fieldError{{Resource: "PullRequest", Code: "custom", Message: fmt.Sprintf("No commits between %s and %s", s.Base, s.Head)}}
	}
	for _, p := range r.pulls {
		if p.state == "open" && p.headRepo == headRepo && p.headRef == headRef && p.baseRef == s.Base {
			return nil, []fieldError{{Resource: "PullRequest", Code: "custom", Message: fmt.Sprintf("A pull request already exists for %s:%s.", headRepo.owner.login, headRef)}}
		}
	}
	r.nextNumber++
	t := e.now()
	p := &pull{
		id: e.nextID(), number: r.nextNumber, repo: r, title: s.Title, body: s.Body, state: "open", draft: s.Draft,
		user: who, headRepo: headRepo, headRef: headRef, headSHA: headSHA, baseRef: s.Base, baseSHA: baseSHA,
		createdAt: t, updatedAt: t,
	}
	r.pulls[p.number] = p
	*events = append(*events, e.pullEvent(u, p, "opened", who, nil))
	return p, nil
}

func (c *call) updatePull() {
	_, p := c.pullFor()
	if p == nil {
		return
	}
	var req struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if !c.decode(&req) {
		return
	}
	if req.Base != nil {
		if _, ok := p.repo.branches[*req.Base]; !ok {
			c.invalid(fieldError{Resource: "PullRequest", Field: "base", Code: "invalid"})
			return
		}
		p.baseRef = *req.Base
	}
	c.editPull(p, req.Title, req.Body, req.State, req.Base != nil)
	c.json(http.StatusOK, c.e.pullJSON(c.u(), p, true))
}

// editPull changes a pull request's title, body and state (for PATCH of
// the pull request or of its issue), with the event GitHub sends: closed,
// reopened, or edited (also when only its base changed, rebased).
func (c *call) editPull(p *pull, title, body, state *string, rebased bool) {
	if title != nil {
		p.title = *title
	}
	if body != nil {
		p.body = *body
	}
	p.updatedAt = c.e.now()
	if state != nil && *state != p.state && !p.merged {
		if *state == "closed" {
			p.baseSHA = p.baseTip()
			p.state, p.closedAt = "closed", c.e.now()
			c.events = append(c.events, c.e.pullEvent(c.u(), p, "closed", c.actor(), nil))
		} else {
			p.state, p.closedAt = "open", time.Time{}
			c.events = append(c.events, c.e.pullEvent(c.u(), p, "reopened", c.actor(), nil))
		}
	} else if title != nil || body != nil || rebased {
		c.events = append(c.events, c.e.pullEvent(c.u(), p, "edited", c.actor(), nil))
	}
}

func (c *call) listPullFiles() {
	r, p := c.pullFor()
	if p == nil {
		return
	}
	paginate(c, c.e.filesJSON(c.u(), r, p.headSHA, c.e.pullFiles(p)), nil)
}

func (c *call) listPullCommits() {
	r, p := c.pullFor()
	if p == nil {
		return
	}
	var out []map[string]any
	commits := c.e.objects.commitsBetween(p.baseTip(), p.headSHA)
	// "Lists a maximum of 250 commits for a pull request"
	// (https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request).
	for _, cm := range commits[:min(len(commits), 250)] {
		out = append(out, c.e.commitJSON(c.u(), r, cm, false))
	}
	paginate(c, out, nil)
}

func (c *call) mergePull() {
	_, p := c.pullFor()
	if p == nil {
		return
	}
	var req struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		SHA           string `json:"sha"`
		MergeMethod   string `json:"merge_method"`
	}
	if !c.decode(&req) {
		return
	}
	if req.SHA != "" && req.SHA != p.headSHA {
		c.fail(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
		return
	}
	sha, err := c.e.merge(c.u(), p, c.actor(), req.MergeMethod, req.CommitTitle, req.CommitMessage, &c.events)
	if err != nil {
		c.fail(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
		return
	}
	c.json(http.StatusOK, map[string]any{"sha": sha, "merged": true, "message": "Pull Request successfully merged"})
}

// mergeable reports whether head's changes apply to the base tip without a
// conflict (the same path changed differently on both sides).
func (e *Emulator) mergeable(p *pull) bool {
	_, ok := e.mergedFiles(p)
	return ok
}

func (e *Emulator) mergedFiles(p *pull) (map[string]string, bool) {
	return e.mergeOnto(p.baseTip(), p.headSHA)
}

// mergeOnto is the three-way merge of head onto tip (ok false on a
// conflict).
func (e *Emulator) mergeOnto(tip, headSHA string) (map[string]string, bool) {
	base := e.objects.commits[tip].files
	head := e.objects.commits[headSHA].files
	var mbFiles map[string]string
	if c := e.objects.commits[e.objects.mergeBase(tip, headSHA)]; c != nil {
		mbFiles = c.files
	}
	out := make(map[string]string, len(base))
	for k, v := range base {
		out[k] = v
	}
	paths := map[string]bool{}
	for k := range head {
		paths[k] = true
	}
	for k := range mbFiles {
		paths[k] = true
	}
	for path := range paths {
		was, wasOK := mbFiles[path]
		now, nowOK := head[path]
		if was == now && wasOK == nowOK {
			continue // head did not touch it
		}
		cur, curOK := base[path]
		if (cur != was || curOK != wasOK) && (cur != now || curOK != nowOK) {
			// Both sides changed it: merged line by line, as git does.
			if !wasOK || !nowOK || !curOK {
				return nil, false
			}
			merged, ok := merge3(string(e.objects.blobs[was]), string(e.objects.blobs[cur]), string(e.objects.blobs[now]))
			if !ok {
				return nil, false
			}
			out[path] = e.objects.putBlob([]byte(merged))
			continue
		}
		if nowOK {
			out[path] = now
		} else {
			delete(out, path)
		}
	}
	return out, true
}

// errNotMergeable is GitHub's 405 answer to merging a closed or
// conflicting pull request.
var errNotMergeable = errors.New("pull request is not mergeable")

// merge merges p into its base branch: a merge commit with two parents, or
// one squashed commit for "squash" and "rebase". Callers hold e.mu.
func (e *Emulator) merge(u urls, p *pull, who *account, method, title, message string, events *[]*event) (string, error) {
	if p.state != "open" {
		return "", errNotMergeable
	}
	files, ok := e.mergedFiles(p)
	if !ok {
		return "", errNotMergeable
	}
	r := p.repo
	baseTip := p.baseTip()
	parents := []string{baseTip, p.headSHA}
	squash := method == "squash" || method == "rebase"
	if squash {
		parents = parents[:1]
	}
	switch {
	case title != "":
	case squash:
		title = fmt.Sprintf("%s (#%d)", p.title, p.number)
	default:
		title = fmt.Sprintf("Merge pull request #%d from %s/%s", p.number, p.headRepo.owner.login, p.headRef)
	}
	msg := title
	if message != "" {
		msg += "\n\n" + message
	}
	sig := e.signatureFor(who, nil)
	cm := e.objects.putCommit(files, parents, sig, e.webFlow(sig.when), msg)
	r.branches[p.baseRef] = cm.sha
	r.pushedAt = e.now()
	t := e.now()
	p.baseSHA = baseTip
	p.state, p.merged, p.mergedBy, p.mergeCommitSHA = "closed", true, who, cm.sha
	p.mergedAt, p.closedAt, p.updatedAt = t, t, t
	*events = append(*events, e.pullEvent(u, p, "closed", who, nil))
	pushed := []*commit{cm}
	if len(parents) == 2 {
		pushed = e.objects.commitsBetween(baseTip, cm.sha)
	}
	*events = append(*events, e.pushEvent(u, r, p.baseRef, baseTip, pushed, who))
	e.synchronizePulls(u, r, p.baseRef, baseTip, who, events)
	return cm.sha, nil
}

// synchronizePulls updates the open pull requests whose head is branch of r
// after it moved from before, emitting "synchronize". Callers hold e.mu.
func (e *Emulator) synchronizePulls(u urls, r *repo, branch, before string, who *account, events *[]*event) {
	for _, br := range e.repos {
		for _, p := range br.sortedPulls() {
			if p.state == "open" && p.headRepo == r && p.headRef == branch && p.headSHA != r.branches[branch] {
				old := p.headSHA
				p.headSHA = r.branches[branch]
				e.recordForcePush(p, old, who)
				p.updatedAt = e.now()
				*events = append(*events, e.pullEvent(u, p, "synchronize", who, map[string]any{"before": before, "after": p.headSHA}))
			}
		}
	}
}
