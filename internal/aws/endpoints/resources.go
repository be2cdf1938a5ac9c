package endpoints

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// ensureModel creates the deployment's model, or adopts the one a crashed
// run of the same deployment created if it deploys the same package with
// the same role.
func (d *Deployer) ensureModel(ctx context.Context, r Request, name string) error {
	m, err := d.SM.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(name)})
	if err == nil {
		var pkg string
		if m.PrimaryContainer != nil {
			pkg = aws.ToString(m.PrimaryContainer.ModelPackageName)
		}
		if pkg != r.PackageARN || aws.ToString(m.ExecutionRoleArn) != r.ExecutionRoleARN || len(m.Containers) > 0 {
			return fmt.Errorf("model %s already exists but deploys %q with role %q, not %s with %s: a deploy ID must not be reused for another deployment",
				name, pkg, aws.ToString(m.ExecutionRoleArn), r.PackageARN, r.ExecutionRoleARN)
		}
		return nil
	}
	if !awserr.IsNotFound(err) {
		return fmt.Errorf("describe model %s: %w", name, err)
	}
	_, err = d.SM.CreateModel(ctx, &sagemaker.CreateModelInput{
		ModelName:        aws.String(name),
		ExecutionRoleArn: aws.String(r.ExecutionRoleARN),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: aws.String(r.PackageARN)},
		Tags:             tags(r),
		VpcConfig:        vpcConfig(r.Settings),
		// Nil rather than false when not asked for: what the request
		// leaves out, a guardrail reads as unset either way.
		EnableNetworkIsolation: networkIsolation(r.Settings),
	})
	if err != nil {
		return fmt.Errorf("create model %s: %w", name, err)
	}
	return nil
}

// ensureConfig creates the deployment's endpoint config, or adopts an
// existing one with the same single production variant.
func (d *Deployer) ensureConfig(ctx context.Context, r Request, name string) error {
	in := ConfigInput(r, name)
	want := in.ProductionVariants[0]
	c, err := d.SM.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
	if err == nil {
		if len(c.ProductionVariants) != 1 || !sameVariant(c.ProductionVariants[0], want) {
			return fmt.Errorf("endpoint config %s already exists with other production variants than %s: a deploy ID must not be reused for another deployment",
				name, describeVariant(want))
		}
		return nil
	}
	if !awserr.IsNotFound(err) {
		return fmt.Errorf("describe endpoint config %s: %w", name, err)
	}
	_, err = d.SM.CreateEndpointConfig(ctx, in)
	if err != nil {
		return fmt.Errorf("create endpoint config %s: %w", name, err)
	}
	return nil
}

// ConfigInput is the endpoint config a deployment of r creates, named name
// and serving the model of the same name: its one production variant, its
// tags (tags), and the environment's volume key, data capture and
// asynchronous output (configSettings). The world package seeds what an
// earlier apply left with it.
func ConfigInput(r Request, name string) *sagemaker.CreateEndpointConfigInput {
	in := &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String(name),
		ProductionVariants: []types.ProductionVariant{productionVariant(r, name)},
		Tags:               tags(r),
	}
	configSettings(in, r)
	return in
}

func sameVariant(got, want types.ProductionVariant) bool {
	return aws.ToString(got.VariantName) == aws.ToString(want.VariantName) &&
		aws.ToString(got.ModelName) == aws.ToString(want.ModelName) &&
		got.InstanceType == want.InstanceType &&
		aws.ToInt32(got.InitialInstanceCount) == aws.ToInt32(want.InitialInstanceCount) &&
		sameServerless(got.ServerlessConfig, want.ServerlessConfig)
}

func describeVariant(v types.ProductionVariant) string {
	return fmt.Sprintf("%s (model %s, %d × %s)", aws.ToString(v.VariantName), aws.ToString(v.ModelName),
		aws.ToInt32(v.InitialInstanceCount), v.InstanceType)
}

// tags are the request's provenance tags plus modelpromote's own, in a
// stable order.
func tags(r Request) []types.Tag {
	all := maps.Clone(r.Settings.Tags) // the provenance tags below win
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, r.Tags)
	all[TagEndpoint] = r.Endpoint.Name
	all[TagDeployID] = r.DeployID
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(all)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	return out
}
