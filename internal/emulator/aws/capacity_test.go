package awsemu_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// scaledEndpoint is prod's endpoint "fraud" InService on config fraud-1
// (2 × ml.m5.xlarge), with a second config fraud-2 of the same fleet ready
// for an update.
func scaledEndpoint(t *testing.T) (*env, *sagemaker.Service, *autoscaling.Service, *sm.Client, *aas.Client) {
	t.Helper()
	return scaledEndpointWith(t, sagemaker.Options{EndpointDelay: 5 * time.Millisecond})
}

// scaledEndpointWith is scaledEndpoint on a SageMaker with opts; with
// opts.Manual, its transitions wait for Advance.
func scaledEndpointWith(t *testing.T, opts sagemaker.Options) (*env, *sagemaker.Service, *autoscaling.Service, *sm.Client, *aas.Client) {
	t.Helper()
	e := newEnv(t)
	svc := sagemaker.New(opts)
	as := autoscaling.New(autoscaling.Options{Variants: svc})
	svc.SetScaling(as)
	e.srv.Mount(svc)
	e.srv.Mount(as)
	c, ac := sm.NewFromConfig(e.srv.Config(e.prod)), aas.NewFromConfig(e.srv.Config(e.prod))
	if _, err := c.CreateModel(ctx(t), compliantModel("fraud")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fraud-1", "fraud-2"} {
		if _, err := c.CreateEndpointConfig(ctx(t), &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String(name),
			ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("fraud"),
				InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Xlarge, InitialInstanceCount: aws.Int32(2)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-1")}); err != nil {
		t.Fatal(err)
	}
	if opts.Manual {
		svc.Advance() // Creating
		svc.Advance() // the new fleet: InService
	}
	waitInService(t, c, "fraud")
	return e, svc, as, c, ac
}

func counts(t *testing.T, c *sm.Client, name string) (current, desired int32) {
	t.Helper()
	ep, err := c.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.ProductionVariants) != 1 {
		t.Fatalf("variants %+v", ep.ProductionVariants)
	}
	v := ep.ProductionVariants[0]
	return aws.ToInt32(v.CurrentInstanceCount), aws.ToInt32(v.DesiredInstanceCount)
}

// UpdateEndpointWeightsAndCapacities resizes the running variant in place:
// Updating, then InService at the new count; the config keeps its
// InitialInstanceCount. The AWS CLI can make the call and read it back.
// The resize waits for Advance, so "right after the call" holds however
// slowly the test runs.
func TestUpdateEndpointWeightsAndCapacitiesResizesTheRunningVariant(t *testing.T) {
	e, svc, _, c, _ := scaledEndpointWith(t, sagemaker.Options{Manual: true})
	_, err := c.UpdateEndpointWeightsAndCapacities(ctx(t), &sm.UpdateEndpointWeightsAndCapacitiesInput{EndpointName: aws.String("fraud"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(5)}}})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := c.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("fraud")})
	if ep.EndpointStatus != smtypes.EndpointStatusUpdating || aws.ToInt32(ep.ProductionVariants[0].DesiredInstanceCount) != 5 ||
		aws.ToInt32(ep.ProductionVariants[0].CurrentInstanceCount) != 2 {
		t.Errorf("right after the call: %s, variant %+v", ep.EndpointStatus, ep.ProductionVariants[0])
	}
	// Another change while one is under way is refused, as any update of
	// an in-progress endpoint is.
	_, err = c.UpdateEndpointWeightsAndCapacities(ctx(t), &sm.UpdateEndpointWeightsAndCapacitiesInput{EndpointName: aws.String("fraud"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(6)}}})
	if d := denial(t, err); !strings.Contains(d, "in-progress") {
		t.Errorf("a second change during the first: %s", d)
	}
	svc.Advance()
	waitInService(t, c, "fraud")
	if cur, want := counts(t, c, "fraud"); cur != 5 || want != 5 {
		t.Errorf("after the change: current %d desired %d, want 5 and 5", cur, want)
	}
	cfg, _ := c.DescribeEndpointConfig(ctx(t), &sm.DescribeEndpointConfigInput{EndpointConfigName: aws.String("fraud-1")})
	if aws.ToInt32(cfg.ProductionVariants[0].InitialInstanceCount) != 2 {
		t.Errorf("the config changed: %+v", cfg.ProductionVariants[0])
	}

	run := awsCLI(t, e, e.prod)
	run("sagemaker", "update-endpoint-weights-and-capacities", "--endpoint-name", "fraud",
		"--desired-weights-and-capacities", "VariantName=AllTraffic,DesiredInstanceCount=3")
	svc.Advance()
	waitInService(t, c, "fraud")
	var cli struct {
		ProductionVariants []struct{ CurrentInstanceCount, DesiredInstanceCount int32 }
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "describe-endpoint", "--endpoint-name", "fraud")), &cli); err != nil {
		t.Fatal(err)
	}
	if len(cli.ProductionVariants) != 1 || cli.ProductionVariants[0].CurrentInstanceCount != 3 || cli.ProductionVariants[0].DesiredInstanceCount != 3 {
		t.Errorf("aws sagemaker describe-endpoint after the CLI's change: %+v", cli)
	}

	for _, bad := range []struct {
		name string
		in   smtypes.DesiredWeightAndCapacity
		want string
	}{
		{"unknown variant", smtypes.DesiredWeightAndCapacity{VariantName: aws.String("Shadow"), DesiredInstanceCount: aws.Int32(2)}, "not present"},
		{"zero instances", smtypes.DesiredWeightAndCapacity{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(0)}, "inference components"},
	} {
		_, err := c.UpdateEndpointWeightsAndCapacities(ctx(t), &sm.UpdateEndpointWeightsAndCapacitiesInput{EndpointName: aws.String("fraud"),
			DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{bad.in}})
		if d := denial(t, err); !strings.HasPrefix(d, "ValidationException: ") || !strings.Contains(d, bad.want) {
			t.Errorf("%s: %s", bad.name, d)
		}
	}
	if cur, _ := counts(t, c, "fraud"); cur != 3 {
		t.Errorf("a refused change changed the count to %d", cur)
	}
}

// Application Auto Scaling scales a registered variant through
// UpdateEndpointWeightsAndCapacities, within the target's bounds; an
// unregistered variant does not scale.
func TestAutoscalingScalesARegisteredVariantWithinItsBounds(t *testing.T) {
	_, _, as, c, ac := scaledEndpoint(t)
	if _, err := as.Scale(prodAccount, "us-east-1", "fraud", "AllTraffic", 6); err == nil {
		t.Fatal("an unregistered variant scaled")
	}
	if _, err := ac.RegisterScalableTarget(ctx(t), &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/fraud/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
		MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	n, err := as.Scale(prodAccount, "us-east-1", "fraud", "AllTraffic", 9)
	if err != nil || n != 5 {
		t.Fatalf("scale out to 9 with max 5: %d, %v", n, err)
	}
	waitInService(t, c, "fraud")
	if cur, want := counts(t, c, "fraud"); cur != 5 || want != 5 {
		t.Errorf("after scaling out: current %d desired %d", cur, want)
	}
}

// UpdateEndpoint with RetainAllVariantProperties starts the new fleet at
// the running desired count, unless DesiredInstanceCount is excluded; the
// canary is sized against the fleet that will run.
func TestUpdateEndpointRetainsTheRunningInstanceCount(t *testing.T) {
	_, _, _, c, _ := scaledEndpoint(t)
	resize := func(n int32) {
		t.Helper()
		if _, err := c.UpdateEndpointWeightsAndCapacities(ctx(t), &sm.UpdateEndpointWeightsAndCapacitiesInput{EndpointName: aws.String("fraud"),
			DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(n)}}}); err != nil {
			t.Fatal(err)
		}
		waitInService(t, c, "fraud")
	}
	resize(6)
	canary := func(instances int32) *smtypes.DeploymentConfig {
		return &smtypes.DeploymentConfig{BlueGreenUpdatePolicy: &smtypes.BlueGreenUpdatePolicy{TrafficRoutingConfiguration: &smtypes.TrafficRoutingConfig{
			Type: smtypes.TrafficRoutingConfigTypeCanary, WaitIntervalInSeconds: aws.Int32(0),
			CanarySize: &smtypes.CapacitySize{Type: smtypes.CapacitySizeTypeInstanceCount, Value: aws.Int32(instances)}}}}
	}
	// A 2-instance canary is too big for the config's 2 instances, and
	// fine for the 6 retained.
	_, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-2"),
		DeploymentConfig: canary(2), RetainAllVariantProperties: aws.Bool(true),
		ExcludeRetainedVariantProperties: []smtypes.VariantProperty{{VariantPropertyType: smtypes.VariantPropertyTypeDesiredInstanceCount}}})
	if d := denial(t, err); !strings.Contains(d, "50% of the variant's total instance count") {
		t.Fatalf("a 2-instance canary of a 2-instance fleet: %s", d)
	}
	if _, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-2"),
		DeploymentConfig: canary(2), RetainAllVariantProperties: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	ep, _ := c.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("fraud")})
	if p := ep.PendingDeploymentSummary; p == nil || aws.ToInt32(p.ProductionVariants[0].DesiredInstanceCount) != 6 {
		t.Errorf("pending fleet %+v", p)
	}
	waitInService(t, c, "fraud")
	ep, _ = c.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("fraud")})
	if aws.ToString(ep.EndpointConfigName) != "fraud-2" || aws.ToInt32(ep.ProductionVariants[0].CurrentInstanceCount) != 6 {
		t.Errorf("after the retaining update: config %s, variant %+v", aws.ToString(ep.EndpointConfigName), ep.ProductionVariants[0])
	}
	// Without retention, the new config's count.
	if _, err := c.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("fraud"), EndpointConfigName: aws.String("fraud-1")}); err != nil {
		t.Fatal(err)
	}
	waitInService(t, c, "fraud")
	if cur, _ := counts(t, c, "fraud"); cur != 2 {
		t.Errorf("an update without retention runs %d instances, want the config's 2", cur)
	}
}
