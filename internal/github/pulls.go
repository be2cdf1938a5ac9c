package github

import (
	"context"
	"fmt"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// OpenPullRequestWithHead finds the open pull request whose head is sha,
// or 0 (a check run rerequested on a fork's head names no pull request).
func (r *Repo) OpenPullRequestWithHead(ctx context.Context, sha string) (int, error) {
	prs, _, err := r.client.PullRequests.ListPullRequestsWithCommit(ctx, r.Owner, r.Name, sha, &gogh.ListOptions{PerPage: 100})
	if err != nil {
		return 0, fmt.Errorf("list pull requests of %s: %w", gitsha.Short(sha), err)
	}
	for _, pr := range prs {
		if pr.GetState() == "open" && pr.GetHead().GetSHA() == sha {
			return pr.GetNumber(), nil
		}
	}
	return 0, nil
}

// Pull is a pull request as a listing shows it.
type Pull struct {
	Number  int
	HeadSHA string
	BaseRef string
	// MergeSHA is the merge commit ("" when not merged); MergedAt is zero
	// when not merged.
	MergeSHA  string
	MergedAt  time.Time
	UpdatedAt time.Time
}

// Pulls lists the pull requests in state ("open", "closed"), most
// recently updated first, stopping at those updated before since (zero:
// all).
func (r *Repo) Pulls(ctx context.Context, state string, since time.Time) ([]Pull, error) {
	var out []Pull
	opts := &gogh.PullRequestListOptions{State: state, Sort: "updated", Direction: "desc", ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := r.client.PullRequests.List(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s pull requests: %w", state, err)
		}
		for _, pr := range page {
			if !since.IsZero() && pr.GetUpdatedAt().Before(since) {
				return out, nil
			}
			p := Pull{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(), BaseRef: pr.GetBase().GetRef(),
				UpdatedAt: pr.GetUpdatedAt().Time}
			if pr.MergedAt != nil {
				p.MergeSHA, p.MergedAt = pr.GetMergeCommitSHA(), pr.GetMergedAt().Time
			}
			out = append(out, p)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
