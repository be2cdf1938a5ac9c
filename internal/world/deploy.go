package world

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/promotions"
)

// Deploy makes version of group live on endpoint in stage, out of band,
// the way an earlier apply would have left it: every object the source
// package names copied into the stage's bucket (under its KMS key, at the
// keys apply writes), a package in the target registry carrying the source
// ARN as provenance, a model, an endpoint config, the endpoint InService,
// and the evidence record apply would have written (DeployedRecord), so
// that a later stage's chain of custody and regression baseline can read
// it. Scenarios use it to set up what is live, and to change an endpoint
// behind modelpromote's back. Into a registry-only stage (endpoint ""), it
// registers the copy, copies the objects and writes the record, and
// deploys nothing, as apply does there.
func (w *World) Deploy(ctx context.Context, stage, group string, version int, endpoint string) error {
	env, ok := w.Config.Environment(stage)
	if !ok {
		return fmt.Errorf("no stage %s", stage)
	}
	lin, ok := w.Models[group][version]
	if !ok {
		return fmt.Errorf("%s version %d was not seeded", group, version)
	}
	d := stageEndpoint(env, stage, group, endpoint)
	sm := sagemaker.NewFromConfig(w.AdminAWS(env.Account))
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group), Tags: tagList(d.Settings.Tags)}); err != nil && !isAlreadyExists(err) {
		return fmt.Errorf("create group: %w", err)
	}
	src := lin.Package
	// The package is the copy apply would have registered (registry.
	// CopyInput, every URI at the key apply writes): apply adopts only
	// such a package (issue 12 §6). A stage sourced from a registry-only
	// stage takes that stage's copy, which Deploy must have registered
	// there first, as apply does.
	from, fromAccount := src.ModelPackageArn, DevAccount
	var via *plan.RecordPackage
	if central, ok := w.Config.Upstream(env); ok {
		cp, err := w.centralCopy(central, src.ModelPackageArn)
		if err != nil {
			return err
		}
		from, fromAccount = cp, central.Account
		via = &plan.RecordPackage{Account: central.Account, Region: central.Region, Group: group, Version: versionOf(cp), PackageARN: cp}
	}
	desc, err := sagemaker.NewFromConfig(w.AdminAWS(fromAccount)).DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(from)})
	if err != nil {
		return fmt.Errorf("describe %s: %w", from, err)
	}
	provenance := map[string]string{plan.ProvenanceSourceARN: src.ModelPackageArn, plan.ProvenanceSourceAccount: DevAccount}
	if via != nil {
		provenance[plan.ProvenanceVia] = via.PackageARN
	}
	prefix := plan.ArtifactPrefix(group, version)
	in, err := registry.CopyInput(registry.CopyRequest{
		Source: desc, TargetGroup: group, TargetKMSKeyARN: env.KMSKeyARN,
		Rewrite: func(uri string) (string, error) {
			return fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, plan.TargetKey(prefix, uri)), nil
		},
		Provenance:  provenance,
		ClientToken: registry.ClientToken(src.ModelPackageArn, group),
	})
	if err != nil {
		return err
	}
	in.ModelApprovalStatus = types.ModelApprovalStatusApproved
	pkg, err := sm.CreateModelPackage(ctx, in)
	if err != nil {
		return fmt.Errorf("create package: %w", err)
	}
	if err := poll(ctx, func() (bool, error) {
		out, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: pkg.ModelPackageArn})
		return err == nil && out.ModelPackageStatus == types.ModelPackageStatusCompleted, err
	}); err != nil {
		return err
	}
	if env.RegistryOnly {
		copies, err := w.copyArtifacts(ctx, env, fromAccount, from, group, version)
		if err != nil {
			return err
		}
		now := w.Now().UTC()
		_, err = w.WriteRecord(ctx, stage, &plan.Record{SchemaVersion: plan.RecordSchemaVersion, Model: modelOf(group), Stage: stage, ToVersion: version,
			PullRequest: plan.RecordPR{Repo: Repo, MergeSHA: DeployedMergeSHA(stage, group, version, endpoint)},
			Source:      plan.RecordPackage{Account: DevAccount, Region: Region, Group: group, Version: version, PackageARN: src.ModelPackageArn},
			Target:      plan.RecordPackage{Account: env.Account, Region: env.Region, Group: group, Version: versionOf(aws.ToString(pkg.ModelPackageArn)), PackageARN: aws.ToString(pkg.ModelPackageArn)},
			Artifacts:   copies, RegistryOnly: true, Endpoint: plan.RecordEndpoint{Account: env.Account, Region: env.Region},
			StartedAt: now, FinishedAt: now, Outcome: "success"})
		return err
	}
	suffix := fmt.Sprintf("v%d-%d", version, time.Now().UnixNano()%1_000_000_000)
	model := fmt.Sprintf("%s-%s", endpoint, suffix)
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String(model), ExecutionRoleArn: aws.String(env.ExecutionRoleARN),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: pkg.ModelPackageArn},
		VpcConfig:        vpcOf(env), EnableNetworkIsolation: aws.Bool(env.NetworkIsolation), Tags: tagList(d.Settings.Tags)}); err != nil {
		return fmt.Errorf("create model: %w", err)
	}
	if _, err := sm.CreateEndpointConfig(ctx, endpointConfigInput(d, model)); err != nil {
		return fmt.Errorf("create endpoint config: %w", err)
	}
	_, err = sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	switch {
	case awserr.IsNotFound(err):
		_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(model), Tags: tagList(d.Settings.Tags)})
	case err == nil:
		_, err = sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(model)})
	}
	if err != nil {
		return fmt.Errorf("deploy endpoint %s: %w", endpoint, err)
	}
	if err := poll(ctx, func() (bool, error) {
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
		return err == nil && out.EndpointStatus == types.EndpointStatusInService && aws.ToString(out.EndpointConfigName) == model, err
	}); err != nil {
		return err
	}
	if err := w.registerScaling(ctx, env.Account, d); err != nil {
		return err
	}
	copies, err := w.copyArtifacts(ctx, env, fromAccount, from, group, version)
	if err != nil {
		return err
	}
	now := w.Now().UTC()
	rec := &plan.Record{SchemaVersion: plan.RecordSchemaVersion, Model: modelOf(group), Stage: stage, ToVersion: version,
		PullRequest: plan.RecordPR{Repo: Repo, MergeSHA: DeployedMergeSHA(stage, group, version, endpoint)},
		Source:      plan.RecordPackage{Account: DevAccount, Region: Region, Group: group, Version: version, PackageARN: src.ModelPackageArn},
		Target:      plan.RecordPackage{Account: env.Account, Region: env.Region, Group: group, Version: versionOf(aws.ToString(pkg.ModelPackageArn)), PackageARN: aws.ToString(pkg.ModelPackageArn)},
		Via:         via,
		Artifacts:   copies,
		Endpoint: plan.RecordEndpoint{Name: endpoint, Account: env.Account, Region: env.Region, ConfigAfter: model, Model: model, Status: string(types.EndpointStatusInService),
			InstanceType: d.Endpoint.InstanceType, InstanceCount: d.Endpoint.InstanceCount, ProductionVariant: d.Endpoint.Variant()},
		StartedAt: now, FinishedAt: now, Outcome: "success"}
	_, err = w.WriteRecord(ctx, stage, rec)
	return err
}

// DeployedMergeSHA is the merge commit Deploy's evidence record names: no
// merge made it, so it is a digest of what was deployed where.
func DeployedMergeSHA(stage, group string, version int, endpoint string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("world.Deploy %s %s %d %s", stage, group, version, endpoint)))
	return hex.EncodeToString(sum[:])
}

// DeployedRecord is the URI of the evidence record Deploy wrote.
func (w *World) DeployedRecord(stage, group string, version int, endpoint string) string {
	env, _ := w.Config.Environment(stage)
	return fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, plan.EvidenceKey(group, version, DeployedMergeSHA(stage, group, version, endpoint)))
}

// copyArtifacts copies every object the package from (in account) names
// into env's bucket, where apply copies the objects of version of group
// (plan.CopyObjects), under env's key, and returns what the evidence record
// lists of each.
func (w *World) copyArtifacts(ctx context.Context, env manifest.Environment, account, from, group string, version int) ([]plan.RecordArtifact, error) {
	fromGroup, fromVersion, _ := plan.PackageGroupVersion(from)
	pkg, err := registry.New(w.AdminAWS(account), account).ModelPackage(ctx, fromGroup, fromVersion)
	if err != nil {
		return nil, err
	}
	target := artifacts.New(w.AdminAWS(env.Account), env.Account, true)
	var out []plan.RecordArtifact
	for _, c := range plan.CopyObjects(pkg, env.ArtifactBucket, plan.ArtifactPrefix(group, version)) {
		src, err := artifacts.ParseURI(c.Source)
		if err != nil {
			return nil, err
		}
		obj, ok := w.AWS.S3().Object(src.Bucket, src.Key)
		if !ok {
			continue // a reference to nothing: apply would refuse it; the record lists what exists
		}
		if obj.Size > maxDeployCopy {
			return nil, fmt.Errorf("%s is %d bytes: Deploy copies at most %d", c.Source, obj.Size, maxDeployCopy)
		}
		rc, err := w.AWS.S3().Open(src.Bucket, src.Key)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		dst, err := artifacts.ParseURI(c.Target)
		if err != nil {
			return nil, err
		}
		if err := target.Put(ctx, dst, data, obj.ContentType, env.KMSKeyARN); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out = append(out, plan.RecordArtifact{Source: c.Source, SourceETag: obj.ETag, Target: c.Target, SHA256: hex.EncodeToString(sum[:]), Size: obj.Size, Path: "streamed"})
	}
	return out, nil
}

// modelOf is the name of the example model whose package group is group
// (the group itself when none is).
func modelOf(group string) string {
	entries, _ := fs.ReadDir(promotions.Files, ".")
	for _, e := range entries {
		if e.Name() == manifest.ConfigFile || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		if m, ps := manifest.ParseModel("promotions/"+e.Name(), data); len(ps) == 0 && m.ModelPackageGroup == group {
			return m.Name
		}
	}
	return group
}

// maxDeployCopy bounds an object Deploy copies through memory.
const maxDeployCopy = 256 << 20

func versionOf(packageARN string) int {
	_, v, _ := plan.PackageGroupVersion(packageARN)
	return v
}

func isAlreadyExists(err error) bool {
	return awserr.Code(err) == "ResourceInUse" || awserr.Code(err) == "ValidationException" && strings.Contains(err.Error(), "already exist")
}

func poll(ctx context.Context, done func() (bool, error)) error {
	for {
		ok, err := done()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// WriteRecord writes rec into stage's artifact bucket as apply's record
// step does: at the key apply writes (plan.EvidenceKey of its source group,
// version and merge commit), SSE-KMS under the stage's key, which only the
// deploy role may encrypt with. It returns the record's URI.
func (w *World) WriteRecord(ctx context.Context, stage string, rec *plan.Record) (string, error) {
	env, ok := w.Config.Environment(stage)
	if !ok {
		return "", fmt.Errorf("no stage %s", stage)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", err
	}
	uri := artifacts.URI{Bucket: env.ArtifactBucket, Key: plan.EvidenceKey(rec.Source.Group, rec.ToVersion, rec.PullRequest.MergeSHA)}
	if err := artifacts.New(w.AdminAWS(env.Account), env.Account, true).Put(ctx, uri, data, "application/json", env.KMSKeyARN); err != nil {
		return "", err
	}
	return uri.String(), nil
}

// centralCopy is the ARN of the package a registry-only stage holds of the
// dev package source: the one whose provenance names it.
func (w *World) centralCopy(central manifest.Environment, source string) (string, error) {
	for _, p := range w.SageMaker.Snapshot(central.Account, central.Region).ModelPackages {
		if p.CustomerMetadataProperties[plan.ProvenanceSourceARN] == source {
			return p.ModelPackageArn, nil
		}
	}
	return "", fmt.Errorf("%s holds no copy of %s: Deploy it there first", central.Name, source)
}
