package ghemu

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// commitStatus is a commit status.
type commitStatus struct {
	id          int64
	sha         string
	state       string // error, failure, pending, success
	description string
	targetURL   string
	context     string
	creator     *account
	createdAt   time.Time
}

// GitHub's limits on commit statuses.
const (
	maxStatusDescription  = 140
	maxStatusesPerContext = 1000
)

func (e *Emulator) statusRoutes() []route {
	return []route{
		{id: "repos/create-commit-status", method: "POST", path: "/repos/{owner}/{repo}/statuses/{sha}", handle: (*call).createStatus},
		{id: "repos/list-commit-statuses-for-ref", method: "GET", path: "/repos/{owner}/{repo}/commits/{ref}/statuses", handle: (*call).listStatuses},
		{id: "repos/get-combined-status-for-ref", method: "GET", path: "/repos/{owner}/{repo}/commits/{ref}/status", handle: (*call).combinedStatus},
	}
}

func statusJSON(u urls, r *repo, s *commitStatus) map[string]any {
	opt := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	return map[string]any{
		"id": s.id, "node_id": nodeID("SC", s.id), "url": u.api("/repos/" + r.fullName() + "/statuses/" + s.sha),
		"avatar_url": "https://avatars.githubusercontent.com/u/" + fmt.Sprint(s.creator.id),
		"state":      s.state, "description": opt(s.description), "target_url": opt(s.targetURL), "context": s.context,
		"created_at": ts(s.createdAt), "updated_at": ts(s.createdAt), "creator": userJSON(u, s.creator),
	}
}

func (c *call) createStatus() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !c.decode(&req) {
		return
	}
	sha := c.r.PathValue("sha")
	if c.e.objects.commits[sha] == nil {
		c.invalid(fieldError{Resource: "Status", Field: "sha", Code: "custom", Message: "No commit found for SHA: " + sha})
		return
	}
	if req.Context == "" {
		req.Context = "default"
	}
	if utf8.RuneCountInString(req.Description) > maxStatusDescription {
		c.invalid(fieldError{Resource: "Status", Field: "description", Code: "custom",
			Message: fmt.Sprintf("description is too long (maximum is %d characters)", maxStatusDescription)})
		return
	}
	n := 0
	for _, s := range r.statuses {
		if s.sha == sha && s.context == req.Context {
			n++
		}
	}
	if n >= maxStatusesPerContext {
		c.invalid(fieldError{Resource: "Status", Code: "custom", Message: "This SHA and context has reached the maximum number of statuses."})
		return
	}
	s := &commitStatus{id: c.e.nextID(), sha: sha, state: req.State, description: req.Description, targetURL: req.TargetURL,
		context: req.Context, creator: c.actor(), createdAt: c.e.now()}
	r.statuses = append(r.statuses, s)
	c.json(http.StatusCreated, statusJSON(c.u(), r, s))
}

// statusesFor lists a commit's statuses, newest first.
func statusesFor(r *repo, sha string) []*commitStatus {
	var out []*commitStatus
	for i := len(r.statuses) - 1; i >= 0; i-- {
		if r.statuses[i].sha == sha {
			out = append(out, r.statuses[i])
		}
	}
	return out
}

// latestStatuses is the newest status of each context, and their combined
// state: failure if any failed or errored, pending if any is pending or
// there are none, success otherwise.
func latestStatuses(r *repo, sha string) ([]*commitStatus, string) {
	seen := map[string]bool{}
	var latest []*commitStatus
	state := "success"
	for _, s := range statusesFor(r, sha) {
		if seen[s.context] {
			continue
		}
		seen[s.context] = true
		latest = append(latest, s)
		switch {
		case s.state == "failure" || s.state == "error":
			state = "failure"
		case s.state == "pending" && state != "failure":
			state = "pending"
		}
	}
	if len(latest) == 0 {
		state = "pending"
	}
	return latest, state
}

func (c *call) listStatuses() {
	r := c.repoFor()
	if r == nil {
		return
	}
	cm := c.e.resolve(r, c.r.PathValue("ref"))
	if cm == nil {
		c.notFound()
		return
	}
	out := []map[string]any{}
	for _, s := range statusesFor(r, cm.sha) {
		out = append(out, statusJSON(c.u(), r, s))
	}
	paginate(c, out, nil)
}

func (c *call) combinedStatus() {
	r := c.repoFor()
	if r == nil {
		return
	}
	cm := c.e.resolve(r, c.r.PathValue("ref"))
	if cm == nil {
		c.notFound()
		return
	}
	latest, state := latestStatuses(r, cm.sha)
	var list []map[string]any
	for _, s := range latest {
		st := statusJSON(c.u(), r, s)
		delete(st, "creator")
		list = append(list, st)
	}
	api := c.u().api("/repos/" + r.fullName())
	paginate(c, list, func(page []map[string]any) any {
		return map[string]any{
			"state": state, "statuses": page, "sha": cm.sha, "total_count": len(list),
			"repository": repoJSON(c.u(), r), "commit_url": api + "/commits/" + cm.sha,
			"url": api + "/commits/" + cm.sha + "/status",
		}
	})
}
