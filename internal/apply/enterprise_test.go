package apply_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

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
}

// When the guardrails demand more than the configuration gives (here a tag
// the platform team has not added yet), apply fails before anything is
// created and the pull request says why in plain words.
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
	for _, want := range []string{"denied by a service control policy", "guardrails require what the request lacked", "perhaps a required tag", "CostCenter, DataClassification, Team"} {
		if !strings.Contains(said, want) {
			t.Errorf("pull request comments lack %q:\n%s", want, said)
		}
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 {
		t.Errorf("prod serves %+v, want v11 still", s)
	}
}
