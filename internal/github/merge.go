package github

import (
	"context"
	"errors"
	"fmt"
	"sort"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Merge is a merged pull request, as apply needs it.
type Merge struct {
	Number   int
	URL      string
	Author   string
	MergedBy string
	// MergeSHA is the commit the pull request became on the base branch.
	MergeSHA string
	// HeadSHA is the pull request's final head commit: the commit approvals
	// must be on.
	HeadSHA string
	BaseRef string
	Fork    bool
	Merged  bool

	// pr is the pull request as MergedPullRequest read it: who
	// contributed and the break-glass label are taken from it rather than
	// from two more reads (nil for a Merge made by hand: then they read it).
	pr *gogh.PullRequest
}

// MergeContributors is Contributors of m's pull request, from the read
// that made m.
func (r *Repo) MergeContributors(ctx context.Context, m *Merge) (*plan.Contributors, error) {
	if m.pr == nil {
		return r.Contributors(ctx, m.Number)
	}
	return r.ContributorsOf(ctx, m.pr)
}

// MergeBreakGlass is BreakGlass of m's pull request, from the read that
// made m.
func (r *Repo) MergeBreakGlass(ctx context.Context, m *Merge) (*plan.BreakGlassRequest, error) {
	if m.pr == nil {
		return r.BreakGlass(ctx, m.Number)
	}
	return r.BreakGlassOf(ctx, m.pr)
}

// MergedPullRequest returns what apply needs to know about a pull request.
func (r *Repo) MergedPullRequest(ctx context.Context, number int) (*Merge, error) {
	pr, _, err := r.client.PullRequests.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return nil, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return &Merge{
		Number:   number,
		URL:      pr.GetHTMLURL(),
		Author:   pr.GetUser().GetLogin(),
		MergedBy: pr.GetMergedBy().GetLogin(),
		MergeSHA: pr.GetMergeCommitSHA(),
		HeadSHA:  pr.GetHead().GetSHA(),
		BaseRef:  pr.GetBase().GetRef(),
		Fork:     pr.GetHead().GetRepo().GetFullName() != pr.GetBase().GetRepo().GetFullName(),
		Merged:   pr.GetMerged(),
		pr:       pr,
	}, nil
}

// ErrNotAMerge is PullRequestForCommit's answer for a commit that no pull
// request was merged as (a direct push): any other error is one reading
// GitHub, not an answer.
var ErrNotAMerge = errors.New("not the merge of a pull request")

// PullRequestForCommit finds the merged pull request a commit on the base
// branch came from (a push event names only the commit); the error wraps
// ErrNotAMerge when there is none.
func (r *Repo) PullRequestForCommit(ctx context.Context, sha string) (int, error) {
	prs, _, err := r.client.PullRequests.ListPullRequestsWithCommit(ctx, r.Owner, r.Name, sha, &gogh.ListOptions{PerPage: 100})
	if err != nil {
		return 0, fmt.Errorf("list pull requests of %s: %w", gitsha.Short(sha), err)
	}
	for _, pr := range prs {
		if pr.GetMergeCommitSHA() == sha {
			return pr.GetNumber(), nil
		}
	}
	return 0, fmt.Errorf("commit %s is %w", gitsha.Short(sha), ErrNotAMerge)
}

// FirstParent returns the first parent of a commit: for a merge commit on
// the base branch, the base before the merge.
func (r *Repo) FirstParent(ctx context.Context, sha string) (string, error) {
	c, _, err := r.client.Repositories.GetCommit(ctx, r.Owner, r.Name, sha, &gogh.ListOptions{PerPage: 1})
	if err != nil {
		return "", fmt.Errorf("get commit %s: %w", gitsha.Short(sha), err)
	}
	if len(c.Parents) == 0 {
		return "", fmt.Errorf("commit %s has no parent", gitsha.Short(sha))
	}
	return c.Parents[0].GetSHA(), nil
}

// UpsertMarkedComment keeps one bot comment per marker on a pull request,
// edited in place.
func (r *Repo) UpsertMarkedComment(ctx context.Context, number int, marker, body string) (string, error) {
	existing, err := r.findComment(ctx, number, marker)
	if err != nil {
		return "", err
	}
	if existing != nil {
		if existing.GetBody() == body {
			return existing.GetHTMLURL(), nil
		}
		c, _, err := r.client.Issues.EditComment(ctx, r.Owner, r.Name, existing.GetID(), &gogh.IssueComment{Body: &body})
		if err != nil {
			return "", fmt.Errorf("edit comment on #%d: %w", number, err)
		}
		return c.GetHTMLURL(), nil
	}
	c, _, err := r.client.Issues.CreateComment(ctx, r.Owner, r.Name, number, &gogh.IssueComment{Body: &body})
	if err != nil {
		return "", fmt.Errorf("create comment on #%d: %w", number, err)
	}
	return c.GetHTMLURL(), nil
}

// Deployment is a GitHub deployment of one promotion.
type Deployment struct {
	ID int64
	// State is the latest status's state ("" when it has none).
	State string
}

// Done reports whether the deployment finished successfully. GitHub marks a
// successful deployment "inactive" once a later one in the same environment
// succeeds, so inactive means done too: a late rerun of an old merge must
// not deploy its old version again.
func (d *Deployment) Done() bool { return d != nil && (d.State == "success" || d.State == "inactive") }

// DeploymentSpec identifies a promotion's deployment: the merge commit, an
// environment per (model, stage), and a task.
type DeploymentSpec struct {
	SHA, Environment, Task, Description string
	Payload                             map[string]any
	Production                          bool
	// Transient environments are removed by GitHub once inactive.
	Transient bool
}

// FindDeployment returns the deployment of spec with its latest state, or
// nil when there is none.
func (r *Repo) FindDeployment(ctx context.Context, spec DeploymentSpec) (*Deployment, error) {
	list, _, err := r.client.Repositories.ListDeployments(ctx, r.Owner, r.Name, &gogh.DeploymentsListOptions{
		SHA: spec.SHA, Environment: spec.Environment, Task: spec.Task, ListOptions: gogh.ListOptions{PerPage: 100}})
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	sort.Slice(list, func(i, j int) bool { return list[i].GetID() < list[j].GetID() })
	d := &Deployment{ID: list[0].GetID()}
	st, err := r.latestDeploymentStatus(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	d.State = st.GetState()
	return d, nil
}

// EnsureDeployment returns the deployment of spec, creating it when none
// exists: a rerun of apply finds the deployment of the first run (and its
// state) instead of making another.
func (r *Repo) EnsureDeployment(ctx context.Context, spec DeploymentSpec) (*Deployment, error) {
	if d, err := r.FindDeployment(ctx, spec); err != nil || d != nil {
		return d, err
	}
	id, err := r.CreateDeployment(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &Deployment{ID: id}, nil
}

// SetDeploymentStatus records a deployment's state (in_progress, success,
// failure, error) with the endpoint's console URL.
func (r *Repo) SetDeploymentStatus(ctx context.Context, id int64, state, environmentURL, description string) error {
	return r.AddDeploymentStatus(ctx, id, DeploymentStatus{State: state, Description: description, EnvironmentURL: environmentURL})
}

// Resolver answers route.Resolve's questions about a repository.
type Resolver struct{ Repo *Repo }

// FullName is the repository's owner/name.
func (r Resolver) FullName() string { return r.Repo.FullName() }

// CanWrite reports whether login may write to the repository.
func (r Resolver) CanWrite(ctx context.Context, login string) (bool, error) {
	return Directory(r).CanWrite(ctx, login)
}

// OpenPullRequestWithHead returns the open pull request whose head is sha,
// 0 when there is none.
func (r Resolver) OpenPullRequestWithHead(ctx context.Context, sha string) (int, error) {
	return r.Repo.OpenPullRequestWithHead(ctx, sha)
}

// MergedAs returns the pull request merged as commit sha, 0 when none was.
func (r Resolver) MergedAs(ctx context.Context, sha string) (int, error) {
	n, err := r.Repo.PullRequestForCommit(ctx, sha)
	if errors.Is(err, ErrNotAMerge) {
		return 0, nil
	}
	return n, err
}
