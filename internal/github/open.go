package github

import (
	"context"
	"fmt"
	"sync"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// OpenPromotion is an open pull request and the promotions its manifest
// diff makes.
type OpenPromotion struct {
	Number     int
	URL        string
	Title      string
	Author     string
	HeadSHA    string
	Promotions []manifest.Promotion
}

// openConcurrency keeps GitHub reads mostly serial (secondary rate limits).
const openConcurrency = 4

// OpenPromotions lists the open pull requests and
// the promotions each makes, from the manifests in dir at its base and
// head (blobs are cached, so unchanged manifests are fetched once).
// A pull request whose manifests do not load makes no promotion here.
func (r *Repo) OpenPromotions(ctx context.Context, dir string) ([]OpenPromotion, error) {
	opts := &gogh.PullRequestListOptions{State: "open", ListOptions: gogh.ListOptions{PerPage: 100}}
	var prs []*gogh.PullRequest
	for {
		page, resp, err := r.client.PullRequests.List(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list open pull requests: %w", err)
		}
		prs = append(prs, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	out := make([]OpenPromotion, len(prs))
	errs := make([]error, len(prs))
	sem := make(chan struct{}, openConcurrency)
	var wg sync.WaitGroup
	for i, pr := range prs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = OpenPromotion{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(), HeadSHA: pr.GetHead().GetSHA()}
			base, err := r.Tree(ctx, pr.GetBase().GetSHA(), dir)
			if err != nil {
				errs[i] = err
				return
			}
			head, err := r.Tree(ctx, pr.GetHead().GetSHA(), dir)
			if err != nil {
				errs[i] = err
				return
			}
			bs, hs := manifest.Load(base, dir), manifest.Load(head, dir)
			if bs.Config == nil || hs.Config == nil {
				return
			}
			out[i].Promotions = manifest.Compare(bs, hs, base, head).Promotions
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("pull request #%d: %w", prs[i].GetNumber(), err)
		}
	}
	return out, nil
}
