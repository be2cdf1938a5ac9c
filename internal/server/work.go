package server

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/route"
)

// worker runs jobs until the queue closes.
func (s *Server) worker() {
	for {
		j, ok := s.queue.pop()
		if !ok {
			return
		}
		failed := !s.run(j)
		absorbed := s.queue.done(j)
		if failed {
			s.forget(j, absorbed)
		}
	}
}

// forget drops the deliveries of a failed job from the deduplication set:
// GitHub's Redeliver keeps the delivery ID, and a redelivery of a
// delivery whose job failed must run it again. Jobs that succeeded or
// were skipped keep theirs, so their redeliveries stay duplicates.
func (s *Server) forget(j route.Job, absorbed []string) {
	ids := addDelivery(absorbed, j.Delivery) // reconciliation's jobs have none
	for _, id := range ids {
		s.seen.forget(id)
	}
	if len(ids) > 0 {
		s.log.Info("deliveries forgotten: a redelivery runs the failed job again", "deliveries", ids, "kind", j.Command, "repo", j.Repo)
	}
}

// run runs one job, recovering from a panic so that one bad job does not
// take the server down. It reports whether the job succeeded (or was
// skipped).
func (s *Server) run(j route.Job) (ok bool) {
	log := s.log.With("delivery", j.Delivery, "event", j.Event, "kind", j.Command, "repo", j.Repo)
	if j.PR != 0 {
		log = log.With("pr", j.PR)
	}
	defer func() {
		if p := recover(); p != nil {
			s.metrics.inc(s.metrics.failed, j.Event)
			log.Error("job panicked", "panic", fmt.Sprint(p))
			ok = false
		}
	}()
	err := s.do(s.work, j, log)
	if err != nil {
		s.metrics.inc(s.metrics.failed, j.Event)
		log.Error("job failed", "err", err)
		return false
	}
	s.metrics.inc(s.metrics.processed, j.Event)
	return true
}

func (s *Server) do(ctx context.Context, j route.Job, log *slog.Logger) error {
	installation, installed, err := s.reach(ctx, j, log)
	if err != nil {
		return err
	}
	if !installed {
		log.Info("skipped: the App is not installed on " + j.Repo)
		return nil
	}
	repo, err := s.opts.GitHub.Repo(ctx, installation, j.Repo)
	if err != nil {
		return err
	}
	ok, err := s.configs.configured(ctx, repo, s.opts.Dir)
	if err != nil {
		return err
	}
	if !ok {
		log.Info("skipped: no " + path.Join(s.opts.Dir, "modelpromote.yaml") + " on the default branch")
		return nil
	}
	resolved, err := route.Resolve(ctx, github.Resolver{Repo: repo}, j)
	if err != nil {
		return err
	}
	if resolved.Command == route.None {
		log.Info("skipped: " + resolved.Reason)
		return nil
	}
	if resolved.PR != j.PR {
		log = log.With("pr", resolved.PR)
	}
	if j = resolved; j.Command == route.Apply {
		return s.apply(ctx, repo, j, log)
	}
	return s.check(ctx, repo, j, log)
}

// check runs the pull-request check with a report.
func (s *Server) check(ctx context.Context, repo *github.Repo, j route.Job, log *slog.Logger) error {
	start := time.Now()
	res, err := check.Run(ctx, check.Env{Repo: repo, AWS: s.opts.AWS, S3PathStyle: s.opts.S3PathStyle, Dir: s.opts.Dir,
		Report: true, Now: s.opts.Now, Version: s.opts.Version, Queue: check.QueueOf(j.Queue)}, j.PR)
	s.metrics.observe(&s.metrics.checkDur, time.Since(start))
	if err != nil {
		return err
	}
	log.Info("checked", "verdict", string(res.Verdict), "comment", res.CommentURL, "duration", time.Since(start).String())
	return nil
}

// apply applies a merge under the lease (see the package doc).
func (s *Server) apply(ctx context.Context, repo *github.Repo, j route.Job, log *slog.Logger) error {
	// A delivery without merge_commit_sha: the lease needs the commit, so
	// the pull request is read here, and apply judges it as read.
	var merge *github.Merge
	if j.SHA == "" {
		m, err := repo.MergedPullRequest(ctx, j.PR)
		if err != nil {
			return err
		}
		merge, j.SHA = m, m.MergeSHA
	}
	l, why, err := s.acquire(ctx, repo, j.SHA)
	if err != nil {
		return fmt.Errorf("apply lease on %s: %w", j.SHA, err)
	}
	if l == nil {
		s.metrics.inc(s.metrics.outcomes, "skipped")
		log.Info("apply skipped: "+why, "sha", j.SHA)
		return nil
	}
	renewCtx, stopRenew := context.WithCancel(ctx)
	var renewing sync.WaitGroup
	renewing.Go(func() { l.keep(renewCtx) })
	start := time.Now()
	env := apply.Env{Repo: repo, AppID: s.opts.AppID, AWS: s.opts.AWS, S3PathStyle: s.opts.S3PathStyle, Dir: s.opts.Dir,
		Now: s.opts.Now, Poll: s.opts.Poll, EndpointTimeout: s.opts.EndpointTimeout, RecreateFailed: s.opts.RecreateFailed,
		Version: s.opts.Version, Progress: func(line string) { log.Debug(line) }, Notifier: s.notifier}
	var res *apply.Result
	if merge != nil {
		res, err = apply.RunMerge(ctx, env, merge)
	} else {
		res, err = apply.Run(ctx, env, j.PR)
	}
	stopRenew()
	renewing.Wait()
	s.metrics.observe(&s.metrics.applyDur, time.Since(start))
	if err != nil || ctx.Err() != nil {
		s.metrics.inc(s.metrics.outcomes, "error")
		l.end(leaseError, "apply did not finish")
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
	switch {
	case len(res.Refused) > 0:
		s.metrics.inc(s.metrics.outcomes, "refused")
	default:
		for _, o := range res.Outcomes {
			s.metrics.inc(s.metrics.outcomes, o.State)
		}
	}
	l.end(leaseDone, fmt.Sprintf("applied by %s", s.opts.Replica))
	log.Info("applied", "sha", j.SHA, "refused", len(res.Refused), "promotions", len(res.Outcomes), "failed", res.Failed(),
		"comment", res.CommentURL, "duration", time.Since(start).String())
	s.refreshDashboard(ctx, repo, log)
	return nil
}

// configCache remembers for a while whether a repository has the
// promotions configuration on its default branch.
type configCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]configEntry
}

type configEntry struct {
	ok bool
	at time.Time
}

func newConfigCache(ttl time.Duration) *configCache {
	return &configCache{ttl: ttl, m: map[string]configEntry{}}
}

func (c *configCache) configured(ctx context.Context, repo *github.Repo, dir string) (bool, error) {
	c.mu.Lock()
	e, hit := c.m[repo.FullName()]
	c.mu.Unlock()
	if hit && time.Since(e.at) < c.ttl {
		return e.ok, nil
	}
	_, err := repo.File(ctx, path.Join(dir, "modelpromote.yaml"), "")
	ok := err == nil
	if err != nil && !github.IsNotFound(err) {
		return false, fmt.Errorf("read %s configuration: %w", repo.FullName(), err)
	}
	c.mu.Lock()
	if len(c.m) >= maxKnownRepos {
		clear(c.m)
	}
	c.m[repo.FullName()] = configEntry{ok: ok, at: time.Now()}
	c.mu.Unlock()
	return ok, nil
}
