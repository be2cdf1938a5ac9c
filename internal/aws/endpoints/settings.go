package endpoints

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// What locked-down accounts demand of the resources a deployment creates,
// and the endpoint kinds beyond one instance-based variant
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html).

func vpcConfig(s manifest.DeploySettings) *types.VpcConfig {
	if s.VPC == nil {
		return nil
	}
	return &types.VpcConfig{Subnets: s.VPC.Subnets, SecurityGroupIds: s.VPC.SecurityGroups}
}

func networkIsolation(s manifest.DeploySettings) *bool {
	if !s.NetworkIsolation {
		return nil
	}
	return aws.Bool(true)
}

// productionVariant is the deployment's one variant: instances, or a
// serverless configuration.
func productionVariant(r Request, model string) types.ProductionVariant {
	v := types.ProductionVariant{VariantName: aws.String(r.Endpoint.Variant()), ModelName: aws.String(model)}
	if s := r.Endpoint.Serverless; s != nil {
		v.ServerlessConfig = &types.ProductionVariantServerlessConfig{
			MemorySizeInMB: aws.Int32(int32(s.MemorySizeMB)),
			MaxConcurrency: aws.Int32(int32(s.MaxConcurrency)),
		}
		if s.ProvisionedConcurrency > 0 {
			v.ServerlessConfig.ProvisionedConcurrency = aws.Int32(int32(s.ProvisionedConcurrency))
		}
		return v
	}
	v.InstanceType = types.ProductionVariantInstanceType(r.Endpoint.InstanceType)
	v.InitialInstanceCount = aws.Int32(int32(r.Endpoint.InstanceCount))
	return v
}

func sameServerless(a, b *types.ProductionVariantServerlessConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return aws.ToInt32(a.MemorySizeInMB) == aws.ToInt32(b.MemorySizeInMB) &&
		aws.ToInt32(a.MaxConcurrency) == aws.ToInt32(b.MaxConcurrency) &&
		aws.ToInt32(a.ProvisionedConcurrency) == aws.ToInt32(b.ProvisionedConcurrency)
}

// configSettings sets the endpoint config's volume key, data capture and
// asynchronous inference from the request.
func configSettings(in *sagemaker.CreateEndpointConfigInput, r Request) {
	s := r.Settings
	if s.VolumeKMSKeyARN != "" {
		in.KmsKeyId = aws.String(s.VolumeKMSKeyARN)
	}
	if d := r.Endpoint.DataCapture; d != nil && s.DataCaptureURI != "" {
		dc := &types.DataCaptureConfig{
			EnableCapture:             aws.Bool(true),
			InitialSamplingPercentage: aws.Int32(int32(d.SamplingPercent)),
			DestinationS3Uri:          aws.String(s.DataCaptureURI),
		}
		if s.OutputKMSKeyARN != "" {
			dc.KmsKeyId = aws.String(s.OutputKMSKeyARN)
		}
		for _, m := range d.Capture {
			mode := types.CaptureModeInput
			if m == manifest.CaptureOutput {
				mode = types.CaptureModeOutput
			}
			dc.CaptureOptions = append(dc.CaptureOptions, types.CaptureOption{CaptureMode: mode})
		}
		in.DataCaptureConfig = dc
	}
	if a := r.Endpoint.Async; a != nil && s.AsyncOutputURI != "" {
		out := &types.AsyncInferenceOutputConfig{S3OutputPath: aws.String(s.AsyncOutputURI)}
		if s.OutputKMSKeyARN != "" {
			out.KmsKeyId = aws.String(s.OutputKMSKeyARN)
		}
		if a.NotifySuccessTopic != "" || a.NotifyErrorTopic != "" {
			out.NotificationConfig = &types.AsyncInferenceNotificationConfig{}
			if a.NotifySuccessTopic != "" {
				out.NotificationConfig.SuccessTopic = aws.String(a.NotifySuccessTopic)
			}
			if a.NotifyErrorTopic != "" {
				out.NotificationConfig.ErrorTopic = aws.String(a.NotifyErrorTopic)
			}
		}
		cfg := &types.AsyncInferenceConfig{OutputConfig: out}
		if a.MaxConcurrentInvocationsPerInstance > 0 {
			cfg.ClientConfig = &types.AsyncInferenceClientConfig{MaxConcurrentInvocationsPerInstance: aws.Int32(int32(a.MaxConcurrentInvocationsPerInstance))}
		}
		in.AsyncInferenceConfig = cfg
	}
}

// endpointTags are the tags of a new endpoint: the environment's and the
// endpoint's, and TagEndpoint. The provenance tags stay on the models and
// configs, which belong to one deployment; an endpoint outlives it, and
// tags set at its creation would soon name a deployment it no longer runs.
func endpointTags(r Request) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(r.Settings.Tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(r.Settings.Tags[k])})
	}
	return append(out, types.Tag{Key: aws.String(TagEndpoint), Value: aws.String(r.Endpoint.Name)})
}
