package endpoints

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// How an update sizes the new fleet. A model-only update (same variant,
// instance type and instanceCount as the config serving) keeps the capacity
// the variant runs at, which Application Auto Scaling (or a person, with
// UpdateEndpointWeightsAndCapacities) may have changed since: UpdateEndpoint
// with RetainAllVariantProperties starts the new fleet at the running
// desired count, read by SageMaker when it takes the update, so a scaling
// activity just before cannot be lost
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html#sagemaker-UpdateEndpoint-request-RetainAllVariantProperties).
// Anything else (a new instance type or instanceCount, serverless) starts
// at what the manifest says. Data capture is never retained (SageMaker does
// not support it), so the new config's applies.

// Sizing is how a deployment sized the new fleet.
type Sizing struct {
	// Kept is true when the new fleet started at the running count
	// (RetainAllVariantProperties); Instances is then that count.
	Kept      bool
	Instances int
	// Note says why, in words, when the running count differs from
	// instanceCount; "" otherwise.
	Note string
}

// sizing decides whether an update of serving (the variant of the config
// the endpoint serves) to e keeps the running desired count. running is
// the variant as DescribeEndpoint shows it; nil when unknown.
func sizing(e manifest.Endpoint, serving *types.ProductionVariant, running *types.ProductionVariantSummary) Sizing {
	if e.IsServerless() || serving == nil || serving.ServerlessConfig != nil || running == nil || running.DesiredInstanceCount == nil {
		return Sizing{}
	}
	desired := int(aws.ToInt32(running.DesiredInstanceCount))
	if desired == e.InstanceCount {
		// Nothing to keep; retaining is harmless and closes the race with
		// a scaling activity between our look and the update.
		return Sizing{Kept: string(serving.InstanceType) == e.InstanceType && int(aws.ToInt32(serving.InitialInstanceCount)) == e.InstanceCount, Instances: desired}
	}
	switch {
	case string(serving.InstanceType) != e.InstanceType:
		return Sizing{Note: fmt.Sprintf("the instance type changes from %s to %s: the new fleet starts at instanceCount %d, not the %d instances running",
			serving.InstanceType, e.InstanceType, e.InstanceCount, desired)}
	case int(aws.ToInt32(serving.InitialInstanceCount)) != e.InstanceCount:
		return Sizing{Note: fmt.Sprintf("instanceCount changes from %d to %d: the new fleet starts at %d, not the %d instances running",
			aws.ToInt32(serving.InitialInstanceCount), e.InstanceCount, e.InstanceCount, desired)}
	}
	if why := shiftFits(e.Rollout, desired); why != "" {
		return Sizing{Note: fmt.Sprintf("the %d instances running cannot take this rollout (%s): the new fleet starts at instanceCount %d", desired, why, e.InstanceCount)}
	}
	return Sizing{Kept: true, Instances: desired,
		Note: fmt.Sprintf("kept the %d instances running (instanceCount %d): autoscaling or a person resized the variant", desired, e.InstanceCount)}
}

// shiftFits says why a rollout's canary or linear step does not fit a
// fleet of n instances, as SageMaker sizes them: a canary at most half the
// fleet, a linear step 10–50% of it
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html);
// "" when it fits. The manifest checks the same against instanceCount.
func shiftFits(r manifest.Rollout, n int) string {
	switch r.StrategyName() {
	case manifest.StrategyCanary:
		size := r.CanaryInstances
		if r.CanaryPercent > 0 {
			size = (r.CanaryPercent*n + 99) / 100
		}
		if 2*size > n {
			return fmt.Sprintf("a canary of %d instance(s) is more than half of %d", size, n)
		}
	case manifest.StrategyLinear:
		if k := r.LinearStepInstances; k > 0 && (10*k < n || 2*k > n) {
			return fmt.Sprintf("a linear step of %d instance(s) is not 10–50%% of %d", k, n)
		}
	}
	return ""
}

// servingVariant reads the deployment's variant in the config the endpoint
// serves, once per config: nil when that config or variant is gone.
func (x *deployment) servingVariant(ctx context.Context, config string) (*types.ProductionVariant, error) {
	if v, ok := x.serving[config]; ok {
		return v, nil
	}
	cfg, err := x.SM.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(config)})
	if err != nil && !awserr.IsNotFound(err) {
		return nil, fmt.Errorf("describe endpoint config %s: %w", config, err)
	}
	var out *types.ProductionVariant
	if err == nil {
		for i, v := range cfg.ProductionVariants {
			if strings.EqualFold(aws.ToString(v.VariantName), x.r.Endpoint.Variant()) {
				out = &cfg.ProductionVariants[i]
			}
		}
	}
	if x.serving == nil {
		x.serving = map[string]*types.ProductionVariant{}
	}
	x.serving[config] = out
	return out, nil
}

// runningVariant is the named variant as DescribeEndpoint shows it running.
func runningVariant(ep *sagemaker.DescribeEndpointOutput, variant string) *types.ProductionVariantSummary {
	for i, v := range ep.ProductionVariants {
		if strings.EqualFold(aws.ToString(v.VariantName), variant) {
			return &ep.ProductionVariants[i]
		}
	}
	return nil
}
