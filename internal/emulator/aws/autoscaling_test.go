package awsemu_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
)

// variants is the SageMaker side the autoscaling emulator asks: here, one
// endpoint variant exists in prod.
type variants map[string]bool

func (v variants) VariantExists(account, region, endpoint, variant string) bool {
	return v[account+"/"+endpoint+"/"+variant]
}

func TestAutoscalingRegistersTargetsAndPoliciesAsTheServiceDoes(t *testing.T) {
	e := newEnv(t)
	as := autoscaling.New(autoscaling.Options{Variants: variants{prodAccount + "/fraud/AllTraffic": true}})
	e.srv.Mount(as)
	c := aas.NewFromConfig(e.srv.Config(e.prod))
	target := func(resource string) *aas.RegisterScalableTargetInput {
		return &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(resource),
			ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount, MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(8)}
	}
	if _, err := c.RegisterScalableTarget(ctx(t), target("endpoint/missing/variant/AllTraffic")); apiCode(t, err) != "ValidationException" {
		t.Errorf("a target on a variant that does not exist: %v", err)
	}
	out, err := c.RegisterScalableTarget(ctx(t), target("endpoint/fraud/variant/AllTraffic"))
	if err != nil {
		t.Fatal(err)
	}
	// Registering again is an upsert: same ARN, new bounds.
	again := target("endpoint/fraud/variant/AllTraffic")
	again.MaxCapacity = aws.Int32(10)
	out2, err := c.RegisterScalableTarget(ctx(t), again)
	if err != nil || aws.ToString(out2.ScalableTargetARN) != aws.ToString(out.ScalableTargetARN) {
		t.Fatalf("re-register: %v, ARN %s then %s", err, aws.ToString(out.ScalableTargetARN), aws.ToString(out2.ScalableTargetARN))
	}
	if lo, hi, ok := as.Registered(prodAccount, "us-east-1", "fraud", "AllTraffic"); !ok || lo != 2 || hi != 10 {
		t.Errorf("registered %v %d..%d", ok, lo, hi)
	}
	pol := &aas.PutScalingPolicyInput{PolicyName: aws.String("invocations"), ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/fraud/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(700),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
			ScaleInCooldown:               aws.Int32(300), ScaleOutCooldown: aws.Int32(60)}}
	po, err := c.PutScalingPolicy(ctx(t), pol)
	if err != nil {
		t.Fatal(err)
	}
	if len(po.Alarms) != 2 || aws.ToString(po.PolicyARN) == "" {
		t.Errorf("policy %+v", po)
	}
	orphan := *pol
	orphan.ResourceId = aws.String("endpoint/other/variant/AllTraffic")
	if _, err := c.PutScalingPolicy(ctx(t), &orphan); apiCode(t, err) != "ObjectNotFoundException" {
		t.Errorf("a policy on an unregistered target: %v", err)
	}
	dt, err := c.DescribeScalableTargets(ctx(t), &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker})
	if err != nil || len(dt.ScalableTargets) != 1 || aws.ToInt32(dt.ScalableTargets[0].MaxCapacity) != 10 {
		t.Fatalf("describe targets: %v %+v", err, dt)
	}
	dp, err := c.DescribeScalingPolicies(ctx(t), &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/fraud/variant/AllTraffic")})
	if err != nil || len(dp.ScalingPolicies) != 1 || aws.ToFloat64(dp.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue) != 700 {
		t.Fatalf("describe policies: %v %+v", err, dp)
	}
	// The AWS CLI reads the same back.
	run := awsCLI(t, e, e.prod)
	var cli struct{ ScalableTargets []struct{ ResourceId string } }
	if err := json.Unmarshal([]byte(run("application-autoscaling", "describe-scalable-targets", "--service-namespace", "sagemaker")), &cli); err != nil {
		t.Fatal(err)
	}
	if len(cli.ScalableTargets) != 1 || cli.ScalableTargets[0].ResourceId != "endpoint/fraud/variant/AllTraffic" {
		t.Errorf("aws application-autoscaling describe-scalable-targets: %+v", cli)
	}
	// Deregistering takes the policies with it; a second time is not found.
	if _, err := c.DeregisterScalableTarget(ctx(t), &aas.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/fraud/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := as.Registered(prodAccount, "us-east-1", "fraud", "AllTraffic"); ok || len(as.Policies(prodAccount, "us-east-1", "fraud", "AllTraffic")) != 0 {
		t.Error("the target or its policy outlived deregistration")
	}
	if _, err := c.DeregisterScalableTarget(ctx(t), &aas.DeregisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/fraud/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount}); apiCode(t, err) != "ObjectNotFoundException" {
		t.Errorf("deregistering twice: %v", err)
	}
}
