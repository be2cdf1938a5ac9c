package apply

import (
	"context"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Preview is what apply would do for a merged pull request, found by
// reading only: the same re-verification, then per promotion the objects
// and the path each would take, the package it would create or adopt, and
// what would happen to the endpoint.
type Preview struct {
	Result
	Promotions []PromotionPreview
}

// PromotionPreview is one promotion's planned steps.
type PromotionPreview struct {
	Model, Stage string
	// AlreadyApplied is true when the merge's deployment already succeeded.
	AlreadyApplied bool
	Copies         []PlannedCopy
	// Package says what the registry step would do.
	Package string
	// Endpoint says what the deploy step would do, with the rollout.
	Endpoint string
	// Problem is a reason the preview could not look further.
	Problem string
}

// PlannedCopy is one object apply would copy.
type PlannedCopy struct {
	Source, Target string
	Size           int64
	// Path is server-side, server-side-multipart, streamed (the deploy role
	// cannot read the source), or skipped (already copied).
	Path string
}

// Plan previews apply for merged pull request number without writing
// anything anywhere.
func Plan(ctx context.Context, env Env, number int) (*Preview, error) {
	if env.Dir == "" {
		env.Dir = manifest.DefaultDir
	}
	pv := &Preview{}
	m, err := env.Repo.MergedPullRequest(ctx, number)
	if err != nil {
		return nil, err
	}
	pv.Merge = m
	def, refused, err := admit(ctx, env, m)
	if pv.Refused = refused; err != nil || len(pv.Refused) > 0 {
		return pv, err
	}
	r, err := preflight(ctx, env, m, &pv.Result)
	if err != nil || r == nil {
		return pv, err
	}
	if r.skip, err = superseded(ctx, env, def, m.MergeSHA, r.plan); err != nil {
		return pv, err
	}
	for i := range r.plan.Promotions {
		pr := &r.plan.Promotions[i]
		if why, ok := r.skip[pr.Key()]; ok {
			pv.Promotions = append(pv.Promotions, PromotionPreview{Model: pr.Model, Stage: pr.Stage, Problem: why})
			continue
		}
		pv.Promotions = append(pv.Promotions, r.preview(ctx, pr))
	}
	return pv, nil
}

// preview predicts one promotion: every action's step says what it would
// do, reading only.
func (r *runner) preview(ctx context.Context, pr *plan.Promotion) PromotionPreview {
	out := PromotionPreview{Model: pr.Model, Stage: pr.Stage}
	if pr.Environment.RegistryOnly {
		out.Endpoint = "deploy nothing: " + pr.Stage + " is registry only"
	}
	if d, err := r.env.Repo.FindDeployment(ctx, r.deploymentSpec(pr)); err != nil {
		out.Problem = err.Error()
		return out
	} else if d.Done() {
		out.AlreadyApplied = true
		return out
	}
	if err := r.predict(ctx, pr, r.newState(pr, ""), &out); err != nil {
		out.Problem = err.Error()
	}
	return out
}
