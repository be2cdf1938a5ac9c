package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/github"
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
	defaultBranch, err := repo.DefaultBranch(ctx)
	if err != nil {
		return err
	}
	open, err := repo.Pulls(ctx, "open", time.Time{})
	if err != nil {
		return err
	}
	for _, pr := range open {
		stale, err := s.checkStale(ctx, repo, pr)
		if err != nil {
			return err
		}
		if stale {
			if err := s.enqueue(route.Job{Command: route.Check, Event: "reconcile", Installation: installation, Repo: name, PR: pr.Number}); err != nil {
				return err
			}
		}
	}
	if err := s.reconcileQueue(ctx, repo, name, installation, defaultBranch); err != nil {
		return err
	}
	since := time.Now().Add(-s.opts.ReconcileWindow)
	closed, err := repo.Pulls(ctx, "closed", since)
	if err != nil {
		return err
	}
	for _, pr := range closed {
		// Merges into another branch are skipped early (apply refuses them
		// too).
		if pr.MergedAt.IsZero() || pr.MergedAt.Before(since) || pr.BaseRef != defaultBranch || pr.MergeSHA == "" {
			continue
		}
		todo, err := s.applyPending(ctx, repo, pr.MergeSHA)
		if err != nil {
			return err
		}
		if todo {
			if err := s.enqueue(route.Job{Command: route.Apply, Event: "reconcile", Installation: installation, Repo: name,
				PR: pr.Number, SHA: pr.MergeSHA}); err != nil {
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

// checkStale reports whether an open pull request needs a check: no
// modelpromote check run of the App on its head (another App's, a planted
// one, does not make it fresh: apply would not take it either), one stuck in progress beyond the
// lease, one that judged another pull request or base branch (a retarget
// whose delivery was lost, or a run from before scopes were recorded), or
// one that started before the latest review.
func (s *Server) checkStale(ctx context.Context, repo *github.Repo, pr github.Pull) (bool, error) {
	latest, err := repo.LatestCheckRunState(ctx, pr.HeadSHA, s.opts.AppID)
	if err != nil {
		return false, fmt.Errorf("#%d: %w", pr.Number, err)
	}
	if latest == nil {
		return true, nil
	}
	if latest.Status != "completed" {
		return time.Since(latest.StartedAt) >= s.opts.Lease, nil
	}
	if !latest.ScopeOK || latest.Scope.PR != pr.Number || latest.Scope.BaseRef != pr.BaseRef {
		return true, nil
	}
	reviews, err := repo.Reviews(ctx, pr.Number)
	if err != nil {
		return false, err
	}
	for _, rv := range reviews {
		if rv.At.After(latest.StartedAt) {
			return true, nil
		}
	}
	return false, nil
}

// applyPending reports whether a merge still needs apply: no lease of it
// ended "success", none is live, and apply does not count it finished
// (apply.Status: not started, in progress or interrupted; a failed
// promotion is not retried on its own).
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
	st, err := apply.Status(ctx, repo, sha, now, s.opts.Lease)
	if err != nil {
		return false, err
	}
	return !st.Finished(), nil
}

// reconcileQueue checks the merge queue's commits into the default branch
// that have no modelpromote check run of the App (their merge_group delivery was
// lost) or one stuck in progress beyond the lease: the queue waits for the
// required check until its timeout, then drops the pull request.
func (s *Server) reconcileQueue(ctx context.Context, repo *github.Repo, name string, installation int64, branch string) error {
	queued, err := repo.QueueCommits(ctx, branch)
	if err != nil {
		return err
	}
	for _, qc := range queued {
		n, ok := route.QueuedPullRequest(qc.Ref)
		if !ok {
			continue
		}
		latest, err := repo.LatestCheckRunState(ctx, qc.SHA, s.opts.AppID)
		if err != nil {
			return fmt.Errorf("merge queue %s: %w", qc.Ref, err)
		}
		if latest != nil && (latest.Status == "completed" || time.Since(latest.StartedAt) < s.opts.Lease) {
			continue
		}
		// The queue commit's first parent is what the queue built it on.
		base, err := repo.FirstParent(ctx, qc.SHA)
		if err != nil {
			return fmt.Errorf("merge queue %s: %w", qc.Ref, err)
		}
		if err := s.enqueue(route.Job{Command: route.Check, Event: "reconcile", Installation: installation, Repo: name, PR: n, SHA: qc.SHA,
			Queue: route.Queue{Ref: qc.Ref, BaseRef: "refs/heads/" + branch, BaseSHA: base, HeadSHA: qc.SHA}}); err != nil {
			return err
		}
	}
	return nil
}
