package endpoints_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

const volumeKey = "arn:aws:kms:eu-west-1:" + account + ":key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"

var guarded = smemu.Guardrail{RequireVPC: true, RequireNetworkIsolation: true, RequireVolumeKey: true, RequiredTags: []string{"CostCenter"}}

func enterpriseEnv() manifest.Environment {
	return manifest.Environment{
		Name: "prod", Account: account, Region: region, ArtifactBucket: "prod-artifacts", KMSKeyARN: volumeKey,
		VPC:              &manifest.VPC{Subnets: []string{"subnet-0a1b2c3d", "subnet-4e5f6a7b"}, SecurityGroups: []string{"sg-0a1b2c3d"}},
		NetworkIsolation: true,
		Tags:             map[string]string{"CostCenter": "4711"},
	}
}

// A first deploy into an account whose guardrails demand a VPC, network
// isolation, a volume key and a CostCenter tag passes them, and every
// setting lands where SageMaker keeps it.
func TestDeployPassesGuardrails(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.sm.SetGuardrail(account, guarded)
	r := e.request(1, "aaaaaaa", manifest.Rollout{})
	r.Endpoint.Tags = map[string]string{"Team": "fraud", "CostCenter": "0000"}
	r.Endpoint.DataCapture = &manifest.DataCapture{SamplingPercent: 20, Capture: []string{"input", "output"}}
	r.Settings = manifest.ResolveSettings(enterpriseEnv(), "churn", r.Endpoint)
	e.deploy(t, r)

	snap := e.sm.Snapshot(account, region)
	m := snap.Models[0]
	var vpc struct{ Subnets, SecurityGroupIds []string }
	if err := json.Unmarshal(m.VpcConfig, &vpc); err != nil || len(vpc.Subnets) != 2 || vpc.SecurityGroupIds[0] != "sg-0a1b2c3d" {
		t.Errorf("model VpcConfig = %s", m.VpcConfig)
	}
	if !aws.ToBool(m.EnableNetworkIsolation) {
		t.Error("model without network isolation")
	}
	ec := snap.EndpointConfigs[0]
	if ec.KmsKeyId != volumeKey {
		t.Errorf("endpoint config KmsKeyId = %q", ec.KmsKeyId)
	}
	var dc struct {
		EnableCapture              bool
		InitialSamplingPercentage  int
		DestinationS3Uri, KmsKeyId string
		CaptureOptions             []struct{ CaptureMode string }
	}
	if err := json.Unmarshal(ec.DataCaptureConfig, &dc); err != nil {
		t.Fatal(err)
	}
	if !dc.EnableCapture || dc.InitialSamplingPercentage != 20 || dc.DestinationS3Uri != "s3://prod-artifacts/churn/data-capture/"+endpoint ||
		dc.KmsKeyId != volumeKey || len(dc.CaptureOptions) != 2 || dc.CaptureOptions[1].CaptureMode != "Output" {
		t.Errorf("DataCaptureConfig = %s", ec.DataCaptureConfig)
	}
	ep := e.endpoint(t)
	for _, arn := range []string{m.ModelArn, ec.EndpointConfigArn, ep.EndpointArn} {
		tags := map[string]string{}
		for _, tag := range e.sm.Tags(account, region, arn) {
			tags[tag.Key] = tag.Value
		}
		if tags["CostCenter"] != "4711" || tags["Team"] != "fraud" || tags[endpoints.TagEndpoint] != endpoint {
			t.Errorf("tags of %s = %v (the environment's CostCenter wins)", arn, tags)
		}
	}
}

// Without the settings the same deploy is denied, and the error says what
// the guardrails wanted in words, not only AWS's explicit-deny text.
func TestGuardrailDenyIsExplained(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.sm.SetGuardrail(account, guarded)
	_, err := e.d.Deploy(ctx(t), e.request(1, "aaaaaaa", manifest.Rollout{}))
	if !errors.Is(err, endpoints.ErrGuardrail) {
		t.Fatalf("err = %v, want ErrGuardrail", err)
	}
	for _, want := range []string{"CreateModel", "the account's guardrails require", "a VPC (set vpc:", "network isolation (set networkIsolation: true", "explicit deny in a service control policy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if snap := e.sm.Snapshot(account, region); len(snap.Models) != 0 {
		t.Errorf("%d models created", len(snap.Models))
	}

	// A volume key on a local-NVMe instance type is left out (SageMaker
	// refuses it), and the guardrail that demands one is explained.
	r := e.request(1, "bbbbbbb", manifest.Rollout{})
	r.Endpoint.InstanceType = "ml.m5d.large"
	r.Settings = manifest.ResolveSettings(enterpriseEnv(), "churn", r.Endpoint)
	if !r.Settings.LocalStorage || r.Settings.VolumeKMSKeyARN != "" {
		t.Fatalf("settings = %+v", r.Settings)
	}
	_, err = e.d.Deploy(ctx(t), r)
	if !errors.Is(err, endpoints.ErrGuardrail) || !strings.Contains(err.Error(), "ml.m5d.large has local NVMe storage") {
		t.Errorf("err = %v", err)
	}
}

// A serverless endpoint is created with its ServerlessConfig and no
// instances, and updated all at once to a new memory size.
func TestServerlessCreateAndUpdate(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	r := e.request(1, "aaaaaaa", manifest.Rollout{})
	r.Endpoint.InstanceType, r.Endpoint.InstanceCount = "", 0
	r.Endpoint.Serverless = &manifest.Serverless{MemorySizeMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 1}
	e.deploy(t, r)
	r2 := e.request(2, "bbbbbbb", manifest.Rollout{})
	r2.Endpoint.InstanceType, r2.Endpoint.InstanceCount = "", 0
	r2.Endpoint.Serverless = &manifest.Serverless{MemorySizeMB: 4096, MaxConcurrency: 10}
	out := e.deploy(t, r2)
	if out.Created || e.endpoint(t).EndpointConfigName != out.NewConfig {
		t.Fatalf("outcome %+v", out)
	}
	for _, ec := range e.sm.Snapshot(account, region).EndpointConfigs {
		v := ec.ProductionVariants[0]
		var sc struct{ MemorySizeInMB, MaxConcurrency int }
		if err := json.Unmarshal(v.ServerlessConfig, &sc); err != nil || v.InstanceType != "" || v.InitialInstanceCount != nil {
			t.Errorf("%s: variant %+v", ec.EndpointConfigName, v)
		}
		if ec.EndpointConfigName == out.NewConfig && (sc.MemorySizeInMB != 4096 || sc.MaxConcurrency != 10) {
			t.Errorf("new config serverless = %s", v.ServerlessConfig)
		}
	}
}
