package drift_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	key     = "arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"
	other   = "arn:aws:kms:eu-west-1:333333333333:key/00000000-aaaa-bbbb-cccc-ddddeeeeffff"
	capture = "s3://acme-ml-artifacts-prod/fraud-detector/data-capture/fraud-detector"
)

// prodEnv and prodEndpoint are the example's guarded prod, with every
// setting an endpoint can have.
var prodEnv = manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1", ArtifactBucket: "acme-ml-artifacts-prod", KMSKeyARN: key,
	VPC:              &manifest.VPC{Subnets: []string{"subnet-0a1b2c3d4e5f60718", "subnet-1b2c3d4e5f6071829"}, SecurityGroups: []string{"sg-0123456789abcdef0"}},
	NetworkIsolation: true, Tags: map[string]string{"CostCenter": "4711", "DataClassification": "confidential"}}

var prodEndpoint = manifest.Endpoint{Name: "fraud-detector", InstanceType: "ml.m5.xlarge", InstanceCount: 4, Tags: map[string]string{"Team": "fraud"},
	DataCapture: &manifest.DataCapture{SamplingPercent: 20, Capture: []string{"input", "output"}},
	Autoscaling: &manifest.Autoscaling{MinInstances: 2, MaxInstances: 8, TargetInvocationsPerInstance: 700, ScaleInCooldownSeconds: 300, ScaleOutCooldownSeconds: 60}}

// asApplied is what apply leaves in the account for prodEndpoint.
func asApplied() *plan.Configured {
	tags := map[string]string{"CostCenter": "4711", "DataClassification": "confidential", "Team": "fraud"}
	withProvenance := map[string]string{"CostCenter": "4711", "DataClassification": "confidential", "Team": "fraud", "modelpromote:merge-sha": "abc"}
	return &plan.Configured{
		Variant: &plan.ConfiguredVariant{InstanceType: "ml.m5.xlarge"},
		// AWS lists the subnets in its own order.
		VPC:              &manifest.VPC{Subnets: []string{"subnet-1b2c3d4e5f6071829", "subnet-0a1b2c3d4e5f60718"}, SecurityGroups: []string{"sg-0123456789abcdef0"}},
		NetworkIsolation: true, VolumeKMSKeyARN: key,
		DataCapture: &plan.ConfiguredCapture{SamplingPercent: 20, Capture: []string{"output", "input"}, DestinationURI: capture, KMSKeyARN: key},
		Autoscaling: &plan.ConfiguredScaling{MinInstances: 2, MaxInstances: 8, Policy: true, TargetInvocationsPerInstance: 700, ScaleInCooldownSeconds: 300, ScaleOutCooldownSeconds: 60},
		Tags:        map[string]map[string]string{"endpoint fraud-detector": tags, "endpoint config fraud-detector-v12-abc": withProvenance, "model fraud-detector-v12-abc": maps.Clone(withProvenance)},
	}
}

func TestCompareSettings(t *testing.T) {
	want := plan.DeployFor(prodEnv, "fraud-detector", prodEndpoint)
	cases := []struct {
		name   string
		change func(*plan.Configured)
		want   []plan.SettingDrift // nil: no drift
	}{
		{"as applied", func(*plan.Configured) {}, nil},
		{"data capture turned off", func(c *plan.Configured) { c.DataCapture = nil },
			[]plan.SettingDrift{{Setting: "dataCapture", Manifest: "20% of input and output to " + capture + ", key " + key, Account: "off"}}},
		{"data capture sampling lowered", func(c *plan.Configured) { c.DataCapture.SamplingPercent = 5 },
			[]plan.SettingDrift{{Setting: "dataCapture", Manifest: "20% of input and output to " + capture + ", key " + key, Account: "5% of input and output to " + capture + ", key " + key}}},
		{"data capture of input only, elsewhere, unencrypted", func(c *plan.Configured) {
			c.DataCapture = &plan.ConfiguredCapture{SamplingPercent: 20, Capture: []string{"input"}, DestinationURI: "s3://elsewhere/capture"}
		}, []plan.SettingDrift{{Setting: "dataCapture", Manifest: "20% of input and output to " + capture + ", key " + key, Account: "20% of input to s3://elsewhere/capture, key none"}}},
		{"autoscaling removed", func(c *plan.Configured) { c.Autoscaling = nil },
			[]plan.SettingDrift{{Setting: "autoscaling", Manifest: "2–8 instances tracking 700 invocations per instance per minute, scale-in cooldown 300s, scale-out cooldown 60s", Account: "none"}}},
		{"autoscaling bounds changed", func(c *plan.Configured) { c.Autoscaling.MaxInstances = 20 },
			[]plan.SettingDrift{{Setting: "autoscaling", Manifest: "2–8 instances tracking 700 invocations per instance per minute, scale-in cooldown 300s, scale-out cooldown 60s",
				Account: "2–20 instances tracking 700 invocations per instance per minute, scale-in cooldown 300s, scale-out cooldown 60s"}}},
		{"autoscaling policy deleted", func(c *plan.Configured) { c.Autoscaling.Policy = false },
			[]plan.SettingDrift{{Setting: "autoscaling", Manifest: "2–8 instances tracking 700 invocations per instance per minute, scale-in cooldown 300s, scale-out cooldown 60s",
				Account: "2–8 instances, no target tracking on invocations per instance"}}},
		{"another VPC", func(c *plan.Configured) {
			c.VPC = &manifest.VPC{Subnets: []string{"subnet-99999999"}, SecurityGroups: []string{"sg-0123456789abcdef0"}}
		},
			[]plan.SettingDrift{{Setting: "vpc", Manifest: "subnets subnet-0a1b2c3d4e5f60718, subnet-1b2c3d4e5f6071829; security groups sg-0123456789abcdef0",
				Account: "subnets subnet-99999999; security groups sg-0123456789abcdef0"}}},
		{"network isolation off", func(c *plan.Configured) { c.NetworkIsolation = false },
			[]plan.SettingDrift{{Setting: "networkIsolation", Manifest: "on", Account: "off"}}},
		{"another volume key", func(c *plan.Configured) { c.VolumeKMSKeyARN = other },
			[]plan.SettingDrift{{Setting: "volumeKmsKey", Manifest: key, Account: other}}},
		{"no volume key", func(c *plan.Configured) { c.VolumeKMSKeyARN = "" },
			[]plan.SettingDrift{{Setting: "volumeKmsKey", Manifest: key, Account: "none"}}},
		{"a required tag removed from the endpoint, another changed on the model", func(c *plan.Configured) {
			delete(c.Tags["endpoint fraud-detector"], "CostCenter")
			c.Tags["model fraud-detector-v12-abc"]["Team"] = "ops"
		}, []plan.SettingDrift{
			{Setting: "tags", Resource: "endpoint fraud-detector", Manifest: "CostCenter=4711", Account: "CostCenter missing"},
			{Setting: "tags", Resource: "model fraud-detector-v12-abc", Manifest: "Team=fraud", Account: "Team=ops"},
		}},
		{"tags of someone's own and the provenance are not drift", func(c *plan.Configured) {
			c.Tags["endpoint fraud-detector"]["Owner"] = "alice"
			delete(c.Tags["model fraud-detector-v12-abc"], "modelpromote:merge-sha")
		}, nil},
		{"another instance type", func(c *plan.Configured) { c.Variant.InstanceType = "ml.m5.large" },
			[]plan.SettingDrift{{Setting: "instanceType", Manifest: "ml.m5.xlarge", Account: "ml.m5.large"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			have := asApplied()
			c.change(have)
			got := drift.CompareSettings(want, have)
			if !equal(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func equal(a, b []plan.SettingDrift) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return len(a) == len(b) && (len(a) == 0 || string(ja) == string(jb))
}

// A serverless endpoint and an asynchronous one, each as applied and
// changed by hand.
func TestCompareServerlessAndAsyncSettings(t *testing.T) {
	staging := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1", ArtifactBucket: "acme-ml-artifacts-staging", KMSKeyARN: key}
	sl := manifest.Endpoint{Name: "churn-staging", Serverless: &manifest.Serverless{MemorySizeMB: 2048, MaxConcurrency: 10}}
	applied := func() *plan.Configured {
		return &plan.Configured{Variant: &plan.ConfiguredVariant{Serverless: &manifest.Serverless{MemorySizeMB: 2048, MaxConcurrency: 10}}, VolumeKMSKeyARN: key}
	}
	want := plan.DeployFor(staging, "churn", sl)
	if got := drift.CompareSettings(want, applied()); len(got) != 0 {
		t.Errorf("serverless as applied: %+v", got)
	}
	c := applied()
	c.Variant.Serverless.MaxConcurrency = 50
	if got := drift.CompareSettings(want, c); !equal(got, []plan.SettingDrift{{Setting: "serverless", Manifest: "2048 MB, up to 10 concurrent", Account: "2048 MB, up to 50 concurrent"}}) {
		t.Errorf("serverless concurrency raised: %+v", got)
	}
	c = applied()
	c.Variant = &plan.ConfiguredVariant{InstanceType: "ml.m5.large"}
	if got := drift.CompareSettings(want, c); !equal(got, []plan.SettingDrift{{Setting: "serverless", Manifest: "2048 MB, up to 10 concurrent", Account: "none (instances)"}}) {
		t.Errorf("serverless replaced by instances: %+v", got)
	}

	as := manifest.Endpoint{Name: "churn-async", InstanceType: "ml.m5.large", InstanceCount: 1, Async: &manifest.Async{NotifyErrorTopic: "arn:aws:sns:eu-west-1:222222222222:churn-errors"}}
	out := "s3://acme-ml-artifacts-staging/churn/async/churn-async"
	applied = func() *plan.Configured {
		// SageMaker chose the concurrency the manifest leaves to it.
		return &plan.Configured{Variant: &plan.ConfiguredVariant{InstanceType: "ml.m5.large"}, VolumeKMSKeyARN: key,
			Async: &plan.ConfiguredAsync{OutputURI: out, KMSKeyARN: key, MaxConcurrentInvocationsPerInstance: 4, NotifyErrorTopic: "arn:aws:sns:eu-west-1:222222222222:churn-errors"}}
	}
	want = plan.DeployFor(staging, "churn", as)
	if got := drift.CompareSettings(want, applied()); len(got) != 0 {
		t.Errorf("async as applied: %+v", got)
	}
	c = applied()
	c.Async.KMSKeyARN = ""
	if got := drift.CompareSettings(want, c); len(got) != 1 || got[0].Setting != "async" || !strings.Contains(got[0].Manifest, "key "+key) || !strings.Contains(got[0].Account, "key none") {
		t.Errorf("async output unencrypted: %+v", got)
	}
	// Autoscaling someone registered on an endpoint the manifest does not
	// scale: the manifest says none.
	c = applied()
	c.Autoscaling = &plan.ConfiguredScaling{MinInstances: 1, MaxInstances: 3}
	if got := drift.CompareSettings(want, c); !equal(got, []plan.SettingDrift{{Setting: "autoscaling", Manifest: "none", Account: "1–3 instances, no target tracking on invocations per instance"}}) {
		t.Errorf("autoscaling added by hand: %+v", got)
	}
}

// The report, as `drift` prints it and as JSON: golden files.
func TestReportRenderings(t *testing.T) {
	r := &drift.Report{Verdict: drift.VerdictDrift, Checked: 4, Read: 3,
		Drift: []plan.Drift{
			{Model: "fraud-detector", Stage: "prod", Endpoint: "fraud-detector", Manifest: 12, Serving: 12,
				Detail:   "dataCapture of endpoint fraud-detector changed outside modelpromote: the manifests say 20% of input and output to " + capture + ", key " + key + ", the account has off",
				Settings: []plan.SettingDrift{{Setting: "dataCapture", Manifest: "20% of input and output to " + capture + ", key " + key, Account: "off"}}},
			{Model: "fraud-detector", Stage: "staging", Endpoint: "fraud-detector-staging", Manifest: 13, Serving: 14,
				Detail: "the manifest says staging runs v13, but endpoint fraud-detector-staging serves v14 (since 2026-12-07 10:00 UTC); and 2 settings of endpoint fraud-detector-staging changed outside modelpromote: autoscaling, tags",
				Settings: []plan.SettingDrift{{Setting: "autoscaling", Manifest: "1–4 instances tracking 500 invocations per instance per minute, scale-in cooldown 0s, scale-out cooldown 0s", Account: "none"},
					{Setting: "tags", Resource: "endpoint fraud-detector-staging", Manifest: "CostCenter=4711", Account: "CostCenter missing"}}},
		},
		Unread: []drift.Unread{{Model: "churn-predictor", Stage: "prod", Endpoint: "churn-predictor", Error: "describe scalable target endpoint/churn-predictor/variant/Primary: AccessDeniedException"}},
	}
	var out, errOut bytes.Buffer
	r.WriteText(&out, &errOut)
	golden(t, "report.txt", out.String()+"--- stderr\n"+errOut.String())
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", string(js)+"\n")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}
