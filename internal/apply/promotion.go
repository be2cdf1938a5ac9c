package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// one applies one promotion and reports it as a GitHub deployment.
func (r *runner) one(ctx context.Context, pr *plan.Promotion) Outcome {
	env := pr.Environment
	o := Outcome{Model: pr.Model, Stage: pr.Stage}
	o.RecordURI = fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, RecordKey(pr.ModelPackageGroup, pr.ToVersion, r.merge.MergeSHA))
	dep, err := r.env.Repo.EnsureDeployment(ctx, r.deploymentSpec(pr))
	if err != nil {
		o.State, o.Error = StateFailure, err.Error()
		return o
	}
	if dep.Done() {
		o.State = StateAlreadyApplied
		return o
	}
	if err := r.env.Repo.SetDeploymentStatus(ctx, dep.ID, "in_progress", "", "modelpromote is deploying"); err != nil {
		o.State, o.Error = StateFailure, err.Error()
		return o
	}
	st := r.newState(pr, o.RecordURI)
	err = r.walk(ctx, pr, st)
	if st.record.Outcome != "" {
		o.Record = st.record // the walk reached the evidence record
	}
	if errors.Is(err, errInterrupted) {
		// A crash: nothing more is written; the next run picks it up.
		o.State, o.Error = StateFailure, err.Error()
		return o
	}
	state, desc := "success", fmt.Sprintf("v%d serving on %s", pr.ToVersion, pr.To.Name)
	logURL := ConsoleURL(env.Region, pr.To.Name)
	if env.RegistryOnly {
		desc, logURL = fmt.Sprintf("v%d registered in %s's registry (account %s)", pr.ToVersion, pr.Stage, env.Account), ""
	}
	if err != nil {
		state, desc = "failure", err.Error()
		o.State, o.Error = StateFailure, err.Error()
	} else {
		o.State = StateSuccess
	}
	if serr := r.env.Repo.SetDeploymentStatus(ctx, dep.ID, state, logURL, desc); serr != nil && o.Error == "" {
		o.State, o.Error = StateFailure, serr.Error()
	}
	return o
}

// deploymentSpec is the GitHub deployment of one promotion of this merge.
func (r *runner) deploymentSpec(pr *plan.Promotion) github.DeploymentSpec {
	spec := github.DeploymentSpec{
		SHA: r.merge.MergeSHA, Environment: pr.Stage + "/" + pr.Model, Task: DeploymentTask,
		Description: fmt.Sprintf("%s v%d to %s", pr.Model, pr.ToVersion, pr.Stage),
		Payload:     map[string]any{"model": pr.Model, "stage": pr.Stage, "version": pr.ToVersion, "endpoint": pr.To.Name},
		Production:  len(policy.Next(r.plan.Config, pr.Stage)) == 0,
	}
	if pr.Details.Rollback != nil {
		spec.Description = "rollback: " + spec.Description
		spec.Payload["rollback"] = true
	}
	if bg := pr.Details.BreakGlass; bg != nil {
		spec.Description = "break-glass: " + spec.Description
		spec.Payload["breakGlass"] = map[string]any{"by": bg.By}
	}
	return spec
}

// newState starts one promotion's apply, with its evidence record.
func (r *runner) newState(pr *plan.Promotion, recordURI string) *state {
	st := &state{promotion: pr, merge: r.merge, approvers: r.approvers, recordURI: recordURI, record: r.newRecord(pr)}
	st.source, st.sourceCfg = r.upstream(pr)
	return st
}

// upstream is the registry a promotion's package is read from, with its
// configuration: the source account's, or the registry-only stage's its
// stage is sourced from (read as registry.Upstream says).
func (r *runner) upstream(pr *plan.Promotion) (*registry.Registry, aws.Config) {
	cfg := r.plan.Config
	if central, ok := cfg.Upstream(pr.Environment); ok {
		u := registry.Upstream(r.accts, central, pr.Environment, true)
		return u.Registry, u.Config
	}
	return r.source, r.accts.Source(cfg.Source)
}

func (r *runner) newRecord(pr *plan.Promotion) *Record {
	cfg := r.plan.Config
	rec := &Record{
		SchemaVersion: RecordSchemaVersion,
		Model:         pr.Model, Stage: pr.Stage, FromVersion: pr.FromVersion, ToVersion: pr.ToVersion,
		PullRequest: RecordPR{Repo: r.env.Repo.FullName(), Number: r.merge.Number, URL: r.merge.URL, Author: r.merge.Author,
			MergedBy: r.merge.MergedBy, HeadSHA: r.merge.HeadSHA, MergeSHA: r.merge.MergeSHA},
		Source:    RecordPackage{Account: cfg.Source.Account, Region: cfg.Source.Region, Group: pr.ModelPackageGroup, Version: pr.ToVersion},
		Target:    RecordPackage{Account: pr.Environment.Account, Region: pr.Environment.Region, Group: pr.ModelPackageGroup},
		Reports:   pr.Details.Reports,
		StartedAt: r.env.now().UTC(),
		Endpoint: RecordEndpoint{Name: pr.To.Name, Account: pr.Environment.Account, Region: pr.Environment.Region, Rollout: pr.To.Rollout,
			ConsoleURL: ConsoleURL(pr.Environment.Region, pr.To.Name), InstanceType: pr.To.InstanceType, InstanceCount: pr.To.InstanceCount,
			ProductionVariant: pr.To.Variant()},
	}
	if pr.Environment.RegistryOnly {
		rec.RegistryOnly = true
		rec.Endpoint = RecordEndpoint{Account: pr.Environment.Account, Region: pr.Environment.Region}
	}
	if pkg := pr.Details.Package; pkg != nil {
		rec.Source.PackageARN = pkg.Identity()
		if pkg.Origin != "" {
			// Read from a registry-only stage's copy: the record names it.
			via := pr.Details.Source
			rec.Via = &RecordPackage{Account: via.Account, Region: via.Region, Group: pkg.Group, Version: pkg.Version, PackageARN: pkg.ARN}
		}
	}
	rec.Rollback, rec.BreakGlass = pr.Details.Rollback, pr.Details.BreakGlass
	if a := pr.Details.Approvals; a != nil {
		for _, v := range a.Reviews {
			if v.Counted {
				rec.Approvals = append(rec.Approvals, v)
			}
		}
	}
	return rec
}
