package policy

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

func TestStageOrderFollowsAfter(t *testing.T) {
	cfg := &manifest.Config{Environments: []manifest.Environment{
		{Name: "prod", After: "preprod"},
		{Name: "staging"},
		{Name: "preprod", After: "staging"},
		{Name: "sandbox"},
	}}
	got := StageOrder(cfg)
	want := []string{"staging", "sandbox", "preprod", "prod"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if Rank(cfg, "prod") != 3 || Rank(cfg, "nope") != -1 {
		t.Errorf("rank wrong")
	}
	if got := Next(cfg, "staging"); !reflect.DeepEqual(got, []string{"preprod"}) {
		t.Errorf("next(staging) = %v", got)
	}
}

func f(v float64) *float64 { return &v }

func TestEvaluateThresholds(t *testing.T) {
	cases := []struct {
		name      string
		th        manifest.Threshold
		candidate float64
		live      *float64
		want      []string // rule:pass|fail|skip
		detail    string   // substring of the failing verdict's detail
	}{
		{"min met", manifest.Threshold{Metric: "binary_classification_metrics.auc", Min: f(0.8)}, 0.85, nil, []string{"min:pass"}, ""},
		{"min met exactly", manifest.Threshold{Metric: "binary_classification_metrics.auc", Min: f(0.8)}, 0.8, nil, []string{"min:pass"}, ""},
		{"min broken", manifest.Threshold{Metric: "binary_classification_metrics.auc", Min: f(0.8)}, 0.79, nil, []string{"min:fail"}, "0.79 < min 0.8"},
		{"max broken", manifest.Threshold{Metric: "regression_metrics.rmse", Max: f(3)}, 3.5, nil, []string{"max:fail"}, "3.5 > max 3"},
		{"between", manifest.Threshold{Metric: "bias.post_training.DI", Between: []float64{0.8, 1.25}}, 1.3, nil, []string{"between:fail"}, "outside [0.8, 1.25]"},
		{"regression skipped on first deploy", manifest.Threshold{Metric: "binary_classification_metrics.auc", MaxRegression: f(0.01)}, 0.5, nil, []string{"maxRegression:skip"}, ""},
		{"regression within bound (float noise)", manifest.Threshold{Metric: "binary_classification_metrics.auc", MaxRegression: f(0.01)}, 0.90, f(0.91), []string{"maxRegression:pass"}, ""},
		{"regression beyond bound", manifest.Threshold{Metric: "binary_classification_metrics.auc", MaxRegression: f(0.01)}, 0.88, f(0.91), []string{"maxRegression:fail"}, "regression 0.03 > allowed 0.01"},
		{"improvement is no regression", manifest.Threshold{Metric: "binary_classification_metrics.auc", MaxRegression: f(0)}, 0.95, f(0.91), []string{"maxRegression:pass"}, ""},
		{"lower is better: rmse up is a regression", manifest.Threshold{Metric: "regression_metrics.rmse", MaxRelativeRegression: f(0.05)}, 2.2, f(2.0), []string{"maxRelativeRegression:fail"}, "relative regression 10.00% > allowed 5.00%"},
		{"lower is better: rmse down passes", manifest.Threshold{Metric: "regression_metrics.rmse", MaxRelativeRegression: f(0.05)}, 1.5, f(2.0), []string{"maxRelativeRegression:pass"}, ""},
		{"explicit direction", manifest.Threshold{Metric: "binary_classification_metrics.custom", Better: "lower", MaxRegression: f(0.1)}, 0.5, f(0.3), []string{"maxRegression:fail"}, ""},
		{"relative from zero", manifest.Threshold{Metric: "binary_classification_metrics.recall", MaxRelativeRegression: f(0.05)}, -0.1, f(0), []string{"maxRelativeRegression:fail"}, "unbounded"},
		{"NaN candidate fails", manifest.Threshold{Metric: "binary_classification_metrics.auc", Min: f(0.8)}, math.NaN(), nil, []string{"value:fail"}, "not a number"},
		{"several bounds", manifest.Threshold{Metric: "binary_classification_metrics.auc", Min: f(0.8), MaxRegression: f(0.01)}, 0.85, f(0.9), []string{"min:pass", "maxRegression:fail"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := Evaluate(c.th, c.candidate, c.live)
			var got []string
			for _, v := range vs {
				state := "pass"
				switch {
				case v.Skipped:
					state = "skip"
				case !v.Pass:
					state = "fail"
					if c.detail != "" && !strings.Contains(v.Detail, c.detail) {
						t.Errorf("detail %q does not contain %q", v.Detail, c.detail)
					}
				}
				got = append(got, v.Rule+":"+state)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("verdicts = %v, want %v", got, c.want)
			}
			wantPass := !strings.Contains(strings.Join(c.want, " "), "fail")
			if Passed(vs) != wantPass {
				t.Errorf("Passed = %v, want %v", Passed(vs), wantPass)
			}
		})
	}
}
