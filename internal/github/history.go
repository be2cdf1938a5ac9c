package github

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// InHistory reports whether commit sha is in the history of ref (a branch
// or a commit): ref is the commit or a descendant of it. Apply asks it of
// the default branch's tip so that only merges that the branch still holds
// are applied; a merge into another branch, or one a force push removed,
// is not.
func (r *Repo) InHistory(ctx context.Context, ref, sha string) (bool, error) {
	// GET /repos/{o}/{r}/compare/{sha}...{ref}: "ahead" (or "identical")
	// means every commit of sha is in ref.
	// https://docs.github.com/en/rest/commits/commits#compare-two-commits
	cmp, _, err := r.client.Repositories.CompareCommits(ctx, r.Owner, r.Name, sha, ref, nil)
	if err != nil {
		return false, fmt.Errorf("compare %s...%s: %w", gitsha.Short(sha), ref, err)
	}
	switch cmp.GetStatus() {
	case "ahead", "identical":
		return true, nil
	}
	return false, nil
}
