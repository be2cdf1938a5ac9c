package manifest

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

const enterpriseModel = `version: 1
model: fraud-detector
modelPackageGroup: fraud-detector
stages:
  staging:
    version: 3
    endpoint:
      name: fraud-detector-staging
      serverless: {memorySizeMB: 4096, maxConcurrency: 20, provisionedConcurrency: 2}
  prod:
    version: 2
    endpoint:
      name: fraud-detector
      instanceType: ml.m5.xlarge
      instanceCount: 2
      tags: {Team: fraud, CostCenter: "0000"}
      dataCapture: {samplingPercent: 20, capture: [input, output]}
      autoscaling: {minInstances: 2, maxInstances: 8, targetInvocationsPerInstance: 700,
                    scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60}
`

func TestEnterpriseSettingsLoad(t *testing.T) {
	doc, ps := ParseModel("fraud-detector.yaml", []byte(enterpriseModel))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	staging, prod := doc.Stages["staging"].Endpoint, doc.Stages["prod"].Endpoint
	if !staging.IsServerless() || staging.Serverless.ProvisionedConcurrency != 2 || staging.InstanceType != "" {
		t.Errorf("staging = %+v", staging)
	}
	if prod.Autoscaling == nil || prod.Autoscaling.MaxInstances != 8 || prod.DataCapture.SamplingPercent != 20 {
		t.Errorf("prod = %+v", prod)
	}
	env := Environment{Tags: map[string]string{"CostCenter": "4711", "DataClassification": "confidential"}}
	want := map[string]string{"Team": "fraud", "CostCenter": "4711", "DataClassification": "confidential"}
	if got := StageTags(env, prod); !maps.Equal(got, want) {
		t.Errorf("StageTags = %v, want %v (the environment wins)", got, want)
	}
	if prod.Tags["CostCenter"] != "0000" {
		t.Error("StageTags changed the endpoint's own map")
	}
}

// Domain rules of the enterprise settings, one problem each.
func TestEnterpriseEndpointRules(t *testing.T) {
	for _, c := range []struct{ name, endpoint, want string }{
		{"serverless and async", "serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n      async: {maxConcurrentInvocationsPerInstance: 4}", "serverless or asynchronous, not both"},
		{"serverless with data capture", "serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n      dataCapture: {samplingPercent: 5, capture: [input]}", "do not support data capture"},
		{"serverless with autoscaling", "serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n      autoscaling: {minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 10}", "autoscaling applies to instance-based endpoints"},
		{"provisioned above max", "serverless: {memorySizeMB: 2048, maxConcurrency: 5, provisionedConcurrency: 6}", "provisionedConcurrency must be between 1 and maxConcurrency (5)"},
		{"serverless linear", "serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n      rollout: {strategy: linear, linearStepPercent: 20, alarms: [a]}", "does not shift traffic by linear"},
		{"serverless count", "serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n      instanceCount: 2", "has no instanceCount"},
		{"no instance type", "instanceCount: 2", "instanceType is required"},
		{"max below min", "instanceType: ml.m5.large\n      instanceCount: 2\n      autoscaling: {minInstances: 2, maxInstances: 1, targetInvocationsPerInstance: 10}", "maxInstances must be between minInstances (2)"},
		{"count below min", "instanceType: ml.m5.large\n      instanceCount: 1\n      autoscaling: {minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 10}", "instanceCount (1) must be between"},
		{"no target", "instanceType: ml.m5.large\n      instanceCount: 1\n      autoscaling: {minInstances: 1, maxInstances: 4}", "targetInvocationsPerInstance"},
		{"sampling zero", "instanceType: ml.m5.large\n      instanceCount: 1\n      dataCapture: {samplingPercent: 0, capture: [input]}", "samplingPercent must be between 1 and 100"},
		{"capture twice", "instanceType: ml.m5.large\n      instanceCount: 1\n      dataCapture: {samplingPercent: 5, capture: [input, input]}", `"input" is listed twice`},
		{"topic", "instanceType: ml.m5.large\n      instanceCount: 1\n      async: {notifyErrorTopic: arn:aws:sqs:eu-west-1:333333333333:q}", "is not an SNS topic ARN"},
		{"tag value", "instanceType: ml.m5.large\n      instanceCount: 1\n      tags: {Team: \"a|b\"}", "tag value of \"Team\""},
		{"provenance tag", "instanceType: ml.m5.large\n      instanceCount: 1\n      tags: {\"modelpromote:merge-sha\": x}", "reserved for the provenance tags"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := "version: 1\nmodel: m\nmodelPackageGroup: m\nstages:\n  prod:\n    version: 1\n    endpoint:\n      name: m\n      " + c.endpoint + "\n"
			_, ps := ParseModel("m.yaml", []byte(doc))
			if !strings.Contains(ps.Error(), c.want) {
				t.Errorf("problems:\n%v\nwant one containing %q", ps, c.want)
			}
		})
	}
}

func TestLocalStorage(t *testing.T) {
	for typ, want := range map[string]bool{"ml.m5.xlarge": false, "ml.m5d.xlarge": true, "ml.g5.2xlarge": true, "ml.c5.large": false, "ml.p4d.24xlarge": true, "ml.inf1.xlarge": false} {
		if LocalStorage(typ) != want {
			t.Errorf("LocalStorage(%s) = %v", typ, !want)
		}
	}
}

// A change to an enterprise setting is a reconfiguration that says what
// changed, not a pointer address.
func TestEnterpriseChangesAreNamed(t *testing.T) {
	a := Endpoint{Name: "e", InstanceType: "ml.m5.large", InstanceCount: 2, DataCapture: &DataCapture{SamplingPercent: 20, Capture: []string{"input"}}}
	b := a
	b.DataCapture = &DataCapture{SamplingPercent: 50, Capture: []string{"input"}}
	b.Autoscaling = &Autoscaling{MinInstances: 2, MaxInstances: 4, TargetInvocationsPerInstance: 100}
	b.Tags = map[string]string{"Team": "fraud"}
	got := strings.Join(fieldChanges("endpoint", reflect.ValueOf(a), reflect.ValueOf(b)), "\n")
	for _, want := range []string{"endpoint.dataCapture.samplingPercent: 20 → 50", "endpoint.autoscaling: (unset) → {minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 100}", "endpoint.tags: (none) → {Team: fraud}"} {
		if !strings.Contains(got, want) {
			t.Errorf("changes:\n%s\nwant %q", got, want)
		}
	}
	if strings.Contains(got, "0x") || strings.Contains(got, "MinInstances") || strings.Contains(got, "map[") {
		t.Errorf("changes show a pointer or Go's names:\n%s", got)
	}
}

// A serverless endpoint in an environment whose network settings SageMaker
// cannot apply to it is refused at the model file's serverless key, naming
// the configuration's setting; the environment's key is kept.
func TestServerlessEndpointInALockedDownEnvironment(t *testing.T) {
	staging := "    executionRoleArn: arn:aws:iam::222222222222:role/exec\n"
	vpc := staging + "    vpc: {subnets: [subnet-0a1b2c3d4e5f60718], securityGroups: [sg-0123456789abcdef0]}\n"
	isolation := staging + "    networkIsolation: true\n"
	serverless := "  staging:\n    version: 1\n    endpoint:\n      name: a-staging\n      serverless: {memorySizeMB: 2048, maxConcurrency: 5}\n"
	instances := "  staging:\n    version: 1\n    endpoint: {name: a-staging, instanceType: ml.m5.large, instanceCount: 1}\n"
	for _, c := range []struct {
		name, config, model string
		want                []string
	}{
		{name: "serverless without network settings", config: staging, model: serverless},
		{name: "instance-based in a VPC", config: vpc, model: instances},
		{name: "instance-based with network isolation", config: isolation, model: instances},
		{name: "serverless in a VPC", config: vpc, model: serverless, want: []string{
			`p/a.yaml:9:7: stages.staging.endpoint.serverless: stage "staging" runs its models in a VPC (environments[0].vpc at p/modelpromote.yaml:11:5), and SageMaker Serverless Inference does not support VPC configuration: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without a vpc`}},
		{name: "serverless with network isolation", config: isolation, model: serverless, want: []string{
			`p/a.yaml:9:7: stages.staging.endpoint.serverless: stage "staging" isolates its models from the network (environments[0].networkIsolation at p/modelpromote.yaml:11:5), and SageMaker Serverless Inference does not support network isolation: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without networkIsolation`}},
		{name: "serverless with both", config: vpc + "    networkIsolation: true\n", model: serverless, want: []string{
			`p/a.yaml:9:7: stages.staging.endpoint.serverless: stage "staging" runs its models in a VPC (environments[0].vpc at p/modelpromote.yaml:11:5), and SageMaker Serverless Inference does not support VPC configuration: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without a vpc`,
			`p/a.yaml:9:7: stages.staging.endpoint.serverless: stage "staging" isolates its models from the network (environments[0].networkIsolation at p/modelpromote.yaml:12:5), and SageMaker Serverless Inference does not support network isolation: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without networkIsolation`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := strings.Replace(goodConfig, staging, c.config, 1)
			tree := Tree{"p/modelpromote.yaml": []byte(cfg), "p/a.yaml": []byte(modelYAML("a", c.model))}
			assertProblems(t, tree, c.want)
		})
	}
	// The key stays on a serverless endpoint config.
	env := Environment{KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/k"}
	if s := ResolveSettings(env, "g", Endpoint{Serverless: &Serverless{MemorySizeMB: 2048, MaxConcurrency: 5}}); s.VolumeKMSKeyARN != env.KMSKeyARN {
		t.Errorf("serverless settings = %+v, want the environment's key", s)
	}
}
