package status

import (
	"context"

	"github.com/modelpromote/modelpromote/internal/github"
)

// OpenPulls lists repo's open promotion pull requests (the promotions each
// makes in dir), for Sources.Pulls.
func OpenPulls(repo *github.Repo, dir string) func(ctx context.Context) ([]OpenPullRequest, error) {
	return func(ctx context.Context) ([]OpenPullRequest, error) {
		open, err := repo.OpenPromotions(ctx, dir)
		if err != nil {
			return nil, err
		}
		var out []OpenPullRequest
		for _, pr := range open {
			for _, p := range pr.Promotions {
				out = append(out, OpenPullRequest{Number: pr.Number, URL: pr.URL, Title: pr.Title, Author: pr.Author,
					Model: p.Model, Stage: p.Stage, FromVersion: p.FromVersion, ToVersion: p.ToVersion})
			}
		}
		return out, nil
	}
}
