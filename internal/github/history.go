package github

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// InHistory reports whether commit sha is in branch's history: the branch's
// tip is the commit or a descendant of it. Apply asks it so that only merges
// that the default branch still holds are applied; a merge into another
// branch, or one a force push removed, is not.
func (r *Repo) InHistory(ctx context.Context, branch, sha string) (bool, error) {
	// GET /repos/{o}/{r}/compare/{sha}...{branch}: "ahead" (or "identical")
	// means every commit of sha is in branch.
	// https://docs.github.com/en/rest/commits/commits#compare-two-commits
	cmp, _, err := r.client.Repositories.CompareCommits(ctx, r.Owner, r.Name, sha, branch, nil)
	if err != nil {
		return false, fmt.Errorf("compare %s...%s: %w", gitsha.Short(sha), branch, err)
	}
	switch cmp.GetStatus() {
	case "ahead", "identical":
		return true, nil
	}
	return false, nil
}
