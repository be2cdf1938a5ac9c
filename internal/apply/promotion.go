package apply

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

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
		SHA: r.merge.MergeSHA, Environment: pr.Stage + "/" + pr.Model, Task: "deploy:modelpromote",
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
	desc, err := r.source.Describe(ctx, pr.ModelPackageGroup, pr.ToVersion)
	if err != nil {
		return err
	}
	rec.Source.PackageARN = aws.ToString(desc.ModelPackageArn)
	objects, err := sourceObjects(desc)
	if err != nil {
		return err
	}
	prefix := plan.ArtifactPrefix(pr.ModelPackageGroup, pr.ToVersion)
	mapping := map[string]string{}
	for _, obj := range objects {
		mapping[obj.uri] = fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, TargetKey(prefix, obj.uri))
	}
	copies, err := r.copyAll(ctx, r.copier(env, tcfg), objects, mapping)
	rec.Artifacts = copies
	if err != nil {
		return err
	}

	if err := r.step(pr, plan.ActionRegisterPackage); err != nil {
		return err
	}
	forbidden := []string{r.plan.Config.Source.Account}
	for uri := range mapping {
		if u, err := artifacts.ParseURI(uri); err == nil {
			forbidden = append(forbidden, "s3://"+u.Bucket+"/")
		}
	}
	if sc := desc.SecurityConfig; sc != nil && aws.ToString(sc.KmsKeyId) != "" {
		forbidden = append(forbidden, aws.ToString(sc.KmsKeyId))
	}
	treg := registry.New(tcfg, env.Account)
	reg, err := treg.Register(ctx, registry.CopyRequest{
		Source:          desc,
		TargetGroup:     pr.ModelPackageGroup,
		TargetKMSKeyARN: env.KMSKeyARN,
		Rewrite: func(uri string) (string, error) {
			if t, ok := mapping[uri]; ok {
				return t, nil
			}
			return "", fmt.Errorf("%s was not copied to the target account", uri)
		},
		Provenance: map[string]string{
			plan.ProvenanceSourceARN:     aws.ToString(desc.ModelPackageArn),
			plan.ProvenanceSourceAccount: r.plan.Config.Source.Account,
			plan.ProvenancePullRequest:   r.merge.URL,
			plan.ProvenanceMergeSHA:      r.merge.MergeSHA,
			plan.ProvenanceApprovers:     truncate(strings.Join(r.approvers, " "), 256),
			plan.ProvenanceEvidence:      fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, RecordKey(pr.ModelPackageGroup, pr.ToVersion, r.merge.MergeSHA)),
		},
		ClientToken: registry.ClientToken(aws.ToString(desc.ModelPackageArn), pr.ModelPackageGroup),
		Forbidden:   forbidden,
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
	d := &endpoints.Deployer{
		SM:             sagemaker.NewFromConfig(tcfg),
		CW:             cloudwatch.NewFromConfig(tcfg),
		Poll:           r.env.Poll,
		Timeout:        r.env.EndpointTimeout,
		RecreateFailed: r.env.RecreateFailed,
		Progress: func(s endpoints.Status) {
			state := s.EndpointStatus
			if state == "" {
				state = "absent"
			}
			r.progress("%s/%s: endpoint %s %s (config %s)", pr.Model, pr.Stage, pr.To.Name, state, orDefault(s.Config, "none"))
		},
	}
	out, err := d.Deploy(ctx, endpoints.Request{
		Endpoint:         pr.To,
		PackageARN:       reg.ARN,
		ExecutionRoleARN: env.ExecutionRoleARN,
		DeployID:         fmt.Sprintf("v%d-%s", pr.ToVersion, short(r.merge.MergeSHA)),
		Tags: map[string]string{
			plan.ProvenanceSourceARN: aws.ToString(desc.ModelPackageArn),
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

// object is one S3 object a source package refers to.
type object struct {
	uri string
	// sha256 is the hex digest the object must have ("" when unknown).
	sha256 string
}

// sourceObjects lists every S3 object a package description refers to,
// once each, with the ContentDigest of those that record one.
func sourceObjects(d *sagemaker.DescribeModelPackageOutput) ([]object, error) {
	seen := map[string]int{}
	var out []object
	var errs []string
	add := func(uri *string, digest *string) {
		u := aws.ToString(uri)
		if u == "" {
			return
		}
		want := ""
		if dg := aws.ToString(digest); dg != "" {
			hexDigest, ok := strings.CutPrefix(dg, "sha256:")
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: ContentDigest %q is not sha256:<hex>", u, dg))
			}
			want = strings.ToLower(hexDigest)
		}
		if i, ok := seen[u]; ok {
			if out[i].sha256 == "" {
				out[i].sha256 = want
			}
			return
		}
		if _, err := artifacts.ParseURI(u); err != nil {
			errs = append(errs, err.Error())
			return
		}
		seen[u] = len(out)
		out = append(out, object{uri: u, sha256: want})
	}
	containers := func(cs []smtypes.ModelPackageContainerDefinition) {
		for _, c := range cs {
			add(c.ModelDataUrl, nil)
			if c.ModelDataSource != nil && c.ModelDataSource.S3DataSource != nil {
				add(c.ModelDataSource.S3DataSource.S3Uri, nil)
			}
			if c.AdditionalS3DataSource != nil {
				add(c.AdditionalS3DataSource.S3Uri, nil)
			}
		}
	}
	if d.InferenceSpecification != nil {
		containers(d.InferenceSpecification.Containers)
	}
	for _, a := range d.AdditionalInferenceSpecifications {
		containers(a.Containers)
	}
	src := func(m *smtypes.MetricsSource) {
		if m != nil {
			add(m.S3Uri, m.ContentDigest)
		}
	}
	file := func(f *smtypes.FileSource) {
		if f != nil {
			add(f.S3Uri, f.ContentDigest)
		}
	}
	if m := d.ModelMetrics; m != nil {
		if m.ModelQuality != nil {
			src(m.ModelQuality.Statistics)
			src(m.ModelQuality.Constraints)
		}
		if m.ModelDataQuality != nil {
			src(m.ModelDataQuality.Statistics)
			src(m.ModelDataQuality.Constraints)
		}
		if m.Bias != nil {
			src(m.Bias.Report)
			src(m.Bias.PreTrainingReport)
			src(m.Bias.PostTrainingReport)
		}
		if m.Explainability != nil {
			src(m.Explainability.Report)
		}
	}
	if b := d.DriftCheckBaselines; b != nil {
		if b.Bias != nil {
			file(b.Bias.ConfigFile)
			src(b.Bias.PreTrainingConstraints)
			src(b.Bias.PostTrainingConstraints)
		}
		if b.Explainability != nil {
			file(b.Explainability.ConfigFile)
			src(b.Explainability.Constraints)
		}
		if b.ModelQuality != nil {
			src(b.ModelQuality.Statistics)
			src(b.ModelQuality.Constraints)
		}
		if b.ModelDataQuality != nil {
			src(b.ModelDataQuality.Statistics)
			src(b.ModelDataQuality.Constraints)
		}
	}
	add(d.SamplePayloadUrl, nil)
	if len(errs) > 0 {
		return nil, fmt.Errorf("the source package refers to objects that cannot be copied safely: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// TargetKey is where a source object is copied to under a promotion's
// prefix: deterministic, flat, and free of anything the source key could
// use to climb out of the prefix.
func TargetKey(prefix, sourceURI string) string {
	sum := sha256.Sum256([]byte(sourceURI))
	return prefix + "objects/" + hex.EncodeToString(sum[:8]) + "/" + path.Base(sourceURI)
}

func (r *runner) copyAll(ctx context.Context, c *artifacts.Copier, objects []object, mapping map[string]string) ([]RecordArtifact, error) {
	out := make([]RecordArtifact, len(objects))
	errs := make([]error, len(objects))
	sem := make(chan struct{}, copyConcurrency)
	var wg sync.WaitGroup
	for i, obj := range objects {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			src, _ := artifacts.ParseURI(obj.uri)
			dst, err := artifacts.ParseURI(mapping[obj.uri])
			if err != nil {
				errs[i] = err
				return
			}
			res, err := c.Copy(ctx, src, dst, obj.sha256)
			out[i] = RecordArtifact{Source: obj.uri, Target: mapping[obj.uri], SHA256: res.SHA256, Size: res.Size, Path: res.Path}
			if err != nil {
				errs[i] = fmt.Errorf("copy %s: %w", obj.uri, err)
				return
			}
			r.progress("copied %s (%d bytes, %s)", obj.uri, res.Size, res.Path)
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
	client := artifacts.Client(r.accts.Environment(env), r.env.S3PathStyle)
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(env.ArtifactBucket),
		Key:                  aws.String(RecordKey(pr.ModelPackageGroup, pr.ToVersion, r.merge.MergeSHA)),
		Body:                 bytes.NewReader(data),
		ContentType:          aws.String("application/json"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId:          aws.String(env.KMSKeyARN),
		ExpectedBucketOwner:  aws.String(env.Account),
		ChecksumAlgorithm:    s3types.ChecksumAlgorithmSha256,
	})
	if err != nil {
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
