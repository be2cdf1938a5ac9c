package github

import (
	"context"
	"fmt"
	"strings"

	gogh "github.com/google/go-github/v60/github"
)

// QueueCommit is a merge queue's temporary branch and its commit.
type QueueCommit struct {
	Ref string // refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>
	SHA string
}

// QueueCommits lists the merge queue's temporary branches into branch
// (GET /repos/{o}/{r}/git/matching-refs/heads/gh-readonly-queue/<branch>/):
// the REST API has no list of queue entries, but each has its branch.
func (r *Repo) QueueCommits(ctx context.Context, branch string) ([]QueueCommit, error) {
	prefix := "heads/gh-readonly-queue/" + branch + "/"
	var out []QueueCommit
	opts := &gogh.ReferenceListOptions{Ref: prefix, ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		refs, resp, err := r.client.Git.ListMatchingRefs(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list the merge queue of %s: %w", branch, err)
		}
		for _, ref := range refs {
			if strings.HasPrefix(ref.GetRef(), "refs/"+prefix) {
				out = append(out, QueueCommit{Ref: ref.GetRef(), SHA: ref.GetObject().GetSHA()})
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
