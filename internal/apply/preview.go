package apply

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
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
		env.Dir = "promotions"
	}
	pv := &Preview{}
	m, err := env.Repo.MergedPullRequest(ctx, number)
	if err != nil {
		return nil, err
	}
	pv.Merge = m
	if pv.Refused, err = admit(ctx, env, m); err != nil || len(pv.Refused) > 0 {
		return pv, err
	}
	r, err := preflight(ctx, env, m, &pv.Result)
	if err != nil || r == nil {
		return pv, err
	}
	for i := range r.plan.Promotions {
		pv.Promotions = append(pv.Promotions, r.preview(ctx, &r.plan.Promotions[i]))
	}
	return pv, nil
}

func (r *runner) preview(ctx context.Context, pr *plan.Promotion) PromotionPreview {
	env := pr.Environment
	out := PromotionPreview{Model: pr.Model, Stage: pr.Stage}
	fail := func(err error) PromotionPreview { out.Problem = err.Error(); return out }
	if d, err := r.env.Repo.FindDeployment(ctx, r.deploymentSpec(pr)); err != nil {
		return fail(err)
	} else if d.Done() {
		out.AlreadyApplied = true
		return out
	}
	tcfg := r.accts.Environment(env)
	pkg := pr.Details.Package
	if pkg == nil {
		return fail(fmt.Errorf("%s version %d was not read from the source registry", pr.ModelPackageGroup, pr.ToVersion))
	}
	objects, err := checkCopyable(plan.CopyObjects(pkg, env.ArtifactBucket, plan.ArtifactPrefix(pr.ModelPackageGroup, pr.ToVersion)))
	if err != nil {
		return fail(err)
	}
	copier := r.copier(env, tcfg)
	for _, obj := range objects {
		su, _ := artifacts.ParseURI(obj.Source)
		du, _ := artifacts.ParseURI(obj.Target)
		c, err := copier.Predict(ctx, su, du)
		if err != nil {
			return fail(err)
		}
		out.Copies = append(out.Copies, PlannedCopy{Source: obj.Source, Target: obj.Target, Size: c.Size, Path: c.Path})
	}
	treg := registry.New(tcfg, env.Account)
	found, err := treg.FindBySource(ctx, pr.ModelPackageGroup, pkg.ARN)
	switch {
	case err != nil:
		return fail(err)
	case found != "":
		out.Package = "adopt " + found + " (registered from the same source package by an earlier run)"
	default:
		out.Package = fmt.Sprintf("create a package in group %s of account %s from %s, then approve it", pr.ModelPackageGroup, env.Account, pkg.ARN)
	}
	ep, err := endpoints.NewDeployer(tcfg).Describe(ctx, pr.To.Name)
	switch {
	case err != nil:
		return fail(err)
	case ep.EndpointStatus == "":
		out.Endpoint = fmt.Sprintf("create endpoint %s: %d × %s", pr.To.Name, pr.To.InstanceCount, pr.To.InstanceType)
	default:
		out.Endpoint = fmt.Sprintf("update endpoint %s (%s, on config %s) with rollout %s: %d × %s", pr.To.Name, ep.EndpointStatus,
			ep.Config, plan.RolloutSummary(pr.To.Rollout), pr.To.InstanceCount, pr.To.InstanceType)
	}
	return out
}
