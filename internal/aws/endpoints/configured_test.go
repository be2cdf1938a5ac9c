package endpoints_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

type oneAccount aws.Config

func (c oneAccount) Environment(manifest.Environment) aws.Config { return aws.Config(c) }

// Configured reads back, through the SDK, every setting a deployment
// created (network, isolation, volume key, data capture, tags,
// autoscaling), so drift finds nothing; then someone removes the
// autoscaling and a required tag by hand, and drift names both.
func TestConfiguredReadsBackWhatTheDeployCreated(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	as := autoscaling.New(autoscaling.Options{Variants: e.sm})
	e.sm.SetScaling(as)
	e.srv.Mount(as)
	e.d.AAS = applicationautoscaling.NewFromConfig(e.cfg)
	e.sm.SetGuardrail(account, guarded)
	r := e.request(1, "aaaaaaa", manifest.Rollout{})
	r.Endpoint.Tags = map[string]string{"Team": "fraud"}
	r.Endpoint.DataCapture = &manifest.DataCapture{SamplingPercent: 20, Capture: []string{"input", "output"}}
	r.Endpoint.Autoscaling = &manifest.Autoscaling{MinInstances: 2, MaxInstances: 6, TargetInvocationsPerInstance: 500, ScaleInCooldownSeconds: 300, ScaleOutCooldownSeconds: 60}
	env := enterpriseEnv()
	r.Settings = manifest.ResolveSettings(env, "churn", r.Endpoint)
	e.deploy(t, r)

	stages := endpoints.NewStages(oneAccount(e.cfg))
	want := plan.DeployFor(env, "churn", r.Endpoint)
	s, c, err := stages.Configured(ctx(t), env, r.Endpoint)
	if err != nil || s == nil || c == nil {
		t.Fatalf("Configured = %+v, %+v, %v", s, c, err)
	}
	if c.Autoscaling == nil || c.Autoscaling.MaxInstances != 6 || !c.Autoscaling.Policy || c.DataCapture == nil || c.VPC == nil || !c.NetworkIsolation || c.VolumeKMSKeyARN != volumeKey {
		t.Fatalf("read back %+v", c)
	}
	if d := drift.CompareSettings(want, c); len(d) != 0 {
		t.Fatalf("drift right after the deploy: %+v", d)
	}

	id := aws.String("endpoint/" + endpoint + "/variant/AllTraffic")
	aas := applicationautoscaling.NewFromConfig(e.cfg)
	if _, err := aas.DeleteScalingPolicy(ctx(t), &applicationautoscaling.DeleteScalingPolicyInput{PolicyName: aws.String(endpoints.ScalingPolicyName(endpoint, "AllTraffic")),
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: id, ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount}); err != nil {
		t.Fatal(err)
	}
	if _, err := aas.DeregisterScalableTarget(ctx(t), &applicationautoscaling.DeregisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: id, ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount}); err != nil {
		t.Fatal(err)
	}
	ep := e.endpoint(t)
	if _, err := e.admin.DeleteTags(ctx(t), &sagemaker.DeleteTagsInput{ResourceArn: aws.String(ep.EndpointArn), TagKeys: []string{"CostCenter"}}); err != nil {
		t.Fatal(err)
	}
	_, c, err = stages.Configured(ctx(t), env, r.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	got := drift.CompareSettings(want, c)
	if len(got) != 2 || got[0].Setting != "autoscaling" || got[0].Account != "none" ||
		got[0].Manifest != "2–6 instances tracking 500 invocations per instance per minute, scale-in cooldown 300s, scale-out cooldown 60s" ||
		got[1].Setting != "tags" || got[1].Resource != "endpoint "+endpoint || got[1].Manifest != "CostCenter=4711" || got[1].Account != "CostCenter missing" {
		t.Errorf("drift %+v", got)
	}

	// An endpoint that does not exist: nothing, and no error.
	if s, c, err := stages.Configured(ctx(t), env, manifest.Endpoint{Name: "absent"}); s != nil || c != nil || err != nil {
		t.Errorf("absent endpoint: %+v %+v %v", s, c, err)
	}
}
