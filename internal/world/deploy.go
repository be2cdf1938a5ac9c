package world

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Deploy makes version of group live on endpoint in stage, out of band,
// the way an earlier apply would have left it: a package in the target
// registry carrying the source ARN as provenance, a model, an endpoint
// config and the endpoint InService. Scenarios use it to set up what is
// live, and to change an endpoint behind modelpromote's back.
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
	// The package is the copy apply would have registered (registry.
	// CopyInput, every URI at the key apply writes): apply adopts only
	// such a package (issue 12 §6).
	desc, err := sagemaker.NewFromConfig(w.AdminAWS(DevAccount)).DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(src.ModelPackageArn)})
	if err != nil {
		return fmt.Errorf("describe %s: %w", src.ModelPackageArn, err)
	}
	prefix := plan.ArtifactPrefix(group, version)
	in, err := registry.CopyInput(registry.CopyRequest{
		Source: desc, TargetGroup: group, TargetKMSKeyARN: env.KMSKeyARN,
		Rewrite: func(uri string) (string, error) {
			return fmt.Sprintf("s3://%s/%s", env.ArtifactBucket, plan.TargetKey(prefix, uri)), nil
		},
		Provenance:  map[string]string{plan.ProvenanceSourceARN: src.ModelPackageArn, plan.ProvenanceSourceAccount: DevAccount},
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
	suffix := fmt.Sprintf("v%d-%d", version, time.Now().UnixNano()%1_000_000_000)
	model := fmt.Sprintf("%s-%s", endpoint, suffix)
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String(model), ExecutionRoleArn: aws.String(env.ExecutionRoleARN),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: pkg.ModelPackageArn},
		VpcConfig:        vpcOf(env), EnableNetworkIsolation: aws.Bool(env.NetworkIsolation), Tags: tagsOf(env)}); err != nil {
		return fmt.Errorf("create model: %w", err)
	}
	if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(model),
		ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(model),
			InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}},
		KmsKeyId: aws.String(env.KMSKeyARN), Tags: tagsOf(env)}); err != nil {
		return fmt.Errorf("create endpoint config: %w", err)
	}
	_, err = sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	switch {
	case awserr.IsNotFound(err):
		_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(model), Tags: tagsOf(env)})
	case err == nil:
		_, err = sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(model)})
	}
	if err != nil {
		return fmt.Errorf("deploy endpoint %s: %w", endpoint, err)
	}
	return poll(ctx, func() (bool, error) {
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
		return err == nil && out.EndpointStatus == types.EndpointStatusInService && aws.ToString(out.EndpointConfigName) == model, err
	})
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
