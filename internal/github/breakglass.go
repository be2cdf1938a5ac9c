package github

import (
	"context"
	"fmt"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// BreakGlass reads the break-glass label of pull request number: nil when
// the pull request does not carry it; otherwise who set it (the actor of
// the issue timeline's latest `labeled` event for it) and their role on the
// repository, which plan judges (only triage or more may label). A label
// the timeline does not explain comes back with no setter: no break-glass.
func (r *Repo) BreakGlass(ctx context.Context, number int) (*plan.BreakGlassRequest, error) {
	pr, _, err := r.client.PullRequests.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return nil, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return r.BreakGlassOf(ctx, pr)
}

// BreakGlassOf is BreakGlass of a pull request already read (its labels as
// they were then), without reading it again.
func (r *Repo) BreakGlassOf(ctx context.Context, pr *gogh.PullRequest) (*plan.BreakGlassRequest, error) {
	number := pr.GetNumber()
	labelled := false
	for _, l := range pr.Labels {
		if l.GetName() == manifest.BreakGlassLabel {
			labelled = true
		}
	}
	if !labelled {
		return nil, nil
	}
	events, err := r.timeline(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("read the timeline of #%d: %w", number, err)
	}
	req := &plan.BreakGlassRequest{}
	for _, ev := range events {
		if ev.Event == "labeled" && ev.Label.GetName() == manifest.BreakGlassLabel {
			req.By, req.At = ev.Actor.GetLogin(), time.Time{}
			if ev.CreatedAt != nil {
				req.At = ev.CreatedAt.UTC()
			}
		}
	}
	if req.By == "" {
		return req, nil
	}
	// GET /repos/{o}/{r}/collaborators/{user}/permission: `permission` folds
	// triage into read and maintain into write; `role_name` keeps the role
	// (https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user).
	p, _, err := r.client.Repositories.GetPermissionLevel(ctx, r.Owner, r.Name, req.By)
	switch {
	case IsNotFound(err):
		req.Permission = "none"
	case err != nil:
		return nil, fmt.Errorf("read %s's permission: %w", req.By, err)
	default:
		req.Permission = p.GetUser().GetRoleName()
		if req.Permission == "" {
			req.Permission = p.GetPermission()
		}
	}
	return req, nil
}
