package github

import (
	"context"
	"fmt"
	"sort"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// DeploymentRun is a deployment with its latest status, as listed for a
// commit and task: who set that status, when, and what it says.
type DeploymentRun struct {
	Deployment
	// Description and Creator are the latest status's ("" with none);
	// Updated is its time, or the deployment's creation without one.
	Description string
	Creator     string
	Updated     time.Time
}

// Deployments lists the deployments of commit sha with task, lowest ID
// (the oldest) first, each with its latest status.
func (r *Repo) Deployments(ctx context.Context, sha, task string) ([]DeploymentRun, error) {
	var list []*gogh.Deployment
	opts := &gogh.DeploymentsListOptions{SHA: sha, Task: task, ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := r.client.Repositories.ListDeployments(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s deployments of %s: %w", task, gitsha.Short(sha), err)
		}
		list = append(list, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.Slice(list, func(i, j int) bool { return list[i].GetID() < list[j].GetID() })
	out := make([]DeploymentRun, 0, len(list))
	for _, d := range list {
		run := DeploymentRun{Deployment: Deployment{ID: d.GetID()}, Creator: d.GetCreator().GetLogin(), Updated: d.GetCreatedAt().Time}
		st, err := r.latestDeploymentStatus(ctx, d.GetID())
		if err != nil {
			return nil, err
		}
		if st != nil {
			run.State, run.Description, run.Creator, run.Updated = st.GetState(), st.GetDescription(), st.GetCreator().GetLogin(), st.GetCreatedAt().Time
		}
		out = append(out, run)
	}
	return out, nil
}

// latestDeploymentStatus is a deployment's newest status (GitHub lists
// them newest first), or nil.
func (r *Repo) latestDeploymentStatus(ctx context.Context, id int64) (*gogh.DeploymentStatus, error) {
	list, _, err := r.client.Repositories.ListDeploymentStatuses(ctx, r.Owner, r.Name, id, &gogh.ListOptions{PerPage: 1})
	if err != nil {
		return nil, fmt.Errorf("list statuses of deployment %d: %w", id, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list[0], nil
}

// CreateDeployment creates a deployment of spec, even when one exists
// (EnsureDeployment adopts it instead).
func (r *Repo) CreateDeployment(ctx context.Context, spec DeploymentSpec) (int64, error) {
	req := &gogh.DeploymentRequest{
		Ref:                   gogh.String(spec.SHA),
		Task:                  gogh.String(spec.Task),
		AutoMerge:             gogh.Bool(false),
		RequiredContexts:      &[]string{}, // the merge commit is the reviewed one; checks ran on the head
		Environment:           gogh.String(spec.Environment),
		Description:           gogh.String(spec.Description),
		ProductionEnvironment: gogh.Bool(spec.Production),
		TransientEnvironment:  gogh.Bool(spec.Transient),
	}
	if spec.Payload != nil { // a nil map would be sent as null, which GitHub refuses
		req.Payload = spec.Payload
	}
	d, _, err := r.client.Repositories.CreateDeployment(ctx, r.Owner, r.Name, req)
	if err != nil {
		return 0, fmt.Errorf("create deployment for %s: %w", spec.Environment, err)
	}
	return d.GetID(), nil
}

// DeploymentStatus is a status to add to a deployment.
type DeploymentStatus struct {
	// State is in_progress, success, failure, error or inactive.
	State string
	// Description is cut to GitHub's 140 characters.
	Description    string
	EnvironmentURL string
	// KeepOthers leaves the environment's earlier successful deployments
	// as they are; by default (auto_inactive) GitHub marks them inactive
	// when this one succeeds.
	KeepOthers bool
}

// AddDeploymentStatus records a deployment's state.
func (r *Repo) AddDeploymentStatus(ctx context.Context, id int64, st DeploymentStatus) error {
	description := st.Description
	if len(description) > 140 {
		description = description[:137] + "..."
	}
	req := &gogh.DeploymentStatusRequest{State: gogh.String(st.State), Description: gogh.String(description)}
	if st.EnvironmentURL != "" {
		req.EnvironmentURL = gogh.String(st.EnvironmentURL)
	}
	if st.KeepOthers {
		req.AutoInactive = gogh.Bool(false)
	}
	if _, _, err := r.client.Repositories.CreateDeploymentStatus(ctx, r.Owner, r.Name, id, req); err != nil {
		return fmt.Errorf("set deployment %d %s: %w", id, st.State, err)
	}
	return nil
}
