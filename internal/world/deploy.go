package world

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Deploy makes version of group live on endpoint in stage, out of band,
// the way an earlier apply would have left it: a package in the target
// registry carrying the source ARN as provenance, a model, an endpoint
// config, the endpoint InService, and a successful evidence record in the
// stage's artifact bucket (what a later rollback is told by). Scenarios use
// it to set up what is live, and to change an endpoint behind
// modelpromote's back.
func (w *World) Deploy(ctx context.Context, stage, group string, version int, endpoint string) error {
	env, ok := w.Config.Environment(stage)
	if !ok {
		return fmt.Errorf("no stage %s", stage)
	}
	lin, ok := w.Models[group][version]
	if !ok {
		return fmt.Errorf("%s version %d was not seeded", group, version)
	}
	sm := sagemaker.NewFromConfig(w.AdminAWS(env.Account))
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)}); err != nil && !isAlreadyExists(err) {
		return fmt.Errorf("create group: %w", err)
	}
	src := lin.Package
	pkg, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		InferenceSpecification: &types.InferenceSpecification{
			Containers: []types.ModelPackageContainerDefinition{{
				Image:        aws.String(src.InferenceSpecification.Containers[0].Image),
				ModelDataUrl: aws.String(fmt.Sprintf("s3://%s/%s/%d/model.tar.gz", env.ArtifactBucket, group, version)),
			}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
		CustomerMetadataProperties: map[string]string{plan.ProvenanceSourceARN: src.ModelPackageArn, plan.ProvenanceSourceAccount: DevAccount},
	})
	if err != nil {
		return fmt.Errorf("create package: %w", err)
	}
	if err := poll(ctx, func() (bool, error) {
		out, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: pkg.ModelPackageArn})
		return err == nil && out.ModelPackageStatus == types.ModelPackageStatusCompleted, err
	}); err != nil {
		return err
	}
	suffix := fmt.Sprintf("v%d-%d", version, time.Now().UnixNano()%1_000_000_000)
	model := fmt.Sprintf("%s-%s", endpoint, suffix)
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String(model), ExecutionRoleArn: aws.String(env.ExecutionRoleARN),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: pkg.ModelPackageArn}}); err != nil {
		return fmt.Errorf("create model: %w", err)
	}
	if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(model),
		ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(model),
			InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}}); err != nil {
		return fmt.Errorf("create endpoint config: %w", err)
	}
	_, err = sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	switch {
	case awserr.IsNotFound(err):
		_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(model)})
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
	return w.writeRecord(env, group, version, src.ModelPackageArn, aws.ToString(pkg.ModelPackageArn), endpoint, model)
}

// writeRecord leaves the evidence record of an out-of-band deployment, as
// apply writes it; its merge is a stand-in named after the deployment.
func (w *World) writeRecord(env manifest.Environment, group string, version int, sourceARN, targetARN, endpoint, config string) error {
	sum := sha1.Sum([]byte("world.Deploy " + env.Name + "/" + endpoint + "/" + config))
	merge := hex.EncodeToString(sum[:])
	now := time.Now().UTC()
	rec := apply.Record{SchemaVersion: apply.RecordSchemaVersion, Model: group, Stage: env.Name, ToVersion: version,
		PullRequest: apply.RecordPR{Repo: Repo, MergeSHA: merge},
		Source:      apply.RecordPackage{Account: DevAccount, Region: Region, Group: group, Version: version, PackageARN: sourceARN},
		Target:      apply.RecordPackage{Account: env.Account, Region: env.Region, Group: group, PackageARN: targetARN},
		Endpoint:    apply.RecordEndpoint{Name: endpoint, Account: env.Account, Region: env.Region, ConfigAfter: config, Status: "InService"},
		StartedAt:   now, FinishedAt: now, Outcome: apply.StateSuccess}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return w.AWS.S3().PutObject(env.ArtifactBucket, apply.RecordKey(group, version, merge), data)
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
