package ghemu

import (
	"sort"
	"strings"
	"time"
)

// Inspection returns copies of emulator state for tests to assert on.
// Repositories are named "OWNER/NAME"; unknown ones give zero values.

// PullRequest is a pull request's state.
type PullRequest struct {
	Number         int
	Title, Body    string
	State          string // open, closed
	Author         string
	HeadRepo       string
	HeadRef        string
	HeadSHA        string
	BaseRef        string
	Merged         bool
	MergeCommitSHA string
}

// Review is a pull request review.
type Review struct {
	ID       int64
	User     string
	State    string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	Body     string
	CommitID string
}

// Comment is an issue comment.
type Comment struct {
	ID        int64
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CheckRun is a check run with all its annotations.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	ExternalID  string
	DetailsURL  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	Creator     string
	// AppID and AppSlug are the App whose token created the run.
	AppID   int64
	AppSlug string
}

// Status is a commit status.
type Status struct {
	SHA         string
	State       string
	Context     string
	Description string
	TargetURL   string
	Creator     string
}

// Deployment is a deployment with its statuses, oldest first.
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Task        string
	Environment string
	Description string
	Payload     any
	Creator     string
	Statuses    []DeploymentStatus
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	State          string
	Description    string
	EnvironmentURL string
	LogURL         string
	Creator        string
}

func login(a *account) string {
	if a == nil {
		return ""
	}
	return a.login
}

func (e *Emulator) lockedRepo(repo string) *repo {
	r, _ := e.repoByFullName(repo)
	return r
}

// PullRequest returns a pull request's state.
func (e *Emulator) PullRequest(repo string, number int) (PullRequest, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil || r.pulls[number] == nil {
		return PullRequest{}, false
	}
	p := r.pulls[number]
	return PullRequest{
		Number: p.number, Title: p.title, Body: p.body, State: p.state, Author: login(p.user),
		HeadRepo: p.headRepo.fullName(), HeadRef: p.headRef, HeadSHA: p.headSHA, BaseRef: p.baseRef,
		Merged: p.merged, MergeCommitSHA: p.mergeCommitSHA,
	}, true
}

// Reviews returns a pull request's reviews, oldest first.
func (e *Emulator) Reviews(repo string, number int) []Review {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil || r.pulls[number] == nil {
		return nil
	}
	var out []Review
	for _, rv := range r.pulls[number].reviews {
		out = append(out, Review{ID: rv.id, User: login(rv.user), State: rv.state, Body: rv.body, CommitID: rv.commitID})
	}
	return out
}

// Comments returns a pull request's issue comments, oldest first.
func (e *Emulator) Comments(repo string, number int) []Comment {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []Comment
	for _, cm := range r.comments {
		if cm.number == number {
			out = append(out, Comment{ID: cm.id, User: login(cm.user), Body: cm.body, CreatedAt: cm.createdAt, UpdatedAt: cm.updatedAt})
		}
	}
	return out
}

// CheckRuns returns the check runs on sha ("" for all), oldest first.
func (e *Emulator) CheckRuns(repo, sha string) []CheckRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []CheckRun
	for _, cr := range r.checkRuns {
		if sha != "" && cr.headSHA != sha {
			continue
		}
		out = append(out, CheckRun{
			ID: cr.id, Name: cr.name, HeadSHA: cr.headSHA, Status: cr.status, Conclusion: cr.conclusion,
			ExternalID: cr.externalID, DetailsURL: cr.detailsURL, Title: cr.title, Summary: cr.summary, Text: cr.text,
			Annotations: append([]Annotation(nil), cr.annotations...), Creator: login(cr.creator),
			AppID: cr.app.id, AppSlug: cr.app.slug,
		})
	}
	return out
}

// Statuses returns the commit statuses on sha ("" for all), oldest first.
func (e *Emulator) Statuses(repo, sha string) []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []Status
	for _, s := range r.statuses {
		if sha == "" || s.sha == sha {
			out = append(out, Status{SHA: s.sha, State: s.state, Context: s.context, Description: s.description, TargetURL: s.targetURL, Creator: login(s.creator)})
		}
	}
	return out
}

// Deployments returns a repository's deployments, oldest first.
func (e *Emulator) Deployments(repo string) []Deployment {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []Deployment
	for _, d := range r.deployments {
		dd := Deployment{ID: d.id, SHA: d.sha, Ref: d.ref, Task: d.task, Environment: d.environment,
			Description: d.description, Payload: d.payload, Creator: login(d.creator)}
		for _, s := range d.statuses {
			dd.Statuses = append(dd.Statuses, DeploymentStatus{State: s.state, Description: s.description,
				EnvironmentURL: s.environmentURL, LogURL: s.logURL, Creator: login(s.creator)})
		}
		out = append(out, dd)
	}
	return out
}

// Branch returns the commit SHA a branch points at.
func (e *Emulator) Branch(repo, branch string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return "", false
	}
	sha, ok := r.branches[branch]
	return sha, ok
}

// File returns a file's content at ref (a branch or SHA).
func (e *Emulator) File(repo, ref, path string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return "", false
	}
	c := e.resolve(r, ref)
	if c == nil {
		return "", false
	}
	sha, ok := c.files[strings.TrimPrefix(path, "/")]
	if !ok {
		return "", false
	}
	return string(e.objects.blobs[sha]), true
}

// Commit returns a commit's parents and message.
func (e *Emulator) Commit(sha string) (parents []string, message string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.objects.commits[sha]
	if c == nil {
		return nil, "", false
	}
	return append([]string(nil), c.parents...), c.message, true
}

// Issue is an issue that is not a pull request.
type Issue struct {
	Number      int
	Title, Body string
	State       string // open, closed
	Author      string
	Labels      []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Issues returns a repository's issues (not its pull requests), by number.
func (e *Emulator) Issues(repo string) []Issue {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.lockedRepo(repo)
	if r == nil {
		return nil
	}
	var out []Issue
	for _, is := range r.issues {
		out = append(out, Issue{Number: is.number, Title: is.title, Body: is.body, State: is.state, Author: login(is.user),
			Labels: append([]string(nil), is.labels...), CreatedAt: is.createdAt, UpdatedAt: is.updatedAt})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Number < out[k].Number })
	return out
}
