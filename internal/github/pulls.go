package github

import (
	"context"
	"fmt"

	gogh "github.com/google/go-github/v60/github"
)

// OpenPullRequestWithHead finds the open pull request whose head is sha,
// or 0 (a check run rerequested on a fork's head names no pull request).
func (r *Repo) OpenPullRequestWithHead(ctx context.Context, sha string) (int, error) {
	prs, _, err := r.GH.PullRequests.ListPullRequestsWithCommit(ctx, r.Owner, r.Name, sha, &gogh.ListOptions{PerPage: 100})
	if err != nil {
		return 0, fmt.Errorf("list pull requests of %s: %w", short(sha), err)
	}
	for _, pr := range prs {
		if pr.GetState() == "open" && pr.GetHead().GetSHA() == sha {
			return pr.GetNumber(), nil
		}
	}
	return 0, nil
}
