package apply_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Prod's guardrails (world.ProdGuardrail) deny SageMaker creates without a
// VPC, network isolation, a volume key and the cost tags; the example
// configuration's prod sets them, and apply passes them through to
// everything it creates, with fraud-detector's data capture going to the
// prod bucket under the model's prefix, encrypted with prod's key.
func TestProdDeployPassesTheAccountGuardrails(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, prodChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	env, _ := w.Config.Environment("prod")
	rec := record(t, w, res.Outcomes[0].RecordURI)
	snap := w.SageMaker.Snapshot(prod, world.Region)
	var model *sagemaker.Model
	for i := range snap.Models {
		if snap.Models[i].ModelName == rec.Endpoint.Model {
			model = &snap.Models[i]
		}
	}
	if model == nil {
		t.Fatalf("model %s not found", rec.Endpoint.Model)
	}
	var vpc struct{ Subnets, SecurityGroupIds []string }
	if err := json.Unmarshal(model.VpcConfig, &vpc); err != nil || strings.Join(vpc.Subnets, ",") != strings.Join(env.VPC.Subnets, ",") ||
		strings.Join(vpc.SecurityGroupIds, ",") != strings.Join(env.VPC.SecurityGroups, ",") || !aws.ToBool(model.EnableNetworkIsolation) {
		t.Errorf("model VpcConfig %s, isolation %v", model.VpcConfig, model.EnableNetworkIsolation)
	}
	var cfg *sagemaker.EndpointConfig
	for i := range snap.EndpointConfigs {
		if snap.EndpointConfigs[i].EndpointConfigName == rec.Endpoint.ConfigAfter {
			cfg = &snap.EndpointConfigs[i]
		}
	}
	if cfg == nil || cfg.KmsKeyId != env.KMSKeyARN {
		t.Fatalf("endpoint config %+v, want KmsKeyId %s", cfg, env.KMSKeyARN)
	}
	var dc struct {
		EnableCapture              bool
		InitialSamplingPercentage  int
		DestinationS3Uri, KmsKeyId string
	}
	if err := json.Unmarshal(cfg.DataCaptureConfig, &dc); err != nil || !dc.EnableCapture || dc.InitialSamplingPercentage != 20 ||
		dc.DestinationS3Uri != "s3://acme-ml-artifacts-prod/fraud-detector/data-capture/fraud-detector" || dc.KmsKeyId != env.KMSKeyARN {
		t.Errorf("DataCaptureConfig %s", cfg.DataCaptureConfig)
	}
	for _, arn := range []string{model.ModelArn, cfg.EndpointConfigArn} {
		tags := map[string]string{}
		for _, tag := range w.SageMaker.Tags(prod, world.Region, arn) {
			tags[tag.Key] = tag.Value
		}
		if tags["CostCenter"] != "4711" || tags["DataClassification"] != "confidential" || tags["Team"] != "fraud" || tags["modelpromote:merge-sha"] == "" {
			t.Errorf("tags of %s = %v", arn, tags)
		}
	}
	// The package's group carries the environment's and the endpoint's
	// tags (the seeded group had the environment's; apply added Team), and
	// the package, which takes its group's, the provenance.
	group := map[string]string{}
	for _, tag := range w.SageMaker.Tags(prod, world.Region, "arn:aws:sagemaker:"+world.Region+":"+prod+":model-package-group/fraud-detector") {
		group[tag.Key] = tag.Value
	}
	if group["CostCenter"] != "4711" || group["DataClassification"] != "confidential" || group["Team"] != "fraud" {
		t.Errorf("tags of the prod group = %v", group)
	}
	if pkg, ok := w.SageMaker.ModelPackage(prod, world.Region, rec.Target.PackageARN); !ok || pkg.CustomerMetadataProperties["modelpromote:merge-sha"] == "" {
		t.Errorf("package %s provenance %+v", rec.Target.PackageARN, pkg.CustomerMetadataProperties)
	}
}

// When the guardrails demand more than the configuration gives (here a tag
// the platform team has not added yet), apply fails before any package,
// model or endpoint config is created and the pull request says why in
// plain words.
func TestGuardrailDenyIsExplainedOnThePullRequest(t *testing.T) {
	w := newWorld(t, world.Options{})
	g := world.ProdGuardrail
	g.RequiredTags = append(g.RequiredTags[:len(g.RequiredTags):len(g.RequiredTags)], "Owner")
	w.SageMaker.SetGuardrail(prod, g)
	n := mergedPR(t, w, prodChange)
	res := runApply(t, applyEnv(w), n)
	if !res.Failed() {
		t.Fatalf("apply succeeded: %+v", res.Outcomes)
	}
	var said string
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		said += c.Body + "\n"
	}
	// The first create the policy denies is the package's: a version takes
	// its group's tags, which lack Owner.
	for _, want := range []string{"denied by a service control policy", "a version takes its group", "perhaps require one the group lacks", "CostCenter, DataClassification, Team", "set the missing tag on the environment or the endpoint"} {
		if !strings.Contains(said, want) {
			t.Errorf("pull request comments lack %q:\n%s", want, said)
		}
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 {
		t.Errorf("prod serves %+v, want v11 still", s)
	}
	if n := len(w.SageMaker.Snapshot(prod, world.Region).ModelPackages); n != 1 {
		t.Errorf("%d packages in prod, want the seeded v11 only", n)
	}
}

// Autoscaling is registered after a successful deploy; an instance-type
// change on the registered variant (which SageMaker refuses) deregisters,
// updates and registers again; a failed rollout of such a change leaves
// the old fleet serving with its scaling put back.
func TestAutoscalingAcrossAnInstanceTypeChange(t *testing.T) {
	w := newWorld(t, world.Options{})
	const fleet = "      instanceType: ml.m5.xlarge\n      instanceCount: 4\n"
	scaled := fleet + "      autoscaling: {minInstances: 2, maxInstances: 8, targetInvocationsPerInstance: 700, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60}\n"
	n := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: fleet, to: scaled, approvers: []string{world.Gina, world.Bob}})
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	registered := func(wantMin, wantMax int32) {
		t.Helper()
		lo, hi, ok := w.Autoscaling.Registered(prod, world.Region, "fraud-detector", "AllTraffic")
		ps := w.Autoscaling.Policies(prod, world.Region, "fraud-detector", "AllTraffic")
		if !ok || lo != wantMin || hi != wantMax || len(ps) != 1 || ps[0].PolicyType != "TargetTrackingScaling" ||
			!strings.Contains(string(ps[0].TargetTrackingScalingPolicyConfiguration), "SageMakerVariantInvocationsPerInstance") ||
			!strings.Contains(string(ps[0].TargetTrackingScalingPolicyConfiguration), "700") {
			t.Fatalf("registered %v %d–%d, policies %+v", ok, lo, hi, ps)
		}
	}
	registered(2, 8)

	// A failed rollout of a new instance type: the old fleet serves, and
	// its scaling is back.
	bigger := strings.Replace(scaled, "ml.m5.xlarge", "ml.m5.2xlarge", 1)
	n = mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: scaled, to: bigger, approvers: []string{world.Gina, world.Bob}})
	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	res, err := applyRun(t, w, n)
	if err != nil || !res.Failed() {
		t.Fatalf("apply: %v, %+v", err, res)
	}
	registered(2, 8)

	// Apply again, the fault gone: the variant runs the new type and is
	// registered again.
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	registered(2, 8)
	ep, _ := w.SageMaker.Endpoint(prod, world.Region, "fraud-detector")
	for _, c := range w.SageMaker.Snapshot(prod, world.Region).EndpointConfigs {
		if c.EndpointConfigName == ep.EndpointConfigName && c.ProductionVariants[0].InstanceType != "ml.m5.2xlarge" {
			t.Errorf("serving %s on %s", ep.EndpointConfigName, c.ProductionVariants[0].InstanceType)
		}
	}
}

func applyRun(t *testing.T, w *world.World, n int) (*apply.Result, error) {
	t.Helper()
	return apply.Run(t.Context(), applyEnv(w), n)
}
