package ghemu

import (
	"fmt"
	"maps"
	"strings"
)

// The seeding API changes state from Go as the corresponding GitHub action
// would, emitting the same webhooks. Repositories are named "OWNER/NAME";
// users by login.

// CreateOrg creates an organization (no-op if it exists).
func (e *Emulator) CreateOrg(login string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.account(login) == nil {
		e.addAccount(login, "Organization")
	}
}

// CreateUser creates a user (if new) and returns a new personal access
// token for it.
func (e *Emulator) CreateUser(login string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.account(login)
	if a == nil {
		a = e.addAccount(login, "User")
	}
	p := &principal{token: newToken("ghp_"), user: a}
	e.tokens[p.token] = p
	return p.token
}

// AddTeamMember adds user to the organization's team (created if new) with
// role "member" or "maintainer" and state "active" or "pending".
func (e *Emulator) AddTeamMember(org, teamSlug, user, role, state string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, u := e.account(org), e.account(user)
	if o == nil || o.kind != "Organization" {
		return fmt.Errorf("no organization %s", org)
	}
	if u == nil {
		return fmt.Errorf("no user %s", user)
	}
	t := o.teams[strings.ToLower(teamSlug)]
	if t == nil {
		t = &team{id: e.nextID(), slug: teamSlug, members: map[string]*membership{}}
		o.teams[strings.ToLower(teamSlug)] = t
	}
	if role == "" {
		role = "member"
	}
	if state == "" {
		state = "active"
	}
	t.members[strings.ToLower(user)] = &membership{user: u, role: role, state: state}
	return nil
}

// SetPermission makes user a collaborator of repo with permission admin,
// maintain, write, triage or read ("" removes it).
func (e *Emulator) SetPermission(repo, user, permission string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		return err
	}
	if e.account(user) == nil {
		return fmt.Errorf("no user %s", user)
	}
	if permission == "" {
		delete(r.perms, strings.ToLower(user))
	} else {
		r.perms[strings.ToLower(user)] = permission
	}
	return nil
}

// CreateRepo creates a repository whose default branch "main" holds one
// commit of files (path → content). The owner is created as an
// organization if unknown. It returns the commit SHA.
func (e *Emulator) CreateRepo(fullName string, files map[string]string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || name == "" {
		return "", fmt.Errorf("repository %q: want OWNER/NAME", fullName)
	}
	if e.repo(owner, name) != nil {
		return "", fmt.Errorf("repository %s exists", fullName)
	}
	o := e.account(owner)
	if o == nil {
		o = e.addAccount(owner, "Organization")
	}
	r := e.newRepo(o, name, nil)
	blobs := map[string]string{}
	for p, content := range files {
		blobs[p] = e.objects.putBlob([]byte(content))
	}
	sig := signature{name: o.login, email: o.login + "@users.noreply.github.com", login: o.login, when: e.tick()}
	c := e.objects.putCommit(blobs, nil, sig, sig, "Initial commit")
	r.branches["main"] = c.sha
	return c.sha, nil
}

func (e *Emulator) newRepo(owner *account, name string, parent *repo) *repo {
	t := e.now()
	r := &repo{
		id: e.nextID(), owner: owner, name: name, defaultBranch: "main", branches: map[string]string{},
		createdAt: t, pushedAt: t, parent: parent, pulls: map[int]*pull{}, perms: map[string]string{},
	}
	e.repos[strings.ToLower(r.fullName())] = r
	return r
}

// Fork forks source into owner's account (a user, created if unknown),
// copying its branches, and returns the fork's full name.
func (e *Emulator) Fork(source, owner string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	src, err := e.repoByFullName(source)
	if err != nil {
		return "", err
	}
	o := e.account(owner)
	if o == nil {
		o = e.addAccount(owner, "User")
	}
	if e.repo(owner, src.name) != nil {
		return "", fmt.Errorf("repository %s/%s exists", owner, src.name)
	}
	f := e.newRepo(o, src.name, src)
	f.branches = maps.Clone(src.branches)
	return f.fullName(), nil
}

// CreateBranch creates branch in repo at from (a branch or SHA), emitting
// a push.
func (e *Emulator) CreateBranch(repo, branch, from string) error {
	e.mu.Lock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	c := e.resolve(r, from)
	if c == nil {
		e.mu.Unlock()
		return fmt.Errorf("%s: no commit for %q", repo, from)
	}
	if _, ok := r.branches[branch]; ok {
		e.mu.Unlock()
		return fmt.Errorf("%s: branch %s exists", repo, branch)
	}
	r.branches[branch] = c.sha
	events := []*event{e.pushEvent(e.u(), r, branch, "", nil, r.owner)}
	e.mu.Unlock()
	e.dispatch(events)
	return nil
}

// Change is one commit's worth of changes to a branch.
type Change struct {
	Message string
	// Author is the committing user's login (default: the repo owner): who
	// pushes the commit, and by default its author and committer.
	Author string
	// RecordedAs, when set, is the login the commit's author and committer
	// name, although Author pushes it: git metadata is free text.
	RecordedAs string
	// Files maps a path to its new content (created or replaced).
	Files map[string]string
	// Delete lists paths to remove.
	Delete []string
	// Rename maps an old path to a new one (content kept unless Files
	// also names the new path).
	Rename map[string]string
}

// Push commits ch on branch of repo (creating the branch from the default
// branch if it does not exist) and returns the new commit SHA. It emits a
// push and, for pull requests whose head is the branch, synchronize.
func (e *Emulator) Push(repo, branch string, ch Change) (string, error) {
	e.mu.Lock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		e.mu.Unlock()
		return "", err
	}
	who := r.owner
	if ch.Author != "" {
		if who = e.account(ch.Author); who == nil {
			e.mu.Unlock()
			return "", fmt.Errorf("no user %s", ch.Author)
		}
	}
	before, ok := r.branches[branch]
	if !ok {
		r.branches[branch] = r.branches[r.defaultBranch]
	}
	sig := e.signatureFor(who, nil)
	if ch.RecordedAs != "" {
		as := e.account(ch.RecordedAs)
		if as == nil {
			e.mu.Unlock()
			return "", fmt.Errorf("no user %s", ch.RecordedAs)
		}
		sig = e.signatureFor(as, nil)
	}
	c := e.commitFiles(r, branch, ch, sig, sig)
	u := e.u()
	events := []*event{e.pushEvent(u, r, branch, before, []*commit{c}, who)}
	e.synchronizePulls(u, r, branch, before, who, &events)
	e.mu.Unlock()
	e.dispatch(events)
	return c.sha, nil
}

// commitFiles applies ch to branch's tip as a new commit and moves the
// branch. Callers hold e.mu.
func (e *Emulator) commitFiles(r *repo, branch string, ch Change, author, committer signature) *commit {
	tip := r.branches[branch]
	files := maps.Clone(e.objects.commits[tip].files)
	if files == nil {
		files = map[string]string{}
	}
	for from, to := range ch.Rename {
		if sha, ok := files[from]; ok {
			delete(files, from)
			files[to] = sha
		}
	}
	for _, p := range ch.Delete {
		delete(files, p)
	}
	for p, content := range ch.Files {
		files[p] = e.objects.putBlob([]byte(content))
	}
	msg := ch.Message
	if msg == "" {
		msg = "Update " + branch
	}
	c := e.objects.putCommit(files, []string{tip}, author, committer, msg)
	r.branches[branch] = c.sha
	r.pushedAt = e.now()
	return c
}

// PullRequestSpec describes a pull request to open.
type PullRequestSpec struct {
	Title string
	Body  string
	// Head is the head branch, or OWNER:BRANCH for a branch of a fork.
	Head string
	// Base is the base branch (default: the repository's default branch).
	Base  string
	Draft bool
	// Author is the opening user's login (default: the head repo's owner).
	Author string
}

// OpenPullRequest opens a pull request on repo, emitting pull_request
// "opened", and returns its number.
func (e *Emulator) OpenPullRequest(repo string, s PullRequestSpec) (int, error) {
	e.mu.Lock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		e.mu.Unlock()
		return 0, err
	}
	if s.Base == "" {
		s.Base = r.defaultBranch
	}
	who := r.owner
	if owner, _, ok := strings.Cut(s.Head, ":"); ok {
		if a := e.account(owner); a != nil {
			who = a
		}
	}
	if s.Author != "" {
		if who = e.account(s.Author); who == nil {
			e.mu.Unlock()
			return 0, fmt.Errorf("no user %s", s.Author)
		}
	}
	var events []*event
	p, errs := e.openPull(e.u(), r, s, who, &events)
	e.mu.Unlock()
	if errs != nil {
		return 0, fmt.Errorf("open pull request: %+v", errs)
	}
	e.dispatch(events)
	return p.number, nil
}

// pullByRef finds a pull request. Callers hold e.mu.
func (e *Emulator) pullByRef(repo string, number int) (*repo, *pull, error) {
	r, err := e.repoByFullName(repo)
	if err != nil {
		return nil, nil, err
	}
	p := r.pulls[number]
	if p == nil {
		return nil, nil, fmt.Errorf("%s has no pull request #%d", repo, number)
	}
	return r, p, nil
}

// Review submits a review as user: action is APPROVE, REQUEST_CHANGES or
// COMMENT. It reviews the current head and emits pull_request_review
// "submitted". It returns the review ID.
func (e *Emulator) Review(repo string, number int, user, action, body string) (int64, error) {
	e.mu.Lock()
	_, p, err := e.pullByRef(repo, number)
	if err != nil {
		e.mu.Unlock()
		return 0, err
	}
	who := e.account(user)
	if who == nil {
		e.mu.Unlock()
		return 0, fmt.Errorf("no user %s", user)
	}
	var events []*event
	rv, msg := e.addReview(e.u(), p, who, action, body, "", &events)
	e.mu.Unlock()
	if msg != "" {
		return 0, fmt.Errorf("review: %s", msg)
	}
	e.dispatch(events)
	return rv.id, nil
}

// DismissReview dismisses a review as user, emitting pull_request_review
// "dismissed".
func (e *Emulator) DismissReview(repo string, number int, reviewID int64, user, message string) error {
	e.mu.Lock()
	_, p, err := e.pullByRef(repo, number)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	var events []*event
	rv, msg := e.dismiss(e.u(), p, reviewID, message, e.account(user), &events)
	e.mu.Unlock()
	switch {
	case rv == nil:
		return fmt.Errorf("no review %d", reviewID)
	case msg != "":
		return fmt.Errorf("dismiss: %s", msg)
	}
	e.dispatch(events)
	return nil
}

// Comment adds an issue comment as user, emitting issue_comment "created",
// and returns its ID.
func (e *Emulator) Comment(repo string, number int, user, body string) (int64, error) {
	e.mu.Lock()
	r, p, err := e.pullByRef(repo, number)
	if err != nil {
		e.mu.Unlock()
		return 0, err
	}
	who := e.account(user)
	if who == nil {
		e.mu.Unlock()
		return 0, fmt.Errorf("no user %s", user)
	}
	var events []*event
	cm := e.addComment(e.u(), r, p, who, body, &events)
	e.mu.Unlock()
	e.dispatch(events)
	return cm.id, nil
}

// Merge merges a pull request as user with method "merge" (a two-parent
// merge commit, the default), "squash" or "rebase" (one commit), emitting
// pull_request "closed" (merged) and a push to the base branch. It returns
// the merge commit SHA.
func (e *Emulator) Merge(repo string, number int, user, method string) (string, error) {
	e.mu.Lock()
	_, p, err := e.pullByRef(repo, number)
	if err != nil {
		e.mu.Unlock()
		return "", err
	}
	who := e.account(user)
	if who == nil {
		e.mu.Unlock()
		return "", fmt.Errorf("no user %s", user)
	}
	var events []*event
	sha, err := e.merge(e.u(), p, who, method, "", "", &events)
	e.mu.Unlock()
	if err != nil {
		return "", err
	}
	e.dispatch(events)
	return sha, nil
}

// RerequestCheckRun is a user pressing "Re-run" on a check run: it emits
// check_run "rerequested".
func (e *Emulator) RerequestCheckRun(repo string, checkRunID int64, user string) error {
	e.mu.Lock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	var events []*event
	for _, cr := range r.checkRuns {
		if cr.id == checkRunID {
			events = append(events, e.checkRunEvent(e.u(), r, cr, "rerequested", e.account(user)))
		}
	}
	e.mu.Unlock()
	if len(events) == 0 {
		return fmt.Errorf("%s has no check run %d", repo, checkRunID)
	}
	e.dispatch(events)
	return nil
}

// OpenIssue opens an issue as user (anyone may, on a repository they can
// read) and returns its number.
func (e *Emulator) OpenIssue(repo, user, title, body string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		return 0, err
	}
	who := e.account(user)
	if who == nil {
		return 0, fmt.Errorf("no user %s", user)
	}
	return e.addIssue(r, who, title, body, nil).number, nil
}
