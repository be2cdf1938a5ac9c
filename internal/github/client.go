// Package github is modelpromote's adapter to the GitHub REST API, built on
// go-github: pull requests and their files, reviews, team membership,
// the report comment, check runs and deployments. It turns GitHub's shapes
// into plan's plain types.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Repo is one repository, reached with one client.
type Repo struct {
	client *gogh.Client // unexported: callers use the adapter's methods
	Owner  string
	Name   string

	blobs sync.Map // blob SHA → *blobFetch: blobs are immutable
	// blobSlots bounds the blob downloads in flight: GitHub's secondary
	// rate limits punish bursts from one installation.
	blobSlots chan struct{}
}

// NewRepo returns the adapter for owner/name.
func NewRepo(gh *gogh.Client, owner, name string) *Repo {
	return &Repo{client: gh, Owner: owner, Name: name, blobSlots: make(chan struct{}, maxBlobFetches)}
}

// ParseRepo splits "owner/name".
func ParseRepo(s string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name", s)
	}
	return owner, name, nil
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// IsNotFound reports whether err is a GitHub 404.
func IsNotFound(err error) bool {
	var er *gogh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// PullRequest returns the facts of a pull request and its merge base.
func (r *Repo) PullRequest(ctx context.Context, number int) (*plan.PullRequest, *gogh.PullRequest, error) {
	pr, _, err := r.client.PullRequests.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return nil, nil, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	facts := &plan.PullRequest{
		Repo:    r.FullName(),
		Number:  number,
		URL:     pr.GetHTMLURL(),
		Author:  pr.GetUser().GetLogin(),
		BaseSHA: pr.GetBase().GetSHA(),
		BaseRef: pr.GetBase().GetRef(),
		HeadSHA: pr.GetHead().GetSHA(),
		Fork:    pr.GetHead().GetRepo().GetFullName() != pr.GetBase().GetRepo().GetFullName(),
	}
	return facts, pr, nil
}

// MergeBase returns the merge base of base and head.
func (r *Repo) MergeBase(ctx context.Context, base, head string) (string, error) {
	cmp, _, err := r.client.Repositories.CompareCommits(ctx, r.Owner, r.Name, base, head, &gogh.ListOptions{PerPage: 1})
	if err != nil {
		return "", fmt.Errorf("compare %s...%s: %w", gitsha.Short(base), gitsha.Short(head), err)
	}
	return cmp.GetMergeBaseCommit().GetSHA(), nil
}

// Tree reads the manifests directly in dir at commit sha: one recursive
// tree call, then the blobs no reader has fetched yet, from one tarball of
// the commit when there are many (archive.go), else a blob call each.
func (r *Repo) Tree(ctx context.Context, sha, dir string) (manifest.Tree, error) {
	tree, _, err := r.client.Git.GetTree(ctx, r.Owner, r.Name, sha, true)
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", gitsha.Short(sha), err)
	}
	if tree.GetTruncated() {
		return nil, fmt.Errorf("the tree of %s is too large for one request; keep the promotions repository small", gitsha.Short(sha))
	}
	out := manifest.Tree{}
	paths := map[string]string{} // path → blob SHA, of the files to read
	var treeBytes int
	for _, e := range tree.Entries {
		p := e.GetPath()
		if e.GetType() != "blob" {
			continue
		}
		treeBytes += e.GetSize()
		if !manifest.IsManifest(dir, p) {
			continue
		}
		if e.GetMode() == "120000" {
			return nil, fmt.Errorf("%s is a symbolic link; manifests must be regular files", p)
		}
		if e.GetSize() > manifest.MaxFileSize {
			out[p] = oversized()
			continue
		}
		paths[p] = e.GetSHA()
	}
	fetches := map[string]*blobFetch{}
	claimed := map[string]*blobFetch{} // the fetches this call performs
	for _, b := range paths {
		if fetches[b] != nil {
			continue
		}
		f, mine := r.claim(b)
		fetches[b] = f
		if mine {
			claimed[b] = f
		}
	}
	if len(claimed) > archiveMinBlobs && treeBytes <= archiveMaxBytes {
		// What the tarball does not give, for whatever reason, the blob
		// API still answers by SHA.
		done, _ := r.archiveInto(ctx, sha, paths, claimed)
		for b := range done {
			delete(claimed, b)
		}
	}
	var wg sync.WaitGroup
	for b, f := range claimed {
		wg.Go(func() { r.fetch(ctx, b, f) })
	}
	wg.Wait()
	for p, b := range paths {
		data, err := wait(ctx, fetches[b])
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		out[p] = data
	}
	return out, nil
}

// oversized stands for a file over the manifest size limit, which is never
// downloaded: loading reports it as too large.
func oversized() []byte { return make([]byte, manifest.MaxFileSize+1) }

// blobFetch is one blob's download, shared by every reader of that SHA:
// the base, merge-base and head trees of a check mostly hold the same
// blobs, and read at once they would each fetch them.
type blobFetch struct {
	done chan struct{}
	data []byte
	err  error
}

// maxBlobFetches bounds the blob downloads one Repo has in flight: under
// the ~100 concurrent requests past which GitHub answers with secondary
// rate limits, with room for the check's other calls.
const maxBlobFetches = 48

// claim returns the fetch of blob sha, and whether the caller must perform
// it (no other reader has started it).
func (r *Repo) claim(sha string) (*blobFetch, bool) {
	f := &blobFetch{done: make(chan struct{})}
	if prev, loaded := r.blobs.LoadOrStore(sha, f); loaded {
		return prev.(*blobFetch), false
	}
	return f, true
}

// fetch performs a claimed fetch through the blob API.
func (r *Repo) fetch(ctx context.Context, sha string, f *blobFetch) {
	defer close(f.done)
	select {
	case r.blobSlots <- struct{}{}:
		f.data, _, f.err = r.client.Git.GetBlobRaw(ctx, r.Owner, r.Name, sha)
		<-r.blobSlots
	case <-ctx.Done():
		f.err = ctx.Err()
	}
	if f.err != nil {
		r.blobs.Delete(sha) // a later reader may try again
	}
}

// wait returns a fetch's bytes once it is done.
func wait(ctx context.Context, f *blobFetch) ([]byte, error) {
	select {
	case <-f.done:
		return f.data, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Reviews lists every review of a pull request, its pages read at once
// once the first says how many there are.
func (r *Repo) Reviews(ctx context.Context, number int) ([]plan.Review, error) {
	all, err := allPages(ctx, func(ctx context.Context, opts *gogh.ListOptions) ([]*gogh.PullRequestReview, *gogh.Response, error) {
		return r.client.PullRequests.ListReviews(ctx, r.Owner, r.Name, number, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("list reviews of #%d: %w", number, err)
	}
	out := make([]plan.Review, 0, len(all))
	for _, rv := range all {
		out = append(out, plan.Review{ID: rv.GetID(), Login: rv.GetUser().GetLogin(), State: rv.GetState(),
			CommitID: rv.GetCommitID(), At: rv.GetSubmittedAt().Time})
	}
	return out, nil
}

// Directory answers plan.Directory for one repository's organization.
type Directory struct {
	Repo *Repo
}

// IsTeamMember implements plan.Directory. A 404 means "not a member"; a
// 403 means the token cannot read teams (the Actions GITHUB_TOKEN cannot):
// that is an error, so the gate stays shut and says why.
func (d Directory) IsTeamMember(ctx context.Context, slug, login string) (bool, error) {
	m, _, err := d.Repo.client.Teams.GetTeamMembershipBySlug(ctx, d.Repo.Owner, slug, login)
	switch {
	case IsNotFound(err):
		return false, nil
	case isForbidden(err):
		return false, fmt.Errorf("the token cannot read team %s (a GitHub App with organization members:read is needed; the Actions GITHUB_TOKEN cannot read teams): %w", slug, err)
	case err != nil:
		return false, err
	}
	return m.GetState() == "active", nil
}

// CanWrite implements plan.Directory.
func (d Directory) CanWrite(ctx context.Context, login string) (bool, error) {
	p, _, err := d.Repo.client.Repositories.GetPermissionLevel(ctx, d.Repo.Owner, d.Repo.Name, login)
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch p.GetPermission() {
	case "admin", "maintain", "write":
		return true, nil
	}
	return false, nil
}

func isForbidden(err error) bool {
	var er *gogh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden
}
