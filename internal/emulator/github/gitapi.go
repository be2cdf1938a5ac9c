package ghemu

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
)

// maxTreeEntries is where GitHub truncates a recursive tree listing.
const maxTreeEntries = 100_000

func (e *Emulator) gitRoutes() []route {
	return []route{
		{id: "git/get-ref", method: "GET", path: "/repos/{owner}/{repo}/git/ref/{ref}", pattern: "/repos/{owner}/{repo}/git/ref/{ref...}", handle: (*call).getRef},
		{id: "git/list-matching-refs", method: "GET", path: "/repos/{owner}/{repo}/git/matching-refs/{ref}", pattern: "/repos/{owner}/{repo}/git/matching-refs/{ref...}", handle: (*call).listMatchingRefs},
		{id: "git/create-ref", method: "POST", path: "/repos/{owner}/{repo}/git/refs", handle: (*call).createRef},
		{id: "git/update-ref", method: "PATCH", path: "/repos/{owner}/{repo}/git/refs/{ref}", pattern: "/repos/{owner}/{repo}/git/refs/{ref...}", handle: (*call).updateRef},
		{id: "git/get-tree", method: "GET", path: "/repos/{owner}/{repo}/git/trees/{tree_sha}", handle: (*call).getTree},
		{id: "git/get-blob", method: "GET", path: "/repos/{owner}/{repo}/git/blobs/{file_sha}", handle: (*call).getBlob},
	}
}

func refJSON(u urls, r *repo, branch, sha string) map[string]any {
	api := u.api("/repos/" + r.fullName())
	return map[string]any{
		"ref": "refs/heads/" + branch, "node_id": nodeID("REF", int64(len(branch))), "url": api + "/git/refs/heads/" + branch,
		"object": map[string]any{"type": "commit", "sha": sha, "url": api + "/git/commits/" + sha},
	}
}

// branchOf maps "heads/x" or "refs/heads/x" to x; tags are not modelled.
func branchOf(ref string) (string, bool) {
	return strings.CutPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
}

func (c *call) getRef() {
	r := c.repoFor()
	if r == nil {
		return
	}
	name, ok := branchOf(c.r.PathValue("ref"))
	sha, exists := r.branches[name]
	if !ok || !exists {
		c.notFound()
		return
	}
	c.json(http.StatusOK, refJSON(c.u(), r, name, sha))
}

// listMatchingRefs lists the branches whose ref starts with the given one
// (https://docs.github.com/en/rest/git/refs#list-matching-references), an
// empty array when none does.
func (c *call) listMatchingRefs() {
	r := c.repoFor()
	if r == nil {
		return
	}
	prefix, ok := branchOf(c.r.PathValue("ref"))
	out := []map[string]any{}
	if ok {
		names := make([]string, 0, len(r.branches))
		for name := range r.branches {
			if strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			out = append(out, refJSON(c.u(), r, name, r.branches[name]))
		}
	}
	paginate(c, out, nil)
}

func (c *call) createRef() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&req) {
		return
	}
	if !strings.HasPrefix(req.Ref, "refs/") || strings.Count(req.Ref, "/") < 2 {
		c.invalidRequest("ref must start with 'refs/' and have at least two slashes.")
		return
	}
	name, ok := branchOf(req.Ref)
	if !ok {
		c.invalidRequest("only branch refs (refs/heads/…) are emulated")
		return
	}
	if _, exists := r.branches[name]; exists {
		c.fail(http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	if c.e.objects.commits[req.SHA] == nil {
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	r.branches[name] = req.SHA
	c.events = append(c.events, c.e.pushEvent(c.u(), r, name, "", nil, c.actor()))
	c.json(http.StatusCreated, refJSON(c.u(), r, name, req.SHA))
}

// updateRef moves a branch; a non-fast-forward needs force, as on GitHub.
func (c *call) updateRef() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&req) {
		return
	}
	name, ok := branchOf(c.r.PathValue("ref"))
	old, exists := r.branches[name]
	if !ok || !exists {
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	if c.e.objects.commits[req.SHA] == nil {
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if !req.Force && !c.e.objects.ancestors(req.SHA)[old] {
		c.fail(http.StatusUnprocessableEntity, "Update is not a fast forward")
		return
	}
	r.branches[name] = req.SHA
	r.pushedAt = c.e.now()
	c.events = append(c.events, c.e.pushEvent(c.u(), r, name, old, c.e.objects.commitsBetween(old, req.SHA), c.actor()))
	c.e.synchronizePulls(c.u(), r, name, old, c.actor(), &c.events)
	c.json(http.StatusOK, refJSON(c.u(), r, name, req.SHA))
}

// getTree answers a tree by tree SHA, commit SHA or branch; recursive lists
// every path below it.
func (c *call) getTree() {
	r := c.repoFor()
	if r == nil {
		return
	}
	sha := c.r.PathValue("tree_sha")
	if c.e.objects.trees[sha] == nil {
		cm := c.e.resolve(r, sha)
		if cm == nil {
			c.notFound()
			return
		}
		sha = cm.tree
	}
	api := c.u().api("/repos/" + r.fullName())
	recursive := c.query("recursive") != "" && c.query("recursive") != "0" && c.query("recursive") != "false"
	var entries []map[string]any
	var walk func(sha, prefix string)
	walk = func(sha, prefix string) {
		for _, en := range c.e.objects.trees[sha].entries {
			m := map[string]any{"path": prefix + en.name, "mode": en.mode, "type": en.typ, "sha": en.sha}
			if en.typ == "blob" {
				m["size"] = en.size
				m["url"] = api + "/git/blobs/" + en.sha
			} else {
				m["url"] = api + "/git/trees/" + en.sha
			}
			entries = append(entries, m)
			if recursive && en.typ == "tree" {
				walk(en.sha, prefix+en.name+"/")
			}
		}
	}
	walk(sha, "")
	truncated := len(entries) > maxTreeEntries
	if truncated {
		entries = entries[:maxTreeEntries]
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i]["path"].(string) < entries[j]["path"].(string) })
	if entries == nil {
		entries = []map[string]any{}
	}
	c.json(http.StatusOK, map[string]any{"sha": sha, "url": api + "/git/trees/" + sha, "tree": entries, "truncated": truncated})
}

func (c *call) getBlob() {
	r := c.repoFor()
	if r == nil {
		return
	}
	sha := c.r.PathValue("file_sha")
	content, ok := c.e.objects.blobs[sha]
	if !ok {
		c.notFound()
		return
	}
	if c.wantsRaw() {
		c.raw(content)
		return
	}
	c.json(http.StatusOK, map[string]any{
		"sha": sha, "node_id": nodeID("B", int64(len(sha))), "size": len(content),
		"url":      c.u().api("/repos/" + r.fullName() + "/git/blobs/" + sha),
		"content":  wrap60(base64.StdEncoding.EncodeToString(content)),
		"encoding": "base64",
	})
}
