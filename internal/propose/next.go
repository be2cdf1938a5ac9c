package propose

import (
	"context"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// NextState is what became of a next-stage candidate.
type NextState string

// The next-stage states.
const (
	NextProposed NextState = "proposed" // its pull request is open (Result says how)
	NextSoaking  NextState = "soaking"  // live, but the soak time has not passed (DueAt)
	NextNotLive  NextState = "not-live" // the version does not serve in the `after` stage
	NextDeclined NextState = "declined" // its pull request was closed unmerged: not reopened
	NextFailed   NextState = "failed"   // proposing failed (Err)
)

// Next is one next-stage candidate, judged and, when due, proposed.
type Next struct {
	Candidate
	State  NextState
	DueAt  time.Time
	Detail string
	Result *Result
	Err    error
}

// Due proposes every next-stage promotion that is due: for each stage with
// `after` and autoPropose, a version the manifest names for the `after`
// stage, live there and InService for at least the soak time. The server's
// reconcile loop calls it on a timer, and `modelpromote propose --due` from
// a scheduled workflow; proposing is idempotent, so calling it often is
// safe. A proposal whose pull request was closed unmerged is not reopened.
func Due(ctx context.Context, env Env) ([]Next, error) {
	return next(ctx, env, func(Candidate) bool { return true })
}

// After is Due for the stages that follow stage of model: apply calls it
// once a promotion to stage succeeded.
func After(ctx context.Context, env Env, model, stage string) ([]Next, error) {
	return next(ctx, env, func(c Candidate) bool { return c.Model == model && c.After == stage })
}

func next(ctx context.Context, env Env, want func(Candidate) bool) ([]Next, error) {
	snap, err := env.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	cfg := snap.set.Config.Config
	src := env.sources(cfg)
	now := env.now()
	var out []Next
	for _, c := range Candidates(cfg, snap.set.Models) {
		if !want(c) {
			continue
		}
		out = append(out, judge(ctx, env, snap, src, c, now))
	}
	return out, nil
}

// afterServing is what the `after` stage serves: its endpoint's trace, or
// for a registry-only stage, its registry's copy of the version.
func afterServing(ctx context.Context, src sources, source manifest.Source, c Candidate) (*plan.Serving, error) {
	if !c.AfterEnv.RegistryOnly {
		return src.stages.Serving(ctx, c.AfterEnv, c.AfterEndpoint)
	}
	l, err := src.stages.Registered(ctx, c.AfterEnv, c.ModelPackageGroup, plan.SourceARN(source, c.ModelPackageGroup, c.Version))
	if l == nil || err != nil {
		return nil, err
	}
	return &l.Serving, nil
}

func judge(ctx context.Context, env Env, snap *snapshot, src sources, c Candidate, now time.Time) Next {
	n := Next{Candidate: c}
	s, err := afterServing(ctx, src, snap.set.Config.Config.Source, c)
	if err != nil {
		n.State, n.Err = NextFailed, fmt.Errorf("read what %s serves: %w", c.After, err)
		return n
	}
	r := c.Judge(s, now)
	n.DueAt, n.Detail = r.DueAt, r.Reason
	switch {
	case !r.Due && !r.DueAt.IsZero():
		n.State = NextSoaking
		return n
	case !r.Due:
		n.State = NextNotLive
		return n
	}
	p := Proposal{Model: c.Model, Stage: c.Stage, Version: c.Version}
	closed, err := env.Repo.PullRequestsByHead(ctx, p.Branch(), "closed")
	if err != nil {
		n.State, n.Err = NextFailed, err
		return n
	}
	for _, pr := range closed {
		if !pr.Merged {
			n.State, n.Detail = NextDeclined, fmt.Sprintf("#%d proposed it and was closed unmerged; propose it by hand to open it again", pr.Number)
			return n
		}
	}
	res, err := open(ctx, env, snap, src, Request{Kind: KindNext, Model: c.Model, Stage: c.Stage, Version: c.Version, After: c.After})
	if err != nil {
		n.State, n.Err = NextFailed, err
		return n
	}
	n.State, n.Result = NextProposed, res
	return n
}
