package ghemu

import (
	"net/http"
	"slices"
	"strings"
)

// Labels on pull requests (issues). Adding and removing one is recorded in
// the issue timeline as `labeled` / `unlabeled` with its actor, as GitHub
// does (https://docs.github.com/en/rest/issues/timeline), which is how the
// bot learns who set a label. Only people with triage access or more may
// set labels
// (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization);
// GitHub answers others 403 (its message is not documented; the emulator's
// says why).

func (e *Emulator) labelRoutes() []route {
	return []route{
		// https://docs.github.com/en/rest/issues/labels#add-labels-to-an-issue
		{id: "issues/add-labels", method: "POST", path: "/repos/{owner}/{repo}/issues/{issue_number}/labels", handle: (*call).addLabels},
		// https://docs.github.com/en/rest/issues/labels#remove-a-label-from-an-issue
		{id: "issues/remove-label", method: "DELETE", path: "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", handle: (*call).removeLabel},
	}
}

// labelJSON is a label as GitHub returns it.
func labelJSON(u urls, r *repo, name string) map[string]any {
	id := int64(0)
	for _, c := range name {
		id = id*31 + int64(c)
	}
	if id < 0 {
		id = -id
	}
	return map[string]any{"id": id, "node_id": nodeID("LA", id), "url": u.api("/repos/" + r.fullName() + "/labels/" + name),
		"name": name, "description": nil, "color": "ededed", "default": false}
}

func labelsJSON(u urls, r *repo, names []string) []any {
	out := []any{}
	for _, n := range names {
		out = append(out, labelJSON(u, r, n))
	}
	return out
}

// mayLabel reports whether the caller may set labels on r: an
// installation (its App has issues: write), the owner, or a collaborator
// with triage or more.
func (c *call) mayLabel(r *repo) bool { return c.hasRole(r, "admin", "maintain", "write", "triage") }

// hasRole reports whether the caller is an installation (acting with its
// App's permissions), r's owner, or a collaborator with one of roles.
func (c *call) hasRole(r *repo, roles ...string) bool {
	if c.who != nil && c.who.inst != nil {
		return true
	}
	a := c.actor()
	if a == nil {
		return false
	}
	return a == r.owner || slices.Contains(roles, r.perms[strings.ToLower(a.login)])
}

func (c *call) addLabels() {
	r, p := c.issueFor()
	if p == nil {
		return
	}
	var req struct {
		Labels []string `json:"labels"`
	}
	if !c.decode(&req) {
		return
	}
	if !c.mayLabel(r) {
		c.fail(http.StatusForbidden, "Must have triage access to the repository to add labels")
		return
	}
	for _, name := range req.Labels {
		if name == "" || slices.Contains(p.labels, name) {
			continue
		}
		p.labels = append(p.labels, name)
		p.timeline = append(p.timeline, timelineEvent{id: c.e.nextID(), event: "labeled", actor: c.actor(), at: c.e.now(), label: name})
	}
	c.json(http.StatusOK, labelsJSON(c.u(), r, p.labels))
}

func (c *call) removeLabel() {
	r, p := c.issueFor()
	if p == nil {
		return
	}
	if !c.mayLabel(r) {
		c.fail(http.StatusForbidden, "Must have triage access to the repository to remove labels")
		return
	}
	name := c.r.PathValue("name")
	i := slices.Index(p.labels, name)
	if i < 0 {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	p.labels = slices.Delete(p.labels, i, i+1)
	p.timeline = append(p.timeline, timelineEvent{id: c.e.nextID(), event: "unlabeled", actor: c.actor(), at: c.e.now(), label: name})
	c.json(http.StatusOK, labelsJSON(c.u(), r, p.labels))
}
