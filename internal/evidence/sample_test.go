package evidence

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestSampleModelQualityParses(t *testing.T) {
	for _, problem := range []ProblemType{Regression, BinaryClassification, MulticlassClassification} {
		t.Run(string(problem), func(t *testing.T) {
			s, err := ParseStatistics(bytes.NewReader(SampleModelQuality(problem, nil, 0.004)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.ProblemType != problem || len(s.Metrics) != len(defaultMetrics[problem]) {
				t.Errorf("problem %q, metrics %v", s.ProblemType, keys(s.Metrics))
			}
			for name, v := range defaultMetrics[problem] {
				m := s.Metrics[problem.MetricsKey()+"."+name]
				if m.Value.Float != v || m.StdDev.Float != 0.004 {
					t.Errorf("%s = %+v, want %v ± 0.004", name, m, v)
				}
			}
			if problem != Regression && s.ConfusionMatrix == nil {
				t.Error("no confusion matrix")
			}
		})
	}
}

func TestSampleModelQualityWritesNaNStdDevAsModelMonitorDoes(t *testing.T) {
	b := SampleModelQuality(BinaryClassification, map[string]float64{"auc": 0.91}, math.NaN())
	if !bytes.Contains(b, []byte(`"standard_deviation": "NaN"`)) {
		t.Errorf("sample:\n%s", b)
	}
	s, err := ParseStatistics(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sd := s.Metrics["binary_classification_metrics.auc"].StdDev; !math.IsNaN(sd.Float) {
		t.Errorf("std dev = %v", sd)
	}
	if !bytes.Equal(b, SampleModelQuality(BinaryClassification, map[string]float64{"auc": 0.91}, math.NaN())) {
		t.Error("samples are not deterministic")
	}
}

func TestSampleConstraintsPickTheSuggestedOperator(t *testing.T) {
	c, err := ParseConstraints(bytes.NewReader(SampleConstraints(Regression, map[string]float64{"mae": 2, "r2": 0.5})), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Constraints["regression_metrics.mae"].Operator != GreaterThan || c.Constraints["regression_metrics.r2"].Operator != LessThan {
		t.Errorf("constraints = %+v", c.Constraints)
	}
	s, _ := ParseStatistics(bytes.NewReader(SampleModelQuality(Regression, map[string]float64{"mae": 2.5, "r2": 0.6}, 0.01)), nil)
	if v := c.Evaluate(s); len(v) != 1 || v[0].Metric != "regression_metrics.mae" {
		t.Errorf("violations = %+v", v)
	}
}

func TestSampleClarifyRoundTrips(t *testing.T) {
	bias := map[string]float64{
		"bias.post_training.DI":                0.91,
		"bias.post_training.DI[sex=male]":      1.31,
		`bias.pre_training.CI[age="(40, 93]"]`: -0.08,
		"bias.post_training.DPPL[sex=female]":  0.02,
		"bias.post_training.TE[sex=male]":      math.Inf(1),
	}
	shap := map[string]float64{"amount": 0.09, "merchant": 0.05}
	a, err := ParseClarify(bytes.NewReader(SampleClarify(bias, shap)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"bias.post_training.DI[sex=female]":    0.91,
		"bias.post_training.DI[sex=male]":      1.31,
		`bias.pre_training.CI[age="(40, 93]"]`: -0.08,
		"bias.post_training.DPPL[sex=female]":  0.02,
		"bias.post_training.TE[sex=male]":      math.Inf(1),
	}
	if len(a.Metrics) != len(want) {
		t.Errorf("metrics = %v", keys(a.Metrics))
	}
	for p, v := range want {
		if m := a.Metrics[p]; m.Value.Float != v || m.Description == "" {
			t.Errorf("%s = %+v, want %v", p, m, v)
		}
	}
	if top := a.SHAP["label0"].Top(1); len(top) != 1 || top[0].Feature != "amount" {
		t.Errorf("SHAP top = %+v", top)
	}
}

func TestSampleClarifyPanicsOnABadPath(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	SampleClarify(map[string]float64{"regression_metrics.mae": 1}, nil)
}

func TestSampleModelCardParses(t *testing.T) {
	c, err := ParseModelCard(bytes.NewReader(SampleModelCard("fraud-detector", RiskMedium, map[string]float64{"auc": 0.91, "f1": 0.66})), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Overview.ModelName != "fraud-detector" || c.IntendedUses.RiskRating != RiskMedium || len(c.Evaluations) != 1 {
		t.Fatalf("card = %+v", c)
	}
	m := c.Evaluations[0].Metrics
	if len(m) != 2 || m[0].Name != "auc" || m[0].Value.Float != 0.91 || m[1].Name != "f1" {
		t.Errorf("metrics = %+v", m)
	}
}

func TestSampleDataQualityRoundTrips(t *testing.T) {
	want, err := ParseDataStatistics(bytes.NewReader(testdata(t, "data_quality_statistics.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDataStatistics(bytes.NewReader(SampleDataStatistics(*want)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	wantC, err := ParseDataConstraints(bytes.NewReader(testdata(t, "data_quality_constraints.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	gotC, err := ParseDataConstraints(bytes.NewReader(SampleDataConstraints(*wantC)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotC, wantC) {
		t.Errorf("round trip:\n got %+v\nwant %+v", gotC, wantC)
	}
	if v := gotC.Evaluate(got); len(v) != 3 {
		t.Errorf("violations = %+v", v)
	}
	defaults, err := ParseDataConstraints(bytes.NewReader(SampleDataConstraints(DataConstraints{Features: []FeatureConstraint{{Name: "a", InferredType: "Integral", Completeness: Num(1)}}})), nil)
	if err != nil || defaults.Monitoring.Distribution.ComparisonMethod != "Robust" {
		t.Errorf("defaults = %+v, %v", defaults, err)
	}
}
