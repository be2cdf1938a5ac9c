package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// What proposing a promotion needs: branches (git refs), one file read and
// written through the Contents API with its blob SHA, and the pull request
// of a head branch.

// ErrConflict means a file changed between reading it and writing it: the
// Contents API refused the write (409) rather than overwrite the change.
var ErrConflict = errors.New("the file changed since it was read")

// ErrBranchExists means a branch to be created already exists.
var ErrBranchExists = errors.New("the branch already exists")

// File is one file at one ref, with the SHA of its blob.
type File struct {
	Path    string
	SHA     string
	Content []byte
}

// DefaultBranch returns the repository's default branch.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	repo, _, err := r.client.Repositories.Get(ctx, r.Owner, r.Name)
	if err != nil {
		return "", fmt.Errorf("get repository %s: %w", r.FullName(), err)
	}
	if repo.GetDefaultBranch() == "" {
		return "", fmt.Errorf("repository %s has no default branch", r.FullName())
	}
	return repo.GetDefaultBranch(), nil
}

// BranchSHA returns the commit a branch points at, or "" when there is no
// such branch.
func (r *Repo) BranchSHA(ctx context.Context, branch string) (string, error) {
	ref, _, err := r.client.Git.GetRef(ctx, r.Owner, r.Name, "heads/"+branch)
	if IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get branch %s: %w", branch, err)
	}
	return ref.GetObject().GetSHA(), nil
}

// CreateBranch creates branch at commit sha. It returns an error wrapping
// ErrBranchExists when the branch is already there.
func (r *Repo) CreateBranch(ctx context.Context, branch, sha string) error {
	_, _, err := r.client.Git.CreateRef(ctx, r.Owner, r.Name, &gogh.Reference{
		Ref: gogh.String("refs/heads/" + branch), Object: &gogh.GitObject{SHA: gogh.String(sha)}})
	if isStatus(err, http.StatusUnprocessableEntity) && strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create branch %s: %w", branch, ErrBranchExists)
	}
	if err != nil {
		return fmt.Errorf("create branch %s: %w", branch, err)
	}
	return nil
}

// ResetBranch moves branch to commit sha, even when that is not a fast
// forward. Only for branches the bot owns and no open pull request uses.
func (r *Repo) ResetBranch(ctx context.Context, branch, sha string) error {
	_, _, err := r.client.Git.UpdateRef(ctx, r.Owner, r.Name, &gogh.Reference{
		Ref: gogh.String("refs/heads/" + branch), Object: &gogh.GitObject{SHA: gogh.String(sha)}}, true)
	if err != nil {
		return fmt.Errorf("reset branch %s: %w", branch, err)
	}
	return nil
}

// File reads one file at ref through the Contents API.
func (r *Repo) File(ctx context.Context, path, ref string) (*File, error) {
	fc, _, _, err := r.client.Repositories.GetContents(ctx, r.Owner, r.Name, path, &gogh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, ref, err)
	}
	if fc == nil || fc.GetType() != "file" {
		return nil, fmt.Errorf("read %s at %s: not a file", path, ref)
	}
	content, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, ref, err)
	}
	return &File{Path: path, SHA: fc.GetSHA(), Content: []byte(content)}, nil
}

// CommitFile replaces a file on branch with content in one commit, provided
// its blob is still blobSHA. When the file changed in between, GitHub
// answers 409 and the error wraps ErrConflict: nothing is overwritten.
func (r *Repo) CommitFile(ctx context.Context, branch, path, blobSHA string, content []byte, message string) (string, error) {
	res, _, err := r.client.Repositories.UpdateFile(ctx, r.Owner, r.Name, path, &gogh.RepositoryContentFileOptions{
		Message: gogh.String(message), Content: content, SHA: gogh.String(blobSHA), Branch: gogh.String(branch)})
	if isStatus(err, http.StatusConflict) {
		return "", fmt.Errorf("commit %s on %s: %w (GitHub answered 409: its blob is no longer %s)", path, branch, ErrConflict, gitsha.Short(blobSHA))
	}
	if err != nil {
		return "", fmt.Errorf("commit %s on %s: %w", path, branch, err)
	}
	return res.Commit.GetSHA(), nil
}

// PullRequestRef is a pull request as proposing sees it.
type PullRequestRef struct {
	Number      int
	URL         string
	Title, Body string
	State       string // open or closed
	Merged      bool
}

func pullRequestRef(pr *gogh.PullRequest) *PullRequestRef {
	return &PullRequestRef{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Title: pr.GetTitle(), Body: pr.GetBody(),
		State: pr.GetState(), Merged: pr.GetMerged() || !pr.GetMergedAt().IsZero()}
}

// PullRequestsByHead lists the pull requests whose head is branch of this
// repository, newest first; state is open, closed or all.
func (r *Repo) PullRequestsByHead(ctx context.Context, branch, state string) ([]*PullRequestRef, error) {
	opts := &gogh.PullRequestListOptions{State: state, Head: r.Owner + ":" + branch, ListOptions: gogh.ListOptions{PerPage: 100}}
	var out []*PullRequestRef
	for {
		page, resp, err := r.client.PullRequests.List(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list pull requests of %s: %w", branch, err)
		}
		for _, pr := range page {
			out = append(out, pullRequestRef(pr))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// CreatePullRequest opens a pull request from head into base.
func (r *Repo) CreatePullRequest(ctx context.Context, base, head, title, body string) (*PullRequestRef, error) {
	pr, _, err := r.client.PullRequests.Create(ctx, r.Owner, r.Name, &gogh.NewPullRequest{
		Title: gogh.String(title), Head: gogh.String(head), Base: gogh.String(base), Body: gogh.String(body)})
	if err != nil {
		return nil, fmt.Errorf("open pull request from %s: %w", head, err)
	}
	return pullRequestRef(pr), nil
}

// EditPullRequest replaces a pull request's title and body.
func (r *Repo) EditPullRequest(ctx context.Context, number int, title, body string) (*PullRequestRef, error) {
	pr, _, err := r.client.PullRequests.Edit(ctx, r.Owner, r.Name, number, &gogh.PullRequest{Title: gogh.String(title), Body: gogh.String(body)})
	if err != nil {
		return nil, fmt.Errorf("edit pull request #%d: %w", number, err)
	}
	return pullRequestRef(pr), nil
}

func isStatus(err error, status int) bool {
	var er *gogh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}
