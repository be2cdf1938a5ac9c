package endpoints

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Autoscaling of a production variant with Application Auto Scaling
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-register.html):
// a scalable target on sagemaker:variant:DesiredInstanceCount and a target
// tracking policy on SageMakerVariantInvocationsPerInstance. SageMaker
// refuses to change the instance type of a registered variant
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html):
// the registration is taken down first and put back after the update.

const scalingDimension = aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount

func scalingResource(endpoint, variant string) string {
	return "endpoint/" + endpoint + "/variant/" + variant
}

// ScalingPolicyName is the target tracking policy apply puts on a variant.
func ScalingPolicyName(endpoint, variant string) string {
	return "modelpromote-" + endpoint + "-" + variant
}

// registration is a variant's scalable target and its policies, as read,
// to take down and put back.
type registration struct {
	target   aastypes.ScalableTarget
	policies []aastypes.ScalingPolicy
}

// registration reads the variant's registration; nil when there is none.
func (d *Deployer) registration(ctx context.Context, endpoint, variant string) (*registration, error) {
	id := scalingResource(endpoint, variant)
	ts, err := d.AAS.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{id}, ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	if len(ts.ScalableTargets) == 0 {
		return nil, nil
	}
	ps, err := d.AAS.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scaling policies of %s: %w", id, err)
	}
	return &registration{target: ts.ScalableTargets[0], policies: ps.ScalingPolicies}, nil
}

// deregister deletes the registration's policies and its scalable target.
// What is already gone counts as done (a rerun after a crash).
func (d *Deployer) deregister(ctx context.Context, reg *registration) error {
	id := aws.ToString(reg.target.ResourceId)
	for _, p := range reg.policies {
		_, err := d.AAS.DeleteScalingPolicy(ctx, &applicationautoscaling.DeleteScalingPolicyInput{PolicyName: p.PolicyName,
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
		if err != nil && !objectNotFound(err) {
			return fmt.Errorf("delete scaling policy %s of %s: %w", aws.ToString(p.PolicyName), id, err)
		}
	}
	_, err := d.AAS.DeregisterScalableTarget(ctx, &applicationautoscaling.DeregisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
	if err != nil && !objectNotFound(err) {
		return fmt.Errorf("deregister scalable target %s: %w", id, err)
	}
	return nil
}

// restore puts a registration back as it was read.
func (d *Deployer) restore(ctx context.Context, reg *registration) error {
	id := aws.ToString(reg.target.ResourceId)
	if _, err := d.AAS.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
		MinCapacity: reg.target.MinCapacity, MaxCapacity: reg.target.MaxCapacity}); err != nil {
		return fmt.Errorf("register scalable target %s again: %w", id, err)
	}
	for _, p := range reg.policies {
		if _, err := d.AAS.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: p.PolicyName, PolicyType: p.PolicyType,
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
			TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration,
			StepScalingPolicyConfiguration:           p.StepScalingPolicyConfiguration}); err != nil {
			return fmt.Errorf("put scaling policy %s of %s again: %w", aws.ToString(p.PolicyName), id, err)
		}
	}
	return nil
}

// register registers the variant with the manifest's autoscaling. Both
// calls replace what is there, so a rerun converges.
func (d *Deployer) register(ctx context.Context, endpoint, variant string, a manifest.Autoscaling) error {
	id := scalingResource(endpoint, variant)
	if _, err := d.AAS.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
		MinCapacity: aws.Int32(int32(a.MinInstances)), MaxCapacity: aws.Int32(int32(a.MaxInstances))}); err != nil {
		return fmt.Errorf("register scalable target %s: %w", id, err)
	}
	tt := &aastypes.TargetTrackingScalingPolicyConfiguration{
		TargetValue:                   aws.Float64(float64(a.TargetInvocationsPerInstance)),
		PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
		ScaleInCooldown:               aws.Int32(int32(a.ScaleInCooldownSeconds)),
		ScaleOutCooldown:              aws.Int32(int32(a.ScaleOutCooldownSeconds)),
	}
	if _, err := d.AAS.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: aws.String(ScalingPolicyName(endpoint, variant)),
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling, ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id),
		ScalableDimension: scalingDimension, TargetTrackingScalingPolicyConfiguration: tt}); err != nil {
		return fmt.Errorf("put scaling policy on %s: %w", id, err)
	}
	return nil
}

func objectNotFound(err error) bool {
	var nf *aastypes.ObjectNotFoundException
	return errors.As(err, &nf)
}

// suspendForTypeChange takes down the variant's registration when the
// update changes its instance type from serving's (the variant of the
// config the endpoint serves), which SageMaker refuses on a registered
// variant. It keeps what it took down, to put back if the rollout fails.
func (x *deployment) suspendForTypeChange(ctx context.Context, serving *types.ProductionVariant) error {
	if x.AAS == nil || x.suspended != nil || x.r.Endpoint.IsServerless() || serving == nil || string(serving.InstanceType) == x.r.Endpoint.InstanceType {
		return nil
	}
	reg, err := x.registration(ctx, x.r.Endpoint.Name, x.r.Endpoint.Variant())
	if err != nil || reg == nil {
		return err
	}
	if err := x.deregister(ctx, reg); err != nil {
		return err
	}
	x.suspended = reg
	return nil
}

// settleScaling runs after the rollout: on success the manifest's
// autoscaling is registered; on failure a registration taken down for the
// update is put back, the old fleet serving with its scaling restored.
func (x *deployment) settleScaling(ctx context.Context, rollout error) error {
	if x.AAS == nil {
		if x.r.Endpoint.Autoscaling != nil {
			return errors.Join(rollout, fmt.Errorf("endpoint %s asks for autoscaling, but the deployer has no Application Auto Scaling client", x.r.Endpoint.Name))
		}
		return rollout
	}
	if rollout != nil {
		if x.suspended != nil {
			if err := x.restore(ctx, x.suspended); err != nil {
				return errors.Join(rollout, err)
			}
		}
		return rollout
	}
	if a := x.r.Endpoint.Autoscaling; a != nil {
		return x.register(ctx, x.r.Endpoint.Name, x.r.Endpoint.Variant(), *a)
	}
	return nil
}
