package github

import (
	"context"
	"sync"

	gogh "github.com/google/go-github/v60/github"
)

// pageSlots bounds the pages of one listing read at once: enough to turn a
// 500-review pull request's five round trips into two, few enough to stay
// far from GitHub's secondary rate limits.
const pageSlots = 4

// allPages reads every page of a page-numbered listing. It reads the first
// page, and when GitHub's Link header says how many there are (rel="last"),
// the rest at once, at most pageSlots in flight, keeping GitHub's order.
// Without a last page it follows rel="next" one page at a time.
func allPages[T any](ctx context.Context, list func(context.Context, *gogh.ListOptions) ([]T, *gogh.Response, error)) ([]T, error) {
	opts := &gogh.ListOptions{PerPage: 100}
	first, resp, err := list(ctx, opts)
	if err != nil {
		return nil, err
	}
	if resp.NextPage == 0 {
		return first, nil
	}
	if resp.LastPage <= resp.NextPage {
		out := first
		for resp.NextPage != 0 {
			var page []T
			page, resp, err = list(ctx, &gogh.ListOptions{PerPage: 100, Page: resp.NextPage})
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
		}
		return out, nil
	}
	last := resp.LastPage
	pages := make([][]T, last+1)
	pages[1] = first
	errs := make([]error, last+1)
	nexts := make([]int, last+1)
	slots := make(chan struct{}, pageSlots)
	var wg sync.WaitGroup
	for n := resp.NextPage; n <= last; n++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			var r *gogh.Response
			pages[n], r, errs[n] = list(ctx, &gogh.ListOptions{PerPage: 100, Page: n})
			if r != nil {
				nexts[n] = r.NextPage
			}
		})
	}
	wg.Wait()
	var out []T
	for n, page := range pages {
		if errs[n] != nil {
			return nil, errs[n]
		}
		out = append(out, page...)
	}
	// Items added while the pages were read can make a page past the last
	// one GitHub first announced.
	for next := nexts[last]; next != 0; {
		page, r, err := list(ctx, &gogh.ListOptions{PerPage: 100, Page: next})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		next = r.NextPage
	}
	return out, nil
}
