package awsemu_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// guarded is an emulator whose prod account has the guardrails a regulated
// platform team attaches as service control policies, with SageMaker and
// Application Auto Scaling wired to each other as the real services are.
func guarded(t *testing.T) (*env, *sagemaker.Service, *sm.Client, *aas.Client) {
	t.Helper()
	e := newEnv(t)
	svc := sagemaker.New(sagemaker.Options{EndpointDelay: 5 * time.Millisecond})
	as := autoscaling.New(autoscaling.Options{Variants: svc})
	svc.SetScaling(as)
	e.srv.Mount(svc)
	e.srv.Mount(as)
	svc.SetGuardrail(prodAccount, sagemaker.Guardrail{RequireVPC: true, RequireNetworkIsolation: true, RequireVolumeKey: true, RequiredTags: []string{"CostCenter"}})
	return e, svc, sm.NewFromConfig(e.srv.Config(e.prod)), aas.NewFromConfig(e.srv.Config(e.prod))
}

const execRole = "arn:aws:iam::" + prodAccount + ":role/sagemaker-execution"

var costCenter = []smtypes.Tag{{Key: aws.String("CostCenter"), Value: aws.String("4711")}}

func compliantModel(name string) *sm.CreateModelInput {
	return &sm.CreateModelInput{ModelName: aws.String(name), ExecutionRoleArn: aws.String(execRole),
		PrimaryContainer:       &smtypes.ContainerDefinition{Image: aws.String("333333333333.dkr.ecr.us-east-1.amazonaws.com/fraud@sha256:" + strings.Repeat("a", 64))},
		VpcConfig:              &smtypes.VpcConfig{Subnets: []string{"subnet-0a1b2c3d"}, SecurityGroupIds: []string{"sg-0a1b2c3d"}},
		EnableNetworkIsolation: aws.Bool(true), Tags: costCenter}
}

func denial(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if err == nil {
		return ""
	}
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode() + ": " + ae.ErrorMessage()
}

func TestGuardrailsDenyCreatesWithoutTheSettingsAsAServiceControlPolicyDoes(t *testing.T) {
	e, _, c, _ := guarded(t)
	for name, mutate := range map[string]func(*sm.CreateModelInput){
		"no VPC":               func(in *sm.CreateModelInput) { in.VpcConfig = nil },
		"no network isolation": func(in *sm.CreateModelInput) { in.EnableNetworkIsolation = nil },
		"no cost center tag":   func(in *sm.CreateModelInput) { in.Tags = nil },
	} {
		in := compliantModel("fraud-" + strings.ReplaceAll(name, " ", "-"))
		mutate(in)
		_, err := c.CreateModel(ctx(t), in)
		if d := denial(t, err); !strings.HasPrefix(d, "AccessDeniedException: ") || !strings.Contains(d, "is not authorized to perform: sagemaker:CreateModel") ||
			!strings.Contains(d, "with an explicit deny in a service control policy") {
			t.Errorf("%s: %s", name, d)
		}
	}
	if _, err := c.CreateModel(ctx(t), compliantModel("fraud")); err != nil {
		t.Fatalf("a compliant model was refused: %v", err)
	}
	variant := []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("fraud"),
		InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Xlarge, InitialInstanceCount: aws.Int32(2)}}
	key := "arn:aws:kms:us-east-1:" + prodAccount + ":key/1a2b3c4d-1111-2222-3333-444455556666"
	_, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String("fraud-1"), ProductionVariants: variant, Tags: costCenter})
	if d := denial(t, err); !strings.Contains(d, "sagemaker:CreateEndpointConfig") || !strings.Contains(d, "explicit deny") {
		t.Errorf("an endpoint config without a volume key: %s", d)
	}
	nvme := []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("fraud"),
		InstanceType: smtypes.ProductionVariantInstanceTypeMlG5Xlarge, InitialInstanceCount: aws.Int32(1)}}
	_, err = c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String("fraud-gpu"), ProductionVariants: nvme, KmsKeyId: aws.String(key), Tags: costCenter})
	if d := denial(t, err); !strings.HasPrefix(d, "ValidationException: ") || !strings.Contains(d, "local instance storage") {
		t.Errorf("a volume key on ml.g5.xlarge (local NVMe): %s", d)
	}
	dc := &smtypes.DataCaptureConfig{EnableCapture: aws.Bool(true), InitialSamplingPercentage: aws.Int32(20), DestinationS3Uri: aws.String("s3://acme-ml-artifacts-prod/fraud/datacapture"),
		KmsKeyId:       aws.String(key),
		CaptureOptions: []smtypes.CaptureOption{{CaptureMode: smtypes.CaptureModeInput}, {CaptureMode: smtypes.CaptureModeOutput}}}
	if _, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String("fraud-1"), ProductionVariants: variant,
		KmsKeyId: aws.String(key), DataCaptureConfig: dc, Tags: costCenter}); err != nil {
		t.Fatalf("a compliant endpoint config was refused: %v", err)
	}
	if _, err := c.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-1")}); !strings.Contains(denial(t, err), "sagemaker:CreateEndpoint") {
		t.Errorf("an endpoint without the required tag: %v", err)
	}
	// The AWS CLI reads the settings back.
	run := awsCLI(t, e, e.prod)
	var model struct {
		VpcConfig              struct{ Subnets, SecurityGroupIds []string }
		EnableNetworkIsolation bool
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "describe-model", "--model-name", "fraud")), &model); err != nil {
		t.Fatal(err)
	}
	if !model.EnableNetworkIsolation || len(model.VpcConfig.Subnets) != 1 || len(model.VpcConfig.SecurityGroupIds) != 1 {
		t.Errorf("aws sagemaker describe-model: %+v", model)
	}
	var cfg struct {
		KmsKeyId          string
		DataCaptureConfig struct{ InitialSamplingPercentage int }
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "describe-endpoint-config", "--endpoint-config-name", "fraud-1")), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.KmsKeyId != key || cfg.DataCaptureConfig.InitialSamplingPercentage != 20 {
		t.Errorf("aws sagemaker describe-endpoint-config: %+v", cfg)
	}
}

func TestAnAutoscaledVariantCannotChangeInstanceTypeUntilDeregistered(t *testing.T) {
	_, _, c, as := guarded(t)
	key := "arn:aws:kms:us-east-1:" + prodAccount + ":key/1a2b3c4d-1111-2222-3333-444455556666"
	if _, err := c.CreateModel(ctx(t), compliantModel("fraud")); err != nil {
		t.Fatal(err)
	}
	config := func(name string, it smtypes.ProductionVariantInstanceType) {
		t.Helper()
		if _, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String(name), KmsKeyId: aws.String(key), Tags: costCenter,
			ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("fraud"), InstanceType: it, InitialInstanceCount: aws.Int32(2)}}}); err != nil {
			t.Fatal(err)
		}
	}
	config("fraud-1", smtypes.ProductionVariantInstanceTypeMlM5Xlarge)
	config("fraud-2", smtypes.ProductionVariantInstanceTypeMlM52xlarge)
	if _, err := c.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-1"), Tags: costCenter}); err != nil {
		t.Fatal(err)
	}
	waitInService(t, c, "fraud")
	target := aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String("endpoint/fraud/variant/AllTraffic"),
		ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount, MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(8)}
	if _, err := as.RegisterScalableTarget(ctx(t), &target); err != nil {
		t.Fatal(err)
	}
	_, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-2")})
	if d := denial(t, err); !strings.HasPrefix(d, "ValidationException: ") || !strings.Contains(d, "Application Auto Scaling") {
		t.Fatalf("an instance-type change on a registered variant: %s", d)
	}
	if _, err := as.DeregisterScalableTarget(ctx(t), &aas.DeregisterScalableTargetInput{ServiceNamespace: target.ServiceNamespace, ResourceId: target.ResourceId, ScalableDimension: target.ScalableDimension}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-2")}); err != nil {
		t.Fatalf("after deregistering: %v", err)
	}
}

func TestServerlessEndpointsRefuseCanaryTrafficShifting(t *testing.T) {
	_, svc, c, _ := guarded(t)
	svc.SetGuardrail(prodAccount, sagemaker.Guardrail{}) // serverless runs outside VPCs; test the shifting rule alone
	model := compliantModel("churn")
	model.VpcConfig, model.EnableNetworkIsolation = nil, nil
	if _, err := c.CreateModel(ctx(t), model); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"churn-1", "churn-2"} {
		if _, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String(name),
			ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("churn"),
				ServerlessConfig: &smtypes.ProductionVariantServerlessConfig{MemorySizeInMB: aws.Int32(4096), MaxConcurrency: aws.Int32(20)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("churn-1")}); err != nil {
		t.Fatal(err)
	}
	waitInService(t, c, "churn")
	canary := &smtypes.DeploymentConfig{BlueGreenUpdatePolicy: &smtypes.BlueGreenUpdatePolicy{TrafficRoutingConfiguration: &smtypes.TrafficRoutingConfig{
		Type: smtypes.TrafficRoutingConfigTypeCanary, WaitIntervalInSeconds: aws.Int32(60),
		CanarySize: &smtypes.CapacitySize{Type: smtypes.CapacitySizeTypeCapacityPercent, Value: aws.Int32(10)}}}}
	_, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("churn-2"), DeploymentConfig: canary})
	if d := denial(t, err); !strings.HasPrefix(d, "ValidationException: ") || !strings.Contains(d, "serverless") {
		t.Errorf("a canary onto a serverless variant: %s", d)
	}
}

// Serverless Inference does not support VPC configuration, network
// isolation, data capture or multiple production variants: a serverless
// endpoint config that asks for one is refused. A volume key is accepted.
func TestServerlessEndpointConfigsRefuseWhatServerlessDoesNotSupport(t *testing.T) {
	_, svc, c, _ := guarded(t)
	svc.SetGuardrail(prodAccount, sagemaker.Guardrail{})
	plain := compliantModel("plain")
	plain.VpcConfig, plain.EnableNetworkIsolation = nil, nil
	inVPC := compliantModel("in-vpc")
	inVPC.EnableNetworkIsolation = nil
	isolated := compliantModel("isolated")
	isolated.VpcConfig = nil
	for _, m := range []*sm.CreateModelInput{plain, inVPC, isolated} {
		if _, err := c.CreateModel(ctx(t), m); err != nil {
			t.Fatal(err)
		}
	}
	serverless := func(model string) smtypes.ProductionVariant {
		return smtypes.ProductionVariant{VariantName: aws.String("AllTraffic"), ModelName: aws.String(model),
			ServerlessConfig: &smtypes.ProductionVariantServerlessConfig{MemorySizeInMB: aws.Int32(2048), MaxConcurrency: aws.Int32(5)}}
	}
	instances := smtypes.ProductionVariant{VariantName: aws.String("Instances"), ModelName: aws.String("plain"),
		InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}
	capture := &smtypes.DataCaptureConfig{InitialSamplingPercentage: aws.Int32(10), DestinationS3Uri: aws.String("s3://b/capture"),
		CaptureOptions: []smtypes.CaptureOption{{CaptureMode: smtypes.CaptureModeInput}}}
	for i, tc := range []struct {
		name     string
		variants []smtypes.ProductionVariant
		capture  *smtypes.DataCaptureConfig
		want     string // "" when accepted
	}{
		{name: "serverless with a volume key", variants: []smtypes.ProductionVariant{serverless("plain")}},
		{name: "instances whose model runs in a VPC", variants: []smtypes.ProductionVariant{{VariantName: aws.String("A"), ModelName: aws.String("in-vpc"),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}},
		{name: "serverless model in a VPC", variants: []smtypes.ProductionVariant{serverless("in-vpc")},
			want: `ValidationException: Serverless Inference does not support VPC configuration: model "in-vpc" of serverless variant "AllTraffic" has a VpcConfig.`},
		{name: "serverless model isolated", variants: []smtypes.ProductionVariant{serverless("isolated")},
			want: `ValidationException: Serverless Inference does not support network isolation: model "isolated" of serverless variant "AllTraffic" has EnableNetworkIsolation.`},
		{name: "serverless with data capture", variants: []smtypes.ProductionVariant{serverless("plain")}, capture: capture,
			want: `ValidationException: Serverless Inference does not support data capture: remove DataCaptureConfig for serverless variant "AllTraffic".`},
		{name: "serverless beside another variant", variants: []smtypes.ProductionVariant{serverless("plain"), instances},
			want: `ValidationException: Serverless Inference does not support multiple production variants: variant "AllTraffic" is serverless and the endpoint config has 2.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("config-%d", i)
			_, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String(name),
				ProductionVariants: tc.variants, DataCaptureConfig: tc.capture,
				KmsKeyId: aws.String("arn:aws:kms:us-east-1:" + prodAccount + ":key/1a2b3c4d-1111-2222-3333-444455556666")})
			if got := denial(t, err); got != tc.want {
				t.Errorf("CreateEndpointConfig: %q, want %q", got, tc.want)
			}
			_, err = c.DescribeEndpointConfig(ctx(t), &sm.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
			if exists := err == nil; exists != (tc.want == "") {
				t.Errorf("endpoint config %s exists: %v, want %v", name, exists, tc.want == "")
			}
		})
	}
}

func waitInService(t *testing.T, c *sm.Client, name string) {
	t.Helper()
	w := sm.NewEndpointInServiceWaiter(c, func(o *sm.EndpointInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A model package group takes the required tags at its creation; a
// versioned package takes none of its own (SageMaker refuses them) and is
// judged by its group's, which are the tags it gets.
func TestGuardrailsDenyModelPackageGroupsAndPackagesWithoutTheTags(t *testing.T) {
	e, _, c, _ := guarded(t)
	_, err := c.CreateModelPackageGroup(ctx(t), &sm.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("fraud")})
	if d := denial(t, err); !strings.HasPrefix(d, "AccessDeniedException: ") || !strings.Contains(d, "sagemaker:CreateModelPackageGroup on resource: arn:aws:sagemaker:") ||
		!strings.Contains(d, "explicit deny in a service control policy") {
		t.Fatalf("a group without the tag: %s", d)
	}
	pkg := func() error {
		_, err := c.CreateModelPackage(ctx(t), &sm.CreateModelPackageInput{ModelPackageGroupName: aws.String("fraud"),
			InferenceSpecification: &smtypes.InferenceSpecification{
				Containers:            []smtypes.ModelPackageContainerDefinition{{Image: aws.String("333333333333.dkr.ecr.us-east-1.amazonaws.com/fraud@sha256:" + strings.Repeat("a", 64))}},
				SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}})
		return err
	}
	if _, err := c.CreateModelPackageGroup(ctx(t), &sm.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("fraud"), Tags: costCenter}); err != nil {
		t.Fatalf("a group with the tag was refused: %v", err)
	}
	if err := pkg(); err != nil {
		t.Fatalf("a version of a tagged group was refused: %v", err)
	}
	run := awsCLI(t, e, e.prod)
	var listed struct{ Tags []struct{ Key, Value string } }
	group := "arn:aws:sagemaker:" + e.srv.Region() + ":" + prodAccount + ":model-package-group/fraud"
	if err := json.Unmarshal([]byte(run("sagemaker", "list-tags", "--resource-arn", group)), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed.Tags) != 1 || listed.Tags[0].Key != "CostCenter" || listed.Tags[0].Value != "4711" {
		t.Errorf("aws sagemaker list-tags: %+v", listed)
	}
	// A group that loses the tag (or predates the policy): its new
	// versions are denied until the group has it again.
	if _, err := c.DeleteTags(ctx(t), &sm.DeleteTagsInput{ResourceArn: aws.String(group), TagKeys: []string{"CostCenter"}}); err != nil {
		t.Fatal(err)
	}
	if d := denial(t, pkg()); !strings.Contains(d, "sagemaker:CreateModelPackage on resource: arn:aws:sagemaker:") || !strings.Contains(d, "explicit deny") {
		t.Errorf("a version of a group that lost its tag: %s", d)
	}
}
