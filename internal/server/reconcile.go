package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/route"
)

// Reconcile runs one reconciliation pass over the known repositories (see
// the package doc), queueing what deliveries missed. A full queue ends
// the pass early; the next pass goes on.
func (s *Server) Reconcile(ctx context.Context) error {
	repos := s.repositories()
	names := make([]string, 0, len(repos))
	for name := range repos {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err := s.reconcileRepo(ctx, name, repos[name])
		if errors.Is(err, errQueueFull) || errors.Is(err, errQueueClosed) {
			return err
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) reconcileRepo(ctx context.Context, name string, installation int64) error {
	repo, err := s.opts.GitHub.Repo(ctx, installation, name)
	if err != nil {
		return err
	}
	if ok, err := s.configs.configured(ctx, repo, s.opts.Dir); err != nil || !ok {
		return err
	}
	r, _, err := repo.GH.Repositories.Get(ctx, repo.Owner, repo.Name)
	if err != nil {
		return fmt.Errorf("get repository: %w", err)
	}
	open, err := s.pulls(ctx, repo, "open", time.Time{})
	if err != nil {
		return err
	}
	for _, pr := range open {
		stale, err := s.checkStale(ctx, repo, pr)
		if err != nil {
			return err
		}
		if stale {
			if err := s.enqueue(route.Job{Command: route.Check, Event: "reconcile", Installation: installation, Repo: name, PR: pr.GetNumber()}); err != nil {
				return err
			}
		}
	}
	since := time.Now().Add(-s.opts.ReconcileWindow)
	closed, err := s.pulls(ctx, repo, "closed", since)
	if err != nil {
		return err
	}
	for _, pr := range closed {
		if pr.MergedAt == nil || pr.GetMergedAt().Before(since) || pr.GetBase().GetRef() != r.GetDefaultBranch() || pr.GetMergeCommitSHA() == "" {
			continue
		}
		todo, err := s.applyPending(ctx, repo, pr.GetMergeCommitSHA())
		if err != nil {
			return err
		}
		if todo {
			if err := s.enqueue(route.Job{Command: route.Apply, Event: "reconcile", Installation: installation, Repo: name,
				PR: pr.GetNumber(), SHA: pr.GetMergeCommitSHA()}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) enqueue(j route.Job) error {
	coalesced, err := s.queue.push(j)
	if err != nil {
		return err
	}
	if !coalesced {
		s.log.Info("reconcile queued", "kind", j.Command, "repo", j.Repo, "pr", j.PR, "sha", j.SHA)
	}
	return nil
}

// pulls lists pull requests in state, most recently updated first,
// stopping at those updated before since.
func (s *Server) pulls(ctx context.Context, repo *github.Repo, state string, since time.Time) ([]*gogh.PullRequest, error) {
	var out []*gogh.PullRequest
	opts := &gogh.PullRequestListOptions{State: state, Sort: "updated", Direction: "desc", ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := repo.GH.PullRequests.List(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s pull requests: %w", state, err)
		}
		for _, pr := range page {
			if !since.IsZero() && pr.GetUpdatedAt().Before(since) {
				return out, nil
			}
			out = append(out, pr)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// checkStale reports whether an open pull request needs a check: no
// modelpromote check run on its head, one stuck in progress beyond the
// lease, or one that started before the latest review.
func (s *Server) checkStale(ctx context.Context, repo *github.Repo, pr *gogh.PullRequest) (bool, error) {
	res, _, err := repo.GH.Checks.ListCheckRunsForRef(ctx, repo.Owner, repo.Name, pr.GetHead().GetSHA(), &gogh.ListCheckRunsOptions{
		CheckName: gogh.String(report.CheckRunName), Filter: gogh.String("latest"), ListOptions: gogh.ListOptions{PerPage: 100}})
	if err != nil {
		return false, fmt.Errorf("list check runs of #%d: %w", pr.GetNumber(), err)
	}
	if len(res.CheckRuns) == 0 {
		return true, nil
	}
	latest := res.CheckRuns[0]
	for _, r := range res.CheckRuns {
		if r.GetID() > latest.GetID() {
			latest = r
		}
	}
	started := latest.GetStartedAt().Time
	if latest.GetStatus() != "completed" {
		return time.Since(started) >= s.opts.Lease, nil
	}
	reviews, err := repo.Reviews(ctx, pr.GetNumber())
	if err != nil {
		return false, err
	}
	for _, rv := range reviews {
		if rv.At.After(started) {
			return true, nil
		}
	}
	return false, nil
}

// applyPending reports whether a merge still needs apply: no lease of it
// ended "success", none is live, and apply's own deployments of it are
// missing or not all final.
func (s *Server) applyPending(ctx context.Context, repo *github.Repo, sha string) (bool, error) {
	claims, err := s.claims(ctx, repo, sha)
	if err != nil {
		return false, err
	}
	now := time.Now()
	for _, c := range claims {
		if c.state == leaseDone || c.live(now, s.opts.Lease) {
			return false, nil
		}
	}
	deps, err := deployments(ctx, repo, sha, applyTask)
	if err != nil || len(deps) == 0 {
		return err == nil, err
	}
	for _, d := range deps {
		st, err := latestStatus(ctx, repo, d.GetID())
		if err != nil {
			return false, err
		}
		switch st.GetState() {
		case "success", "failure", "inactive":
		default:
			return true, nil
		}
	}
	return false, nil
}
