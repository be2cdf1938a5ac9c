package world

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/promotions"
)

// What Deploy sets up besides the model: the endpoint as the example
// manifests configure it, with the settings apply would give it
// (plan.DeployFor), so that what the world seeds is what an earlier apply
// left and `drift` finds nothing to report until someone changes it.

// stageEndpoint is the example manifests' endpoint of a stage of group
// named name, with what apply would create it with; a plain one-instance
// endpoint with the environment's settings when the example has none.
func stageEndpoint(env manifest.Environment, stage, group, name string) *plan.Deploy {
	entries, _ := fs.ReadDir(promotions.Files, ".")
	for _, e := range entries {
		if e.Name() == manifest.ConfigFile {
			continue
		}
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		m, ps := manifest.ParseModel("promotions/"+e.Name(), data)
		if len(ps) > 0 || m.ModelPackageGroup != group {
			continue
		}
		if st, ok := m.Stages[stage]; ok && st.Endpoint.Name == name {
			return plan.DeployFor(env, group, st.Endpoint)
		}
	}
	return plan.DeployFor(env, group, manifest.Endpoint{Name: name, InstanceType: "ml.m5.large", InstanceCount: 1})
}

func tagList(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// endpointConfigInput is the config apply would create for d serving
// model: its variant, volume key, data capture and asynchronous output.
func endpointConfigInput(d *plan.Deploy, name, model string) *sagemaker.CreateEndpointConfigInput {
	ep, s := d.Endpoint, d.Settings
	v := types.ProductionVariant{VariantName: aws.String(ep.Variant()), ModelName: aws.String(model)}
	if sl := ep.Serverless; sl != nil {
		v.ServerlessConfig = &types.ProductionVariantServerlessConfig{MemorySizeInMB: aws.Int32(int32(sl.MemorySizeMB)), MaxConcurrency: aws.Int32(int32(sl.MaxConcurrency))}
		if sl.ProvisionedConcurrency > 0 {
			v.ServerlessConfig.ProvisionedConcurrency = aws.Int32(int32(sl.ProvisionedConcurrency))
		}
	} else {
		v.InstanceType, v.InitialInstanceCount = types.ProductionVariantInstanceType(ep.InstanceType), aws.Int32(int32(ep.InstanceCount))
	}
	in := &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(name), ProductionVariants: []types.ProductionVariant{v}, Tags: tagList(s.Tags)}
	if s.VolumeKMSKeyARN != "" {
		in.KmsKeyId = aws.String(s.VolumeKMSKeyARN)
	}
	if dc := ep.DataCapture; dc != nil && s.DataCaptureURI != "" {
		c := &types.DataCaptureConfig{EnableCapture: aws.Bool(true), InitialSamplingPercentage: aws.Int32(int32(dc.SamplingPercent)),
			DestinationS3Uri: aws.String(s.DataCaptureURI), KmsKeyId: aws.String(s.OutputKMSKeyARN)}
		for _, m := range dc.Capture {
			mode := types.CaptureModeInput
			if m == manifest.CaptureOutput {
				mode = types.CaptureModeOutput
			}
			c.CaptureOptions = append(c.CaptureOptions, types.CaptureOption{CaptureMode: mode})
		}
		in.DataCaptureConfig = c
	}
	if a := ep.Async; a != nil && s.AsyncOutputURI != "" {
		in.AsyncInferenceConfig = &types.AsyncInferenceConfig{OutputConfig: &types.AsyncInferenceOutputConfig{S3OutputPath: aws.String(s.AsyncOutputURI), KmsKeyId: aws.String(s.OutputKMSKeyARN)}}
		if a.MaxConcurrentInvocationsPerInstance > 0 {
			in.AsyncInferenceConfig.ClientConfig = &types.AsyncInferenceClientConfig{MaxConcurrentInvocationsPerInstance: aws.Int32(int32(a.MaxConcurrentInvocationsPerInstance))}
		}
	}
	return in
}

// registerScaling registers d's variant for autoscaling, as apply does
// after a successful rollout.
func (w *World) registerScaling(ctx context.Context, account string, d *plan.Deploy) error {
	a := d.Endpoint.Autoscaling
	if a == nil {
		return nil
	}
	aas := applicationautoscaling.NewFromConfig(w.AdminAWS(account))
	id := aws.String("endpoint/" + d.Endpoint.Name + "/variant/" + d.Endpoint.Variant())
	dim := aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount
	if _, err := aas.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: id, ScalableDimension: dim, MinCapacity: aws.Int32(int32(a.MinInstances)), MaxCapacity: aws.Int32(int32(a.MaxInstances))}); err != nil {
		return fmt.Errorf("register scalable target: %w", err)
	}
	_, err := aas.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: aws.String("modelpromote-" + d.Endpoint.Name + "-" + d.Endpoint.Variant()),
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling, ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: id, ScalableDimension: dim,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(float64(a.TargetInvocationsPerInstance)),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
			ScaleInCooldown:               aws.Int32(int32(a.ScaleInCooldownSeconds)), ScaleOutCooldown: aws.Int32(int32(a.ScaleOutCooldownSeconds))}})
	if err != nil {
		return fmt.Errorf("put scaling policy: %w", err)
	}
	return nil
}
