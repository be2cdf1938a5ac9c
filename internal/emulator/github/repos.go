package ghemu

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// repo is a repository and everything hanging off it.
type repo struct {
	id            int64
	owner         *account
	name          string
	defaultBranch string
	branches      map[string]string // name → commit SHA
	createdAt     time.Time
	pushedAt      time.Time
	parent        *repo // for forks
	private       bool

	pulls       map[int]*pull
	issues      map[int]*issue // issues that are not pull requests (issues.go)
	nextNumber  int            // shared by issues and pull requests
	comments    []*issueComment
	checkRuns   []*checkRun
	statuses    []*commitStatus
	deployments []*deployment
	perms       map[string]string // lower login → admin, maintain, write, triage, read
	activity    []activity        // pushes, oldest first (timeline.go)
}

func (r *repo) fullName() string { return r.owner.login + "/" + r.name }

func (e *Emulator) repo(owner, name string) *repo {
	return e.repos[strings.ToLower(owner+"/"+name)]
}

func (e *Emulator) repoByFullName(full string) (*repo, error) {
	owner, name, ok := strings.Cut(full, "/")
	if !ok {
		return nil, fmt.Errorf("repository %q: want OWNER/NAME", full)
	}
	r := e.repo(owner, name)
	if r == nil {
		return nil, fmt.Errorf("repository %s does not exist", full)
	}
	return r, nil
}

var hexSHA = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// resolve turns a branch name ("main", "heads/main", "refs/heads/main") or a
// (possibly abbreviated) commit SHA into a commit.
func (e *Emulator) resolve(r *repo, ref string) *commit {
	name := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	if sha, ok := r.branches[name]; ok {
		return e.objects.commits[sha]
	}
	if !hexSHA.MatchString(ref) {
		return nil
	}
	if c := e.objects.commits[ref]; c != nil {
		return c
	}
	var found *commit
	for sha, c := range e.objects.commits {
		if strings.HasPrefix(sha, ref) {
			if found != nil {
				return nil // ambiguous
			}
			found = c
		}
	}
	return found
}

// repoFor finds the path's repository the caller may see, answering 404
// otherwise.
func (c *call) repoFor() *repo {
	r := c.e.repo(c.r.PathValue("owner"), c.r.PathValue("repo"))
	if r == nil || !c.canSee(r) {
		c.notFound()
		return nil
	}
	return r
}

func (e *Emulator) repoRoutes() []route {
	return []route{
		{id: "repos/get", method: "GET", path: "/repos/{owner}/{repo}", handle: (*call).getRepo},
		{id: "repos/get-branch", method: "GET", path: "/repos/{owner}/{repo}/branches/{branch}", handle: (*call).getBranch},
		{id: "repos/get-commit", method: "GET", path: "/repos/{owner}/{repo}/commits/{ref}", pattern: "/repos/{owner}/{repo}/commits/{ref...}", handle: (*call).getCommit},
		{id: "repos/list-pull-requests-associated-with-commit", method: "GET", path: "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", handle: (*call).listCommitPulls},
		{id: "repos/compare-commits", method: "GET", path: "/repos/{owner}/{repo}/compare/{base}...{head}", pattern: "/repos/{owner}/{repo}/compare/{basehead...}", handle: (*call).compare},
		{id: "repos/get-content", method: "GET", path: "/repos/{owner}/{repo}/contents/{path}", pattern: "/repos/{owner}/{repo}/contents/{path...}", handle: (*call).getContent},
		{id: "repos/create-or-update-file-contents", method: "PUT", path: "/repos/{owner}/{repo}/contents/{path}", pattern: "/repos/{owner}/{repo}/contents/{path...}", handle: (*call).putContent},
	}
}

// userJSON is a simple-user.
func userJSON(u urls, a *account) map[string]any {
	if a == nil {
		return nil
	}
	api := u.api("/users/" + a.login)
	return map[string]any{
		"login": a.login, "id": a.id, "node_id": nodeID("U", a.id), "type": a.kind, "site_admin": false,
		"avatar_url": "https://avatars.githubusercontent.com/u/" + fmt.Sprint(a.id), "gravatar_id": "",
		"url": api, "html_url": u.html("/" + a.login), "followers_url": api + "/followers",
		"following_url": api + "/following{/other_user}", "gists_url": api + "/gists{/gist_id}",
		"starred_url": api + "/starred{/owner}{/repo}", "subscriptions_url": api + "/subscriptions",
		"organizations_url": api + "/orgs", "repos_url": api + "/repos", "events_url": api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
	}
}

// repoJSON is a repository (the full form; smaller forms are subsets that
// validate against it).
func repoJSON(u urls, r *repo) map[string]any {
	api := u.api("/repos/" + r.fullName())
	visibility := "public"
	if r.private {
		visibility = "private"
	}
	m := map[string]any{
		"id": r.id, "node_id": nodeID("R", r.id), "name": r.name, "full_name": r.fullName(),
		"owner": userJSON(u, r.owner), "private": r.private, "visibility": visibility,
		"html_url": u.html("/" + r.fullName()), "description": nil, "fork": r.parent != nil,
		"url": api, "default_branch": r.defaultBranch, "archived": false, "disabled": false,
		"created_at": ts(r.createdAt), "updated_at": ts(r.pushedAt), "pushed_at": ts(r.pushedAt),
		"git_url":   "git://" + strings.TrimPrefix(u.html("/"+r.fullName()), "http://") + ".git",
		"clone_url": u.html("/"+r.fullName()) + ".git", "ssh_url": "git@github.com:" + r.fullName() + ".git",
		"svn_url": u.html("/" + r.fullName()), "homepage": nil, "language": nil, "mirror_url": nil,
		"size": 1, "topics": []string{}, "license": nil,
		"forks_count": 0, "forks": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
		"open_issues_count": len(r.pulls), "open_issues": len(r.pulls),
		"has_issues": true, "has_projects": true, "has_discussions": false, "has_wiki": true, "has_pages": false, "has_downloads": true,
		"is_template": false, "allow_forking": true, "web_commit_signoff_required": false,
		"archive_url": api + "/{archive_format}{/ref}", "assignees_url": api + "/assignees{/user}",
		"blobs_url": api + "/git/blobs{/sha}", "branches_url": api + "/branches{/branch}",
		"collaborators_url": api + "/collaborators{/collaborator}", "comments_url": api + "/comments{/number}",
		"commits_url": api + "/commits{/sha}", "compare_url": api + "/compare/{base}...{head}",
		"contents_url": api + "/contents/{+path}", "contributors_url": api + "/contributors",
		"deployments_url": api + "/deployments", "downloads_url": api + "/downloads", "events_url": api + "/events",
		"forks_url": api + "/forks", "git_commits_url": api + "/git/commits{/sha}", "git_refs_url": api + "/git/refs{/sha}",
		"git_tags_url": api + "/git/tags{/sha}", "hooks_url": api + "/hooks", "issue_comment_url": api + "/issues/comments{/number}",
		"issue_events_url": api + "/issues/events{/number}", "issues_url": api + "/issues{/number}",
		"keys_url": api + "/keys{/key_id}", "labels_url": api + "/labels{/name}", "languages_url": api + "/languages",
		"merges_url": api + "/merges", "milestones_url": api + "/milestones{/number}",
		"notifications_url": api + "/notifications{?since,all,participating}", "pulls_url": api + "/pulls{/number}",
		"releases_url": api + "/releases{/id}", "stargazers_url": api + "/stargazers", "statuses_url": api + "/statuses/{sha}",
		"subscribers_url": api + "/subscribers", "subscription_url": api + "/subscription", "tags_url": api + "/tags",
		"teams_url": api + "/teams", "trees_url": api + "/git/trees{/sha}",
		"network_count": 0, "subscribers_count": 0,
	}
	if r.parent != nil {
		m["parent"] = repoJSON(u, r.parent)
		m["source"] = repoJSON(u, r.parent)
	}
	return m
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func nodeID(prefix string, id int64) string {
	return base64.RawStdEncoding.EncodeToString([]byte(fmt.Sprintf("%s_%d", prefix, id)))
}

// commitJSON is the REST "commit" object; files lists the diff to the first
// parent when withFiles is set.
func (e *Emulator) commitJSON(u urls, r *repo, c *commit, withFiles bool) map[string]any {
	api := u.api("/repos/" + r.fullName())
	var parents []map[string]any
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/commits/" + p, "html_url": u.html("/" + r.fullName() + "/commit/" + p)})
	}
	if parents == nil {
		parents = []map[string]any{}
	}
	sig := func(s signature) map[string]any {
		return map[string]any{"name": s.name, "email": s.email, "date": ts(s.when)}
	}
	m := map[string]any{
		"sha": c.sha, "node_id": nodeID("C", int64(len(c.sha))), "url": api + "/commits/" + c.sha,
		"html_url": u.html("/" + r.fullName() + "/commit/" + c.sha), "comments_url": api + "/commits/" + c.sha + "/comments",
		"commit": map[string]any{
			"url": api + "/git/commits/" + c.sha, "author": sig(c.author), "committer": sig(c.committer),
			"message": c.message, "comment_count": 0,
			"tree":         map[string]any{"sha": c.tree, "url": api + "/git/trees/" + c.tree},
			"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
		},
		"author": userJSON(u, e.account(c.author.login)), "committer": userJSON(u, e.account(c.committer.login)),
		"parents": parents,
	}
	if withFiles {
		var before map[string]string
		if len(c.parents) > 0 {
			before = e.objects.commits[c.parents[0]].files
		}
		files := e.filesJSON(u, r, c.sha, e.objects.diff(before, c.files))
		adds, dels := 0, 0
		for _, f := range files {
			adds += f["additions"].(int)
			dels += f["deletions"].(int)
		}
		m["files"] = files
		m["stats"] = map[string]any{"additions": adds, "deletions": dels, "total": adds + dels}
	}
	return m
}

// filesJSON renders diff entries as GitHub lists them.
func (e *Emulator) filesJSON(u urls, r *repo, ref string, changes []fileChange) []map[string]any {
	out := []map[string]any{}
	for _, f := range changes {
		m := map[string]any{
			"sha": f.sha, "filename": f.filename, "status": f.status,
			"additions": f.additions, "deletions": f.deletions, "changes": f.additions + f.deletions,
			"blob_url":     u.html("/" + r.fullName() + "/blob/" + ref + "/" + f.filename),
			"raw_url":      u.html("/" + r.fullName() + "/raw/" + ref + "/" + f.filename),
			"contents_url": u.api("/repos/" + r.fullName() + "/contents/" + f.filename + "?ref=" + ref),
		}
		if f.patch != "" {
			m["patch"] = f.patch
		}
		if f.previous != "" {
			m["previous_filename"] = f.previous
		}
		out = append(out, m)
	}
	return out
}

func (c *call) getRepo() {
	if r := c.repoFor(); r != nil {
		c.json(http.StatusOK, repoJSON(c.u(), r))
	}
}

func (c *call) getBranch() {
	r := c.repoFor()
	if r == nil {
		return
	}
	name := c.r.PathValue("branch")
	sha, ok := r.branches[name]
	if !ok {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	api := c.u().api("/repos/" + r.fullName() + "/branches/" + name)
	c.json(http.StatusOK, map[string]any{
		"name":      name,
		"commit":    c.e.commitJSON(c.u(), r, c.e.objects.commits[sha], false),
		"_links":    map[string]any{"self": api, "html": c.u().html("/" + r.fullName() + "/tree/" + name)},
		"protected": false,
		"protection": map[string]any{
			"enabled":                false,
			"required_status_checks": map[string]any{"enforcement_level": "off", "contexts": []string{}},
		},
		"protection_url": api + "/protection",
	})
}

func (c *call) getCommit() {
	r := c.repoFor()
	if r == nil {
		return
	}
	cm := c.e.resolve(r, c.r.PathValue("ref"))
	if cm == nil {
		c.invalid(fieldError{Resource: "Commit", Field: "ref", Code: "invalid", Message: "No commit found for SHA: " + c.r.PathValue("ref")})
		return
	}
	c.json(http.StatusOK, c.e.commitJSON(c.u(), r, cm, true))
}

// listCommitPulls lists the pull requests that merged the commit or whose
// commits include it.
func (c *call) listCommitPulls() {
	r := c.repoFor()
	if r == nil {
		return
	}
	sha := c.r.PathValue("commit_sha")
	cm := c.e.resolve(r, sha)
	if cm == nil {
		c.invalid(fieldError{Resource: "Commit", Field: "commit_sha", Code: "invalid", Message: "No commit found for SHA: " + sha})
		return
	}
	var out []map[string]any
	for _, p := range r.sortedPulls() {
		if p.mergeCommitSHA == cm.sha || p.headSHA == cm.sha || c.e.pullHasCommit(p, cm.sha) {
			out = append(out, c.e.pullJSON(c.u(), p, false))
		}
	}
	paginate(c, out, nil)
}

// compare answers GET /compare/BASE...HEAD; either side may be OWNER:REF
// (a fork).
func (c *call) compare() {
	r := c.repoFor()
	if r == nil {
		return
	}
	basehead := c.r.PathValue("basehead")
	base, head, ok := strings.Cut(basehead, "...")
	if !ok {
		base, head, ok = strings.Cut(basehead, "..")
	}
	if !ok {
		c.notFound()
		return
	}
	bc, hc := c.e.resolveCross(r, base), c.e.resolveCross(r, head)
	if bc == nil || hc == nil {
		c.notFound()
		return
	}
	mb := c.e.objects.mergeBase(bc.sha, hc.sha)
	ahead := c.e.objects.commitsBetween(bc.sha, hc.sha)
	behind := c.e.objects.commitsBetween(hc.sha, bc.sha)
	status := "diverged"
	switch {
	case len(ahead) == 0 && len(behind) == 0:
		status = "identical"
	case len(behind) == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	var mbFiles map[string]string
	var mbJSON map[string]any
	if mbc := c.e.objects.commits[mb]; mbc != nil {
		mbFiles = mbc.files
		mbJSON = c.e.commitJSON(c.u(), r, mbc, false)
	}
	commits := []map[string]any{}
	for _, cm := range ahead {
		commits = append(commits, c.e.commitJSON(c.u(), r, cm, false))
	}
	api := c.u().api("/repos/" + r.fullName() + "/compare/" + basehead)
	html := c.u().html("/" + r.fullName() + "/compare/" + basehead)
	c.json(http.StatusOK, map[string]any{
		"url": api, "html_url": html, "permalink_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
		"base_commit": c.e.commitJSON(c.u(), r, bc, false), "merge_base_commit": mbJSON,
		"status": status, "ahead_by": len(ahead), "behind_by": len(behind), "total_commits": len(ahead),
		"commits": commits, "files": c.e.filesJSON(c.u(), r, hc.sha, c.e.objects.diff(mbFiles, hc.files)),
	})
}

// resolveCross resolves REF or OWNER:REF (a fork of r) for compare.
func (e *Emulator) resolveCross(r *repo, ref string) *commit {
	if owner, rest, ok := strings.Cut(ref, ":"); ok {
		for _, other := range e.repos {
			if strings.EqualFold(other.owner.login, owner) && (other == r || other.parent == r || r.parent == other) {
				return e.resolve(other, rest)
			}
		}
		return nil
	}
	return e.resolve(r, ref)
}

// contentEntry is a file or directory entry of the contents API.
func contentEntry(u urls, r *repo, ref, path, typ, sha string, size int) map[string]any {
	api := u.api("/repos/" + r.fullName() + "/contents/" + path + "?ref=" + ref)
	kind := "trees"
	if typ == "file" {
		kind = "blobs"
	}
	git := u.api("/repos/" + r.fullName() + "/git/" + kind + "/" + sha)
	html := u.html("/" + r.fullName() + "/blob/" + ref + "/" + path)
	var download any
	if typ == "file" {
		download = u.html("/" + r.fullName() + "/raw/" + ref + "/" + path)
	}
	name := path[strings.LastIndex(path, "/")+1:]
	return map[string]any{
		"type": typ, "size": size, "name": name, "path": path, "sha": sha,
		"url": api, "git_url": git, "html_url": html, "download_url": download,
		"_links": map[string]any{"self": api, "git": git, "html": html},
	}
}

func (c *call) getContent() {
	r := c.repoFor()
	if r == nil {
		return
	}
	ref := c.query("ref")
	if ref == "" {
		ref = r.defaultBranch
	}
	cm := c.e.resolve(r, ref)
	if cm == nil {
		c.fail(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if sha, ok := cm.files[path]; ok {
		content := c.e.objects.blobs[sha]
		if c.wantsRaw() {
			c.raw(content)
			return
		}
		m := contentEntry(c.u(), r, ref, path, "file", sha, len(content))
		m["encoding"] = "base64"
		m["content"] = wrap60(base64.StdEncoding.EncodeToString(content))
		c.json(http.StatusOK, m)
		return
	}
	// A directory: list its direct children.
	prefix := path + "/"
	if path == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	var entries []map[string]any
	paths := make([]string, 0, len(cm.files))
	for p := range cm.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if dir, _, isDir := strings.Cut(rest, "/"); isDir {
			if !seen[dir] {
				seen[dir] = true
				entries = append(entries, contentEntry(c.u(), r, ref, prefix+dir, "dir", c.e.subtreeSHA(cm, prefix+dir), 0))
			}
			continue
		}
		sha := cm.files[p]
		entries = append(entries, contentEntry(c.u(), r, ref, p, "file", sha, len(c.e.objects.blobs[sha])))
	}
	if len(entries) == 0 {
		c.notFound()
		return
	}
	c.json(http.StatusOK, entries)
}

// subtreeSHA finds the tree SHA of directory dir in commit cm.
func (e *Emulator) subtreeSHA(cm *commit, dir string) string {
	sha := cm.tree
	for _, part := range strings.Split(dir, "/") {
		t := e.objects.trees[sha]
		if t == nil {
			return ""
		}
		sha = ""
		for _, en := range t.entries {
			if en.name == part && en.typ == "tree" {
				sha = en.sha
			}
		}
	}
	return sha
}

// wrap60 breaks base64 into 60-character lines, as GitHub sends it.
func wrap60(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	b.WriteString(s)
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

type identity struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// putContent creates or updates one file with a commit on a branch. Updating
// requires the blob SHA being replaced; a stale one is a 409, as on GitHub.
func (c *call) putContent() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		Message   string    `json:"message"`
		Content   string    `json:"content"`
		SHA       string    `json:"sha"`
		Branch    string    `json:"branch"`
		Committer *identity `json:"committer"`
		Author    *identity `json:"author"`
	}
	if !c.decode(&req) {
		return
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	content, err := base64.StdEncoding.DecodeString(req.Content)
	if err != nil {
		c.invalid(fieldError{Resource: "Commit", Field: "content", Code: "invalid", Message: "content is not valid Base64"})
		return
	}
	branch := req.Branch
	if branch == "" {
		branch = r.defaultBranch
	}
	tip, ok := r.branches[branch]
	if !ok {
		c.fail(http.StatusNotFound, "Branch "+branch+" not found")
		return
	}
	files := c.e.objects.commits[tip].files
	existing, exists := files[path]
	switch {
	case exists && req.SHA == "":
		c.fail(http.StatusUnprocessableEntity, `Invalid request.`+"\n\n"+`"sha" wasn't supplied.`)
		return
	case exists && req.SHA != existing, !exists && req.SHA != "":
		c.fail(http.StatusConflict, fmt.Sprintf("%s does not match %s", path, req.SHA))
		return
	}
	who := c.actor()
	author := c.e.signatureFor(who, req.Author)
	committer := c.e.webFlow(author.when)
	if req.Committer != nil {
		committer = c.e.signatureFor(who, req.Committer)
	}
	cm := c.e.commitFiles(r, branch, Change{Message: req.Message, Files: map[string]string{path: string(content)}}, author, committer)
	c.events = append(c.events, c.e.pushEvent(c.u(), r, branch, tip, []*commit{cm}, who))

	blobSHA := cm.files[path]
	status := http.StatusCreated
	if exists {
		status = http.StatusOK
	}
	entry := contentEntry(c.u(), r, branch, path, "file", blobSHA, len(content))
	cj := c.e.commitJSON(c.u(), r, cm, false)
	git := cj["commit"].(map[string]any)
	c.json(status, map[string]any{
		"content": entry,
		"commit": map[string]any{
			"sha": cm.sha, "node_id": cj["node_id"], "url": git["url"], "html_url": cj["html_url"],
			"author": git["author"], "committer": git["committer"], "message": cm.message,
			"tree": git["tree"], "parents": cj["parents"], "verification": git["verification"],
		},
	})
}

// signatureFor builds a commit signature from an explicit identity or the
// acting user. Callers hold e.mu.
func (e *Emulator) signatureFor(who *account, id *identity) signature {
	s := signature{when: e.tick()}
	if who != nil {
		s.name, s.email, s.login = who.login, who.login+"@users.noreply.github.com", who.login
	}
	if id != nil && id.Name != "" {
		s.name, s.email = id.Name, id.Email
	}
	return s
}

// webFlow is the committer of commits GitHub makes on a user's behalf
// (merges, API and web edits): GitHub <noreply@github.com>, login web-flow.
// Callers hold e.mu.
func (e *Emulator) webFlow(when time.Time) signature {
	if e.account("web-flow") == nil {
		e.addAccount("web-flow", "User")
	}
	return signature{name: "GitHub", email: "noreply@github.com", login: "web-flow", when: when}
}

// tick advances the logical commit clock by a second. Callers hold e.mu.
func (e *Emulator) tick() time.Time {
	e.commitAt = e.commitAt.Add(time.Second)
	return e.commitAt
}
