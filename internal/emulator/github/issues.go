package ghemu

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Issues, as GitHub's REST API serves them
// (https://docs.github.com/en/rest/issues/issues). Issues and pull requests
// share one number sequence per repository, and "GitHub's REST API
// considers every pull request an issue, but not every issue is a pull
// request": the issue endpoints also answer for pull requests, which carry
// a `pull_request` key. Issue webhooks (`issues`) are not sent: the App
// does not subscribe to them (appEvents).
//
// Who may do what
// (https://docs.github.com/en/rest/issues/issues#create-an-issue and
// #update-an-issue): "Any user with pull access to a repository can create
// an issue", so on a public repository anyone signed in can; labels,
// assignees and milestones sent by someone without push access are
// silently dropped. "Issue owners and users with push access or Triage
// role can edit an issue."

// issue is an issue that is not a pull request.
type issue struct {
	id          int64
	number      int
	title, body string
	state       string // open, closed
	stateReason string // completed, not_planned, reopened, "" (null)
	user        *account
	labels      []string
	createdAt   time.Time
	updatedAt   time.Time
	closedAt    time.Time
	closedBy    *account
}

// maxIssueBody is GitHub's limit on an issue body, in characters (the
// same as a comment's).
const maxIssueBody = 65536

func (e *Emulator) issueRoutes() []route {
	return []route{
		// https://docs.github.com/en/rest/issues/issues#list-repository-issues
		{id: "issues/list-for-repo", method: "GET", path: "/repos/{owner}/{repo}/issues", handle: (*call).listIssues},
		// https://docs.github.com/en/rest/issues/issues#create-an-issue
		{id: "issues/create", method: "POST", path: "/repos/{owner}/{repo}/issues", handle: (*call).createIssue},
		// https://docs.github.com/en/rest/issues/issues#get-an-issue
		{id: "issues/get", method: "GET", path: "/repos/{owner}/{repo}/issues/{issue_number}", handle: (*call).getIssue},
		// https://docs.github.com/en/rest/issues/issues#update-an-issue
		{id: "issues/update", method: "PATCH", path: "/repos/{owner}/{repo}/issues/{issue_number}", handle: (*call).updateIssue},
	}
}

// issueView is an issue or a pull request seen through the issue
// endpoints.
type issueView struct {
	number      int
	id          int64
	title, body string
	state       string
	stateReason string
	user        *account
	labels      []string
	createdAt   time.Time
	updatedAt   time.Time
	closedAt    time.Time
	closedBy    *account
	comments    int
	pull        *pull // set for a pull request
}

func (r *repo) issueViews() []issueView {
	comments := map[int]int{}
	for _, cm := range r.comments {
		comments[cm.number]++
	}
	out := make([]issueView, 0, len(r.issues)+len(r.pulls))
	for _, is := range r.issues {
		out = append(out, issueView{number: is.number, id: is.id, title: is.title, body: is.body, state: is.state,
			stateReason: is.stateReason, user: is.user, labels: is.labels, createdAt: is.createdAt, updatedAt: is.updatedAt,
			closedAt: is.closedAt, closedBy: is.closedBy, comments: comments[is.number]})
	}
	for _, p := range r.pulls {
		out = append(out, issueView{number: p.number, id: p.id, title: p.title, body: p.body, state: p.state,
			user: p.user, labels: p.labels, createdAt: p.createdAt, updatedAt: p.updatedAt, closedAt: p.closedAt,
			comments: comments[p.number], pull: p})
	}
	return out
}

func (r *repo) issueView(number int) (issueView, bool) {
	for _, v := range r.issueViews() {
		if v.number == number {
			return v, true
		}
	}
	return issueView{}, false
}

// issueJSON renders an issue (or a pull request as an issue).
func (e *Emulator) issueJSON(u urls, r *repo, v issueView, full bool) map[string]any {
	api := u.api("/repos/" + r.fullName())
	self := fmt.Sprintf("%s/issues/%d", api, v.number)
	html := u.html(fmt.Sprintf("/%s/issues/%d", r.fullName(), v.number))
	optTime := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return ts(t)
	}
	var body, reason any
	if v.body != "" {
		body = v.body
	}
	if v.stateReason != "" {
		reason = v.stateReason
	}
	m := map[string]any{
		"id": v.id, "node_id": nodeID("I", v.id), "url": self, "repository_url": api,
		"labels_url": self + "/labels{/name}", "comments_url": self + "/comments", "events_url": self + "/events",
		"timeline_url": self + "/timeline", "html_url": html,
		"number": v.number, "state": v.state, "state_reason": reason, "title": v.title, "body": body,
		"user": userJSON(u, v.user), "labels": labelsJSON(u, r, v.labels),
		"assignee": nil, "assignees": []any{}, "milestone": nil, "locked": false, "active_lock_reason": nil,
		"comments": v.comments, "closed_at": optTime(v.closedAt), "created_at": ts(v.createdAt), "updated_at": ts(v.updatedAt),
		"author_association": e.association(r, v.user), "performed_via_github_app": nil,
		"reactions": map[string]any{
			"url": self + "/reactions", "total_count": 0,
			"+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0,
		},
	}
	if p := v.pull; p != nil {
		prHTML := u.html(fmt.Sprintf("/%s/pull/%d", r.fullName(), p.number))
		m["html_url"] = prHTML
		m["draft"] = p.draft
		m["pull_request"] = map[string]any{
			"url": fmt.Sprintf("%s/pulls/%d", api, p.number), "html_url": prHTML,
			"diff_url": prHTML + ".diff", "patch_url": prHTML + ".patch", "merged_at": optTime(p.mergedAt),
		}
	}
	if full {
		m["closed_by"] = userJSON(u, v.closedBy)
	}
	return m
}

// listIssues serves "List repository issues" with the filters GitHub
// documents: state (open by default, closed, all), creator (a login),
// labels (comma-separated; an issue must have every one), since, and sort
// (created, updated, comments) with direction (desc by default).
func (c *call) listIssues() {
	r := c.repoFor()
	if r == nil {
		return
	}
	state := c.query("state")
	if state == "" {
		state = "open"
	}
	creator := c.query("creator")
	var labels []string
	for _, l := range strings.Split(c.query("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	var since time.Time
	if s := c.query("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			c.invalid(fieldError{Resource: "Issue", Field: "since", Code: "invalid"})
			return
		}
		since = t
	}
	var views []issueView
	for _, v := range r.issueViews() {
		if state != "all" && v.state != state {
			continue
		}
		if creator != "" && !strings.EqualFold(login(v.user), creator) {
			continue
		}
		if !hasLabels(v.labels, labels) {
			continue
		}
		if !since.IsZero() && v.updatedAt.Before(since) {
			continue
		}
		views = append(views, v)
	}
	key := func(v issueView) int64 { return int64(v.number) } // created order
	switch c.query("sort") {
	case "updated":
		key = func(v issueView) int64 { return v.updatedAt.UnixNano() }
	case "comments":
		key = func(v issueView) int64 { return int64(v.comments) }
	}
	asc := c.query("direction") == "asc"
	sort.SliceStable(views, func(i, k int) bool {
		a, b := key(views[i]), key(views[k])
		if a == b {
			a, b = int64(views[i].number), int64(views[k].number)
		}
		if asc {
			return a < b
		}
		return a > b
	})
	out := make([]map[string]any, len(views))
	for i, v := range views {
		out[i] = c.e.issueJSON(c.u(), r, v, false)
	}
	paginate(c, out, nil)
}

// hasLabels reports whether have holds every label in want (GitHub
// compares label names without regard to case).
func hasLabels(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

// checkIssueBody enforces GitHub's limit on an issue body.
func (c *call) checkIssueBody(body string) bool {
	if utf8.RuneCountInString(body) > maxIssueBody {
		c.invalid(fieldError{Resource: "Issue", Field: "body", Code: "custom",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxIssueBody)})
		return false
	}
	return true
}

// canPush reports whether the caller has push access to r (installations
// act with their App's issues: write).
func (c *call) canPush(r *repo) bool { return c.hasRole(r, "admin", "maintain", "write") }

func (c *call) createIssue() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		Title  any      `json:"title"`
		Body   string   `json:"body"`
		Labels []string `json:"labels"`
	}
	if !c.decode(&req) {
		return
	}
	title := titleString(req.Title)
	if title == "" {
		c.invalid(fieldError{Resource: "Issue", Field: "title", Code: "missing_field"})
		return
	}
	if !c.checkIssueBody(req.Body) {
		return
	}
	who := c.actor()
	if who == nil {
		c.fail(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	var labels []string
	if c.canPush(r) { // "Labels are silently dropped otherwise."
		labels = issueLabels(req.Labels)
	}
	is := c.e.addIssue(r, who, title, req.Body, labels)
	v, _ := r.issueView(is.number)
	out := c.e.issueJSON(c.u(), r, v, true)
	c.w.Header().Set("Location", out["url"].(string))
	c.json(http.StatusCreated, out)
}

// issueLabels is the labels set by a create or update: in order, without
// empty names or repeats.
func issueLabels(names []string) []string {
	var out []string
	for _, l := range names {
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// titleString reads a title, which GitHub takes as a string or an integer.
func titleString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return fmt.Sprint(int64(t))
	}
	return ""
}

// addIssue records a new issue by who. Callers hold e.mu.
func (e *Emulator) addIssue(r *repo, who *account, title, body string, labels []string) *issue {
	r.nextNumber++
	t := e.now()
	is := &issue{id: e.nextID(), number: r.nextNumber, title: title, body: body, state: "open", user: who,
		labels: labels, createdAt: t, updatedAt: t}
	if r.issues == nil {
		r.issues = map[int]*issue{}
	}
	r.issues[is.number] = is
	return is
}

// issueNumber reads the path's issue number; false means answered 404.
func (c *call) issueNumber(r *repo) (int, bool) {
	n, ok := c.intParam("issue_number")
	if !ok {
		return 0, false
	}
	if r.issues[int(n)] == nil && r.pulls[int(n)] == nil {
		c.notFound()
		return 0, false
	}
	return int(n), true
}

func (c *call) getIssue() {
	r := c.repoFor()
	if r == nil {
		return
	}
	n, ok := c.issueNumber(r)
	if !ok {
		return
	}
	v, _ := r.issueView(n)
	c.json(http.StatusOK, c.e.issueJSON(c.u(), r, v, true))
}

// updateIssue edits an issue's title, body, state and labels. For a pull
// request, title, body and state change the pull request.
func (c *call) updateIssue() {
	r := c.repoFor()
	if r == nil {
		return
	}
	n, ok := c.issueNumber(r)
	if !ok {
		return
	}
	var req struct {
		Title       any       `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
	}
	if !c.decode(&req) {
		return
	}
	v, _ := r.issueView(n)
	if !c.mayEditIssue(r, v.user) {
		c.fail(http.StatusForbidden, "Must have push access or the triage role, or be the issue's author, to edit an issue")
		return
	}
	if req.Body != nil && !c.checkIssueBody(*req.Body) {
		return
	}
	if req.Title != nil && titleString(req.Title) == "" {
		c.invalid(fieldError{Resource: "Issue", Field: "title", Code: "missing_field"})
		return
	}
	if p := v.pull; p != nil {
		var title *string
		if req.Title != nil {
			t := titleString(req.Title)
			title = &t
		}
		c.editPull(p, title, req.Body, req.State, false)
		v, _ = r.issueView(n)
		c.json(http.StatusOK, c.e.issueJSON(c.u(), r, v, true))
		return
	}
	is := r.issues[n]
	if req.Title != nil {
		is.title = titleString(req.Title)
	}
	if req.Body != nil {
		is.body = *req.Body
	}
	if req.Labels != nil && c.canPush(r) { // "label changes are silently dropped"
		is.labels = issueLabels(*req.Labels)
	}
	if req.State != nil && *req.State != is.state {
		// "Ignored unless state is changed."
		if *req.State == "closed" {
			is.state, is.closedAt, is.closedBy, is.stateReason = "closed", c.e.now(), c.actor(), "completed"
			if req.StateReason != nil && *req.StateReason != "reopened" {
				is.stateReason = *req.StateReason
			}
		} else {
			is.state, is.closedAt, is.closedBy, is.stateReason = "open", time.Time{}, nil, "reopened"
		}
	}
	is.updatedAt = c.e.now()
	v, _ = r.issueView(n)
	c.json(http.StatusOK, c.e.issueJSON(c.u(), r, v, true))
}

// mayEditIssue: the issue's author, an installation (its App has issues:
// write), or someone with push access or the triage role.
func (c *call) mayEditIssue(r *repo, author *account) bool {
	return (author != nil && c.actor() == author) || c.mayLabel(r)
}
