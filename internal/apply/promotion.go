package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// copyConcurrency bounds how many objects of one promotion copy at once.
const copyConcurrency = 4

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
	rec := r.newRecord(pr)
	err = r.execute(ctx, pr, rec)
	if errors.Is(err, errInterrupted) {
		// A crash: nothing more is written; the next run picks it up.
		o.State, o.Error = StateFailure, err.Error()
		return o
	}
	rec.FinishedAt = r.env.now().UTC()
	rec.Outcome = StateSuccess
	if err != nil {
		rec.Outcome, rec.Error = StateFailure, err.Error()
	}
	o.Record = rec
	if werr := r.step(pr, plan.ActionRecordEvidence); werr != nil {
		o.State, o.Error = StateFailure, werr.Error()
		return o
	}
	if werr := r.writeRecord(ctx, pr, rec); werr != nil && err == nil {
		err = werr
	}
	state, desc := "success", fmt.Sprintf("v%d serving on %s", pr.ToVersion, pr.To.Name)
	if err != nil {
		state, desc = "failure", err.Error()
		o.State, o.Error = StateFailure, err.Error()
	} else {
		o.State = StateSuccess
	}
	if serr := r.env.Repo.SetDeploymentStatus(ctx, dep.ID, state, ConsoleURL(env.Region, pr.To.Name), desc); serr != nil && o.Error == "" {
		o.State, o.Error = StateFailure, serr.Error()
	}
	return o
}

// deploymentSpec is the GitHub deployment of one promotion of this merge.
func (r *runner) deploymentSpec(pr *plan.Promotion) github.DeploymentSpec {
	return github.DeploymentSpec{
		SHA: r.merge.MergeSHA, Environment: pr.Stage + "/" + pr.Model, Task: DeploymentTask,
		Description: fmt.Sprintf("%s v%d to %s", pr.Model, pr.ToVersion, pr.Stage),
		Payload:     map[string]any{"model": pr.Model, "stage": pr.Stage, "version": pr.ToVersion, "endpoint": pr.To.Name},
		Production:  len(policy.Next(r.plan.Config, pr.Stage)) == 0,
	}
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
	if pkg := pr.Details.Package; pkg != nil {
		rec.Source.PackageARN = pkg.ARN
	}
	if a := pr.Details.Approvals; a != nil {
		for _, v := range a.Reviews {
			if v.Counted {
				rec.Approvals = append(rec.Approvals, v)
			}
		}
	}
	return rec
}

// execute runs the steps of one promotion, filling rec.
func (r *runner) execute(ctx context.Context, pr *plan.Promotion, rec *Record) error {
	env := pr.Environment
	if err := r.step(pr, plan.ActionAssumeRole); err != nil {
		return err
	}
	tcfg := r.accts.Environment(env)
	if _, err := tcfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("assume %s: %w", env.RoleARN, err)
	}

	if err := r.step(pr, plan.ActionCopyArtifacts); err != nil {
		return err
	}
	pkg := pr.Details.Package
	if pkg == nil {
		return fmt.Errorf("%s version %d was not read from the source registry", pr.ModelPackageGroup, pr.ToVersion)
	}
	rec.Source.PackageARN = pkg.ARN
	objects, err := checkCopyable(plan.CopyObjects(pkg, env.ArtifactBucket, plan.ArtifactPrefix(pr.ModelPackageGroup, pr.ToVersion)))
	if err != nil {
		return err
	}
	copies, err := r.copyAll(ctx, r.copier(env, tcfg), objects)
	rec.Artifacts = copies
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for _, o := range objects {
		mapping[o.Source] = o.Target
	}

	if err := r.step(pr, plan.ActionRegisterPackage); err != nil {
		return err
	}
	treg := registry.New(tcfg, env.Account)
	reg, err := treg.RegisterCopy(ctx, r.source, registry.Copy{
		SourceARN:       pkg.ARN,
		TargetGroup:     pr.ModelPackageGroup,
		TargetKMSKeyARN: env.KMSKeyARN,
		Copied:          mapping,
		Provenance: map[string]string{
			plan.ProvenanceSourceARN:     pkg.ARN,
			plan.ProvenanceSourceAccount: r.plan.Config.Source.Account,
			plan.ProvenancePullRequest:   r.merge.URL,
			plan.ProvenanceMergeSHA:      r.merge.MergeSHA,
			plan.ProvenanceApprovers:     truncate(strings.Join(r.approvers, " "), 256),
			plan.ProvenanceEvidence:      fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, RecordKey(pr.ModelPackageGroup, pr.ToVersion, r.merge.MergeSHA)),
		},
	}, r.env.Poll)
	rec.Target.PackageARN = reg.ARN
	rec.Target.Version = endpoints.VersionOf(reg.ARN)
	if err != nil {
		return err
	}
	r.progress("%s/%s: package %s (%s)", pr.Model, pr.Stage, reg.ARN, map[bool]string{true: "adopted", false: "registered"}[reg.Adopted])

	if err := r.step(pr, plan.ActionDeploy); err != nil {
		return err
	}
	d := endpoints.NewDeployer(tcfg)
	d.Poll, d.Timeout, d.RecreateFailed = r.env.Poll, r.env.EndpointTimeout, r.env.RecreateFailed
	d.Progress = func(s endpoints.Status) {
		state := s.EndpointStatus
		if state == "" {
			state = "absent"
		}
		r.progress("%s/%s: endpoint %s %s (config %s)", pr.Model, pr.Stage, pr.To.Name, state, orDefault(s.Config, "none"))
	}
	out, err := d.Deploy(ctx, endpoints.Request{
		Endpoint:         pr.To,
		PackageARN:       reg.ARN,
		ExecutionRoleARN: env.ExecutionRoleARN,
		DeployID:         fmt.Sprintf("v%d-%s", pr.ToVersion, short(r.merge.MergeSHA)),
		Tags: map[string]string{
			plan.ProvenanceSourceARN: pkg.ARN,
			plan.ProvenanceMergeSHA:  r.merge.MergeSHA,
		},
	})
	rec.Endpoint.ConfigBefore, rec.Endpoint.ConfigAfter, rec.Endpoint.Model = out.PreviousConfig, out.NewConfig, out.Model
	rec.Endpoint.Status, rec.Endpoint.FailureReason, rec.Endpoint.RolledBack, rec.Endpoint.CreatedNew = out.Status, out.FailureReason, out.RolledBack, out.Created
	if err != nil {
		return err
	}
	if err := d.Cleanup(ctx, pr.To.Name, 2); err != nil {
		r.progress("%s/%s: cleanup of superseded configs failed (left in place): %v", pr.Model, pr.Stage, err)
	}
	return nil
}

// copier copies from the source account into env's bucket: it reads with
// the source role and writes (and, when the buckets allow it, copies
// server-side) with tcfg, the environment's deploy role.
func (r *runner) copier(env manifest.Environment, tcfg aws.Config) *artifacts.Copier {
	return &artifacts.Copier{
		Source:      artifacts.Client(r.accts.Source(r.plan.Config.Source), r.env.S3PathStyle),
		Target:      artifacts.Client(tcfg, r.env.S3PathStyle),
		SourceOwner: r.plan.Config.Source.Account,
		TargetOwner: env.Account,
		KMSKeyARN:   env.KMSKeyARN,
	}
}

// checkCopyable refuses a copy list with an object that cannot be copied
// safely: a recorded digest that is not SHA-256, or a URI that could not
// name one object under the target prefix.
func checkCopyable(objects []plan.CopyObject) ([]plan.CopyObject, error) {
	var errs []string
	for _, o := range objects {
		if o.Problem != "" {
			errs = append(errs, o.Problem)
		}
		if _, err := artifacts.ParseURI(o.Source); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("the source package refers to objects that cannot be copied safely: %s", strings.Join(errs, "; "))
	}
	return objects, nil
}

func (r *runner) copyAll(ctx context.Context, c *artifacts.Copier, objects []plan.CopyObject) ([]RecordArtifact, error) {
	out := make([]RecordArtifact, len(objects))
	errs := make([]error, len(objects))
	sem := make(chan struct{}, copyConcurrency)
	var wg sync.WaitGroup
	for i, obj := range objects {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			src, _ := artifacts.ParseURI(obj.Source)
			dst, err := artifacts.ParseURI(obj.Target)
			if err != nil {
				errs[i] = err
				return
			}
			res, err := c.Copy(ctx, src, dst, obj.SHA256)
			out[i] = RecordArtifact{Source: obj.Source, Target: obj.Target, SHA256: res.SHA256, Size: res.Size, Path: res.Path}
			if err != nil {
				errs[i] = fmt.Errorf("copy %s: %w", obj.Source, err)
				return
			}
			r.progress("copied %s (%d bytes, %s)", obj.Source, res.Size, res.Path)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// writeRecord puts the evidence record in the target bucket, encrypted
// with the target key.
func (r *runner) writeRecord(ctx context.Context, pr *plan.Promotion, rec *Record) error {
	env := pr.Environment
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	store := artifacts.New(r.accts.Environment(env), env.Account, r.env.S3PathStyle)
	uri := artifacts.URI{Bucket: env.ArtifactBucket, Key: RecordKey(pr.ModelPackageGroup, pr.ToVersion, r.merge.MergeSHA)}
	if err := store.Put(ctx, uri, data, "application/json", env.KMSKeyARN); err != nil {
		return fmt.Errorf("write evidence record: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
