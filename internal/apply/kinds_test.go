package apply_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	smclient "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/world"
)

// churnStaging is churn-predictor's staging stage as the example has it
// (nothing live yet).
const churnStaging = "    version: 7\n    endpoint:\n      name: churn-predictor-staging\n      instanceType: ml.c5.large\n      instanceCount: 1\n"

// servingConfig is the endpoint config an endpoint serves, from the
// emulator's state.
func servingConfig(t *testing.T, w *world.World, account, endpoint string) (sagemaker.Endpoint, sagemaker.EndpointConfig) {
	t.Helper()
	ep, ok := w.SageMaker.Endpoint(account, world.Region, endpoint)
	if !ok {
		t.Fatalf("endpoint %s missing", endpoint)
	}
	for _, c := range w.SageMaker.Snapshot(account, world.Region).EndpointConfigs {
		if c.EndpointConfigName == ep.EndpointConfigName {
			return ep, c
		}
	}
	t.Fatalf("endpoint %s serves %s, which is gone", endpoint, ep.EndpointConfigName)
	return ep, sagemaker.EndpointConfig{}
}

// A serverless endpoint is created with a ServerlessConfig variant and no
// instances, then updated (more memory, provisioned concurrency) all at
// once onto a new config.
func TestServerlessEndpointIsCreatedAndUpdated(t *testing.T) {
	w := newWorld(t, world.Options{})
	serverless := "    version: 8\n    endpoint:\n      name: churn-predictor-staging\n      serverless: {memorySizeMB: 4096, maxConcurrency: 20}\n"
	n := mergedPR(t, w, change{file: "promotions/churn-predictor.yaml", from: churnStaging, to: serverless, approvers: []string{world.Bob}})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	check := func(wantMemory, wantConcurrency, wantProvisioned int32) string {
		t.Helper()
		ep, cfg := servingConfig(t, w, staging, "churn-predictor-staging")
		if ep.EndpointStatus != "InService" || len(cfg.ProductionVariants) != 1 {
			t.Fatalf("endpoint %s on %+v", ep.EndpointStatus, cfg)
		}
		v := cfg.ProductionVariants[0]
		var sc struct{ MemorySizeInMB, MaxConcurrency, ProvisionedConcurrency int32 }
		if err := json.Unmarshal(v.ServerlessConfig, &sc); err != nil || sc.MemorySizeInMB != wantMemory || sc.MaxConcurrency != wantConcurrency ||
			sc.ProvisionedConcurrency != wantProvisioned {
			t.Errorf("ServerlessConfig %s, want %d MB, %d concurrent, %d provisioned", v.ServerlessConfig, wantMemory, wantConcurrency, wantProvisioned)
		}
		if v.InstanceType != "" || v.InitialInstanceCount != nil {
			t.Errorf("a serverless variant with instances: %s × %v", v.InstanceType, v.InitialInstanceCount)
		}
		// Read back through the SDK as a user would: no instance counts.
		out, err := smclient.NewFromConfig(w.AdminAWS(staging)).DescribeEndpoint(t.Context(), &smclient.DescribeEndpointInput{EndpointName: aws.String("churn-predictor-staging")})
		if err != nil || len(out.ProductionVariants) != 1 || out.ProductionVariants[0].CurrentInstanceCount != nil {
			t.Errorf("DescribeEndpoint: %v %+v", err, out)
		}
		return cfg.EndpointConfigName
	}
	created := check(4096, 20, 0)
	if s := serving(t, w, "staging", "churn-predictor-staging"); s.SourceVersion != 8 {
		t.Errorf("staging serves %+v", s)
	}

	bigger := "    version: 8\n    endpoint:\n      name: churn-predictor-staging\n      serverless: {memorySizeMB: 6144, maxConcurrency: 50, provisionedConcurrency: 2}\n"
	n = mergedPR(t, w, change{file: "promotions/churn-predictor.yaml", from: serverless, to: bigger, approvers: []string{world.Bob}})
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if updated := check(6144, 50, 2); updated == created {
		t.Errorf("the update did not move to a new config (still %s)", created)
	}
	ep, _ := w.SageMaker.Endpoint(staging, world.Region, "churn-predictor-staging")
	if dc := ep.LastDeploymentConfig; dc != nil && dc.BlueGreenUpdatePolicy != nil &&
		dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration != nil && dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type != "ALL_AT_ONCE" {
		t.Errorf("a serverless update shifted traffic %s", dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type)
	}
}

// An asynchronous endpoint: AsyncInferenceConfig writes results to the
// environment's bucket under the model's prefix, encrypted with its key,
// with the notification topics and the concurrency asked for.
func TestAsyncEndpointWritesEncryptedOutputUnderTheModelsPrefix(t *testing.T) {
	w := newWorld(t, world.Options{})
	const ok, failed = "arn:aws:sns:eu-west-1:222222222222:churn-async-ok", "arn:aws:sns:eu-west-1:222222222222:churn-async-failed"
	async := "    version: 8\n    endpoint:\n      name: churn-predictor-staging\n      instanceType: ml.c5.large\n      instanceCount: 1\n" +
		"      async: {maxConcurrentInvocationsPerInstance: 4, notifySuccessTopic: " + ok + ", notifyErrorTopic: " + failed + "}\n"
	n := mergedPR(t, w, change{file: "promotions/churn-predictor.yaml", from: churnStaging, to: async, approvers: []string{world.Bob}})
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	env, _ := w.Config.Environment("staging")
	ep, cfg := servingConfig(t, w, staging, "churn-predictor-staging")
	if ep.EndpointStatus != "InService" {
		t.Fatalf("endpoint %s", ep.EndpointStatus)
	}
	var ac struct {
		ClientConfig struct{ MaxConcurrentInvocationsPerInstance int }
		OutputConfig struct {
			S3OutputPath, KmsKeyId string
			NotificationConfig     struct{ SuccessTopic, ErrorTopic string }
		}
	}
	if err := json.Unmarshal(cfg.AsyncInferenceConfig, &ac); err != nil {
		t.Fatalf("AsyncInferenceConfig %s: %v", cfg.AsyncInferenceConfig, err)
	}
	want := "s3://" + env.ArtifactBucket + "/churn-predictor/async/churn-predictor-staging"
	if ac.OutputConfig.S3OutputPath != want || ac.OutputConfig.KmsKeyId != env.KMSKeyARN || ac.ClientConfig.MaxConcurrentInvocationsPerInstance != 4 ||
		ac.OutputConfig.NotificationConfig.SuccessTopic != ok || ac.OutputConfig.NotificationConfig.ErrorTopic != failed {
		t.Errorf("AsyncInferenceConfig %s, want output %s encrypted with %s", cfg.AsyncInferenceConfig, want, env.KMSKeyARN)
	}
	if cfg.KmsKeyId != env.KMSKeyARN {
		t.Errorf("volume key %q, want %s", cfg.KmsKeyId, env.KMSKeyARN)
	}
	// The SDK reads the same back.
	out, err := smclient.NewFromConfig(w.AdminAWS(staging)).DescribeEndpointConfig(t.Context(), &smclient.DescribeEndpointConfigInput{EndpointConfigName: aws.String(cfg.EndpointConfigName)})
	if err != nil || out.AsyncInferenceConfig == nil || aws.ToString(out.AsyncInferenceConfig.OutputConfig.S3OutputPath) != want ||
		!strings.HasSuffix(aws.ToString(out.AsyncInferenceConfig.OutputConfig.KmsKeyId), env.KMSKeyARN) {
		t.Errorf("DescribeEndpointConfig: %v %+v", err, out)
	}
}
