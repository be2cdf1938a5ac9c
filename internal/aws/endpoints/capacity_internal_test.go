package endpoints

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// How an update sizes the new fleet, from the manifest's endpoint, the
// variant of the config serving and the variant running.
func TestSizingKeepsRunningCapacityOnlyOnAModelOnlyUpdate(t *testing.T) {
	canary := func(pct, inst int) manifest.Rollout {
		return manifest.Rollout{Strategy: manifest.StrategyCanary, CanaryPercent: pct, CanaryInstances: inst}
	}
	linear := manifest.Rollout{Strategy: manifest.StrategyLinear, LinearStepInstances: 1}
	ep := func(typ string, count int, r manifest.Rollout) manifest.Endpoint {
		return manifest.Endpoint{Name: "fraud", InstanceType: typ, InstanceCount: count, Rollout: r}
	}
	served := func(typ string, count int32) *types.ProductionVariant {
		return &types.ProductionVariant{VariantName: aws.String("AllTraffic"), InstanceType: types.ProductionVariantInstanceType(typ), InitialInstanceCount: aws.Int32(count)}
	}
	running := func(n int32) *types.ProductionVariantSummary {
		return &types.ProductionVariantSummary{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(n), CurrentInstanceCount: aws.Int32(n)}
	}
	serverless := manifest.Endpoint{Name: "churn", Serverless: &manifest.Serverless{MemorySizeMB: 4096, MaxConcurrency: 20}}
	for _, c := range []struct {
		name    string
		e       manifest.Endpoint
		serving *types.ProductionVariant
		running *types.ProductionVariantSummary
		kept    bool
		note    string
	}{
		{"autoscaled out, model only", ep("ml.m5.xlarge", 4, canary(25, 0)), served("ml.m5.xlarge", 4), running(7), true, "kept the 7 instances"},
		{"autoscaled in, model only", ep("ml.m5.xlarge", 4, manifest.Rollout{}), served("ml.m5.xlarge", 4), running(2), true, "kept the 2 instances"},
		{"as configured", ep("ml.m5.xlarge", 4, canary(25, 0)), served("ml.m5.xlarge", 4), running(4), true, ""},
		{"new instance type", ep("ml.m5.2xlarge", 4, manifest.Rollout{}), served("ml.m5.xlarge", 4), running(7), false, "instance type changes"},
		{"new instanceCount", ep("ml.m5.xlarge", 3, manifest.Rollout{}), served("ml.m5.xlarge", 4), running(7), false, "instanceCount changes from 4 to 3"},
		{"canary of 2 does not fit 3 running", ep("ml.m5.xlarge", 4, canary(0, 2)), served("ml.m5.xlarge", 4), running(3), false, "more than half of 3"},
		{"25% canary does not fit 1 running", ep("ml.m5.xlarge", 4, canary(25, 0)), served("ml.m5.xlarge", 4), running(1), false, "more than half of 1"},
		{"linear step of 1 is under 10% of 12", ep("ml.m5.xlarge", 4, linear), served("ml.m5.xlarge", 4), running(12), false, "not 10–50% of 12"},
		{"linear step of 1 fits 8", ep("ml.m5.xlarge", 4, linear), served("ml.m5.xlarge", 4), running(8), true, "kept the 8"},
		{"serverless", serverless, served("ml.m5.xlarge", 4), running(7), false, ""},
		{"serving config gone", ep("ml.m5.xlarge", 4, manifest.Rollout{}), nil, running(7), false, ""},
		{"serving serverless", ep("ml.m5.xlarge", 4, manifest.Rollout{}),
			&types.ProductionVariant{VariantName: aws.String("AllTraffic"), ServerlessConfig: &types.ProductionVariantServerlessConfig{}},
			&types.ProductionVariantSummary{VariantName: aws.String("AllTraffic")}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sizing(c.e, c.serving, c.running)
			if s.Kept != c.kept || c.note == "" && s.Note != "" || !strings.Contains(s.Note, c.note) {
				t.Errorf("sizing = %+v, want kept %v, note containing %q", s, c.kept, c.note)
			}
		})
	}
}
