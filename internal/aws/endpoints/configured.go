package endpoints

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Reading how an endpoint is configured, for drift: the serving config's
// variant, volume key, data capture and asynchronous inference
// (DescribeEndpointConfig), the model's network (DescribeModel), the tags
// of all three (ListTags), and the variant's Application Auto Scaling
// registration (DescribeScalableTargets, DescribeScalingPolicies). Only
// describes and lists: the environment's read role is enough.

// scalingClient returns the Application Auto Scaling client of an
// environment.
func (s *Stages) scalingClient(env manifest.Environment) *applicationautoscaling.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.scaling[env.Name]; ok {
		return c
	}
	c := applicationautoscaling.NewFromConfig(s.Configs.Environment(env))
	s.scaling[env.Name] = c
	return c
}

// Configured implements drift.SettingsReader: the trace of ep (as Serving)
// and its settings, read in one pass. Both are nil when the endpoint does
// not exist.
func (s *Stages) Configured(ctx context.Context, env manifest.Environment, ep manifest.Endpoint) (*plan.Serving, *plan.Configured, error) {
	sm := s.Client(env)
	l, d, err := inspect(ctx, sm, ep.Name)
	if l == nil || err != nil {
		return nil, nil, err
	}
	c, err := configured(ctx, sm, s.scalingClient(env), d, ep.Variant())
	if err != nil {
		return nil, nil, err
	}
	return &l.Serving, c, nil
}

func configured(ctx context.Context, sm *sagemaker.Client, aas *applicationautoscaling.Client, d *described, variant string) (*plan.Configured, error) {
	c := &plan.Configured{Tags: map[string]map[string]string{}}
	name := aws.ToString(d.endpoint.EndpointName)
	cfg := d.config
	type tagged struct{ label, arn string }
	resources := []tagged{{"endpoint " + name, aws.ToString(d.endpoint.EndpointArn)},
		{"endpoint config " + aws.ToString(cfg.EndpointConfigName), aws.ToString(cfg.EndpointConfigArn)}}
	c.VolumeKMSKeyARN = aws.ToString(cfg.KmsKeyId)
	for _, v := range cfg.ProductionVariants {
		if strings.EqualFold(aws.ToString(v.VariantName), variant) {
			cv := &plan.ConfiguredVariant{InstanceType: string(v.InstanceType)}
			if sc := v.ServerlessConfig; sc != nil {
				cv.Serverless = &manifest.Serverless{MemorySizeMB: int(aws.ToInt32(sc.MemorySizeInMB)), MaxConcurrency: int(aws.ToInt32(sc.MaxConcurrency)),
					ProvisionedConcurrency: int(aws.ToInt32(sc.ProvisionedConcurrency))}
			}
			c.Variant = cv
		}
	}
	if dc := cfg.DataCaptureConfig; dc != nil && aws.ToBool(dc.EnableCapture) {
		cc := &plan.ConfiguredCapture{SamplingPercent: int(aws.ToInt32(dc.InitialSamplingPercentage)), DestinationURI: aws.ToString(dc.DestinationS3Uri), KMSKeyARN: aws.ToString(dc.KmsKeyId)}
		for _, o := range dc.CaptureOptions {
			mode := manifest.CaptureInput
			if o.CaptureMode == types.CaptureModeOutput {
				mode = manifest.CaptureOutput
			}
			cc.Capture = append(cc.Capture, mode)
		}
		c.DataCapture = cc
	}
	if a := cfg.AsyncInferenceConfig; a != nil {
		ca := &plan.ConfiguredAsync{}
		if o := a.OutputConfig; o != nil {
			ca.OutputURI, ca.KMSKeyARN = aws.ToString(o.S3OutputPath), aws.ToString(o.KmsKeyId)
			if n := o.NotificationConfig; n != nil {
				ca.NotifySuccessTopic, ca.NotifyErrorTopic = aws.ToString(n.SuccessTopic), aws.ToString(n.ErrorTopic)
			}
		}
		if cl := a.ClientConfig; cl != nil {
			ca.MaxConcurrentInvocationsPerInstance = int(aws.ToInt32(cl.MaxConcurrentInvocationsPerInstance))
		}
		c.Async = ca
	}
	if m := d.model; m != nil {
		resources = append(resources, tagged{"model " + aws.ToString(m.ModelName), aws.ToString(m.ModelArn)})
		if v := m.VpcConfig; v != nil {
			c.VPC = &manifest.VPC{Subnets: v.Subnets, SecurityGroups: v.SecurityGroupIds}
		}
		c.NetworkIsolation = aws.ToBool(m.EnableNetworkIsolation)
	}
	for _, r := range resources {
		tags, err := listTags(ctx, sm, r.arn)
		if err != nil {
			return nil, fmt.Errorf("list the tags of %s: %w", r.label, err)
		}
		c.Tags[r.label] = tags
	}
	scaling, err := readScaling(ctx, aas, name, variant)
	if err != nil {
		return nil, err
	}
	c.Autoscaling = scaling
	return c, nil
}

func listTags(ctx context.Context, sm *sagemaker.Client, arn string) (map[string]string, error) {
	out := map[string]string{}
	p := sagemaker.NewListTagsPaginator(sm, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			out[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return out, nil
}

// readScaling reads a variant's registration: its scalable target and the
// target tracking policy on SageMakerVariantInvocationsPerInstance (the
// one apply puts, by whatever name); nil when it is not registered.
func readScaling(ctx context.Context, aas *applicationautoscaling.Client, endpoint, variant string) (*plan.ConfiguredScaling, error) {
	id := scalingResource(endpoint, variant)
	ts, err := aas.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{id}, ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	if len(ts.ScalableTargets) == 0 {
		return nil, nil
	}
	t := ts.ScalableTargets[0]
	out := &plan.ConfiguredScaling{MinInstances: int(aws.ToInt32(t.MinCapacity)), MaxInstances: int(aws.ToInt32(t.MaxCapacity))}
	ps, err := aas.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scaling policies of %s: %w", id, err)
	}
	for _, p := range ps.ScalingPolicies {
		tt := p.TargetTrackingScalingPolicyConfiguration
		if p.PolicyType != aastypes.PolicyTypeTargetTrackingScaling || tt == nil || tt.PredefinedMetricSpecification == nil ||
			tt.PredefinedMetricSpecification.PredefinedMetricType != aastypes.MetricTypeSageMakerVariantInvocationsPerInstance {
			continue
		}
		out.Policy = true
		out.TargetInvocationsPerInstance = aws.ToFloat64(tt.TargetValue)
		out.ScaleInCooldownSeconds, out.ScaleOutCooldownSeconds = int(aws.ToInt32(tt.ScaleInCooldown)), int(aws.ToInt32(tt.ScaleOutCooldown))
		break
	}
	return out, nil
}
