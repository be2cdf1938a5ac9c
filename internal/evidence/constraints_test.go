package evidence

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestConstraintsEvaluateFindsTheAccuracyViolation(t *testing.T) {
	s, err := ParseStatistics(bytes.NewReader(testdata(t, "model_quality_statistics_binary.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConstraints(bytes.NewReader(testdata(t, "model_quality_constraints_binary.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ProblemType != BinaryClassification || len(c.Constraints) != 11 {
		t.Fatalf("problem %q, %d constraints", c.ProblemType, len(c.Constraints))
	}
	got := c.Evaluate(s)
	if len(got) != 1 {
		t.Fatalf("violations = %+v, want only accuracy", got)
	}
	v := got[0]
	if v.Metric != "binary_classification_metrics.accuracy" || v.Operator != LessThan || v.Threshold.Float != 0.95 || v.Value.Float != 0.9402173913043478 {
		t.Errorf("violation = %+v", v)
	}
	if want := "binary_classification_metrics.accuracy: 0.9402 < threshold 0.95 (LessThanThreshold)"; v.Message != want {
		t.Errorf("message %q, want %q", v.Message, want)
	}
}

func TestOperatorViolates(t *testing.T) {
	for _, tc := range []struct {
		op               Operator
		value, threshold float64
		want             bool
	}{
		{GreaterThan, 0.5, 0.4, true},
		{GreaterThan, 0.4, 0.4, false},
		{GreaterThanOrEqual, 0.4, 0.4, true},
		{GreaterThanOrEqual, 0.3, 0.4, false},
		{LessThan, 0.3, 0.4, true},
		{LessThan, 0.4, 0.4, false},
		{LessThanOrEqual, 0.4, 0.4, true},
		{LessThanOrEqual, 0.5, 0.4, false},
		{Operator("Bogus"), 0.5, 0.4, true},
	} {
		if got := tc.op.Violates(tc.value, tc.threshold); got != tc.want {
			t.Errorf("%s.Violates(%v, %v) = %v, want %v", tc.op, tc.value, tc.threshold, got, tc.want)
		}
	}
}

func TestConstraintsEvaluateMissingAndNonFiniteMetricsAreViolations(t *testing.T) {
	c, err := ParseConstraints(strings.NewReader(`{"regression_constraints": {
		"mae": {"threshold": 2, "comparison_operator": "GreaterThanThreshold"},
		"r2": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"},
		"rmse": {"threshold": 3, "comparison_operator": "GreaterThanOrEqualToThreshold"}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Statistics{Metrics: map[string]Metric{
		"regression_metrics.mae":  {Value: Num(math.NaN())},
		"regression_metrics.rmse": {Value: Num(2.9)},
	}}
	got := c.Evaluate(s)
	if len(got) != 2 || got[0].Metric != "regression_metrics.mae" || got[1].Metric != "regression_metrics.r2" {
		t.Fatalf("violations = %+v", got)
	}
	if !strings.Contains(got[0].Message, "cannot be checked") || !strings.Contains(got[1].Message, "missing from the statistics") {
		t.Errorf("messages: %q, %q", got[0].Message, got[1].Message)
	}
}

func TestParseConstraintsRejectsMalformedConstraints(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown operator", `{"binary_classification_constraints": {"auc": {"threshold": 0.8, "comparison_operator": "Below"}}}`, `unknown operator "Below"`},
		{"missing operator", `{"binary_classification_constraints": {"auc": {"threshold": 0.8}}}`, `unknown operator ""`},
		{"missing threshold", `{"binary_classification_constraints": {"auc": {"comparison_operator": "LessThanThreshold"}}}`, "want a finite threshold, got null"},
		{"NaN threshold", `{"binary_classification_constraints": {"auc": {"threshold": "NaN", "comparison_operator": "LessThanThreshold"}}}`, "want a finite threshold, got NaN"},
		{"threshold string", `{"binary_classification_constraints": {"auc": {"threshold": "0.8", "comparison_operator": "LessThanThreshold"}}}`, `got string "0.8"`},
		{"no constraints", `{"version": 0}`, "no constraints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConstraints(strings.NewReader(tc.doc), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "model quality constraints: ") {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDataConstraintsEvaluate(t *testing.T) {
	s, err := ParseDataStatistics(bytes.NewReader(testdata(t, "data_quality_statistics.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ItemCount.Float != 2000 || len(s.Features) != 3 {
		t.Fatalf("item count %v, %d features", s.ItemCount, len(s.Features))
	}
	if got := s.Features[1].Completeness(); got.Float != 0.965 {
		t.Errorf("customer_age completeness = %v", got)
	}
	if got := s.Features[2].String.Categories["travel"]; got != 402 {
		t.Errorf("merchant_category travel count = %v", got)
	}
	c, err := ParseDataConstraints(bytes.NewReader(testdata(t, "data_quality_constraints.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Monitoring.Distribution.ComparisonMethod != "Robust" || c.Monitoring.EvaluateConstraints != "Enabled" {
		t.Errorf("monitoring config = %+v", c.Monitoring)
	}
	if got := c.Features[2].Domains; len(got) != 3 || got[1] != "travel" {
		t.Errorf("domains = %v", got)
	}
	got := c.Evaluate(s)
	want := []struct{ feature, check string }{
		{"transaction_amount", NonNegativeCheck},
		{"customer_age", CompletenessCheck},
		{"card_present", MissingColumnCheck},
	}
	if len(got) != len(want) {
		t.Fatalf("violations = %+v", got)
	}
	for i, w := range want {
		if got[i].Feature != w.feature || got[i].Check != w.check {
			t.Errorf("violation %d = %+v, want %s %s", i, got[i], w.feature, w.check)
		}
	}
	if !strings.Contains(got[1].Message, "completeness 0.965 below the required 0.99") {
		t.Errorf("message %q", got[1].Message)
	}
}

func TestDataConstraintsEvaluateDataType(t *testing.T) {
	c := &DataConstraints{Features: []FeatureConstraint{
		{Name: "a", InferredType: "Fractional"},
		{Name: "b", InferredType: "Integral"},
	}}
	s := &DataStatistics{Features: []FeatureStatistics{
		{Name: "a", InferredType: "Integral"},
		{Name: "b", InferredType: "String"},
	}}
	got := c.Evaluate(s)
	if len(got) != 1 || got[0].Feature != "b" || got[0].Check != DataTypeCheck {
		t.Errorf("violations = %+v", got)
	}
}

func TestParseDataReportsRejectWrongTypes(t *testing.T) {
	_, err := ParseDataStatistics(strings.NewReader(`{"features": [{"name": "a", "numerical_statistics": {"min": "low"}}]}`), nil)
	if err == nil || !strings.Contains(err.Error(), "features[0].numerical_statistics.min") {
		t.Errorf("statistics err = %v", err)
	}
	_, err = ParseDataConstraints(strings.NewReader(`{"features": [{"name": "a", "num_constraints": {"is_non_negative": "yes"}}]}`), nil)
	if err == nil || !strings.Contains(err.Error(), "want true or false") {
		t.Errorf("constraints err = %v", err)
	}
	_, err = ParseDataConstraints(strings.NewReader(`{"features": [{"inferred_type": "String"}]}`), nil)
	if err == nil || !strings.Contains(err.Error(), `features[0]: missing "name"`) {
		t.Errorf("constraints err = %v", err)
	}
	_, err = ParseDataStatistics(strings.NewReader(`{"dataset": {"item_count": 1}}`), nil)
	if err == nil || !strings.Contains(err.Error(), `missing "features"`) {
		t.Errorf("statistics err = %v", err)
	}
}

func TestEvaluateWithoutStatisticsReportsEveryConstraint(t *testing.T) {
	c := &Constraints{Constraints: map[string]Constraint{"regression_metrics.mae": {Threshold: Num(1), Operator: GreaterThan}}}
	if v := c.Evaluate(nil); len(v) != 1 {
		t.Errorf("violations = %+v", v)
	}
	dc := &DataConstraints{Features: []FeatureConstraint{{Name: "a"}}}
	if v := dc.Evaluate(nil); len(v) != 1 || v[0].Check != MissingColumnCheck {
		t.Errorf("violations = %+v", v)
	}
}

// Values print as people read them, yet two different values never print
// alike: a bound missed by a hair shows the hair.
func TestReadableNumbers(t *testing.T) {
	for _, tc := range []struct {
		value, bound Number
		want         string
	}{
		{Num(0.7949999999999999), Num(0.8), "0.795 < 0.8"},
		{Num(0.84), Num(0.85), "0.84 < 0.85"},
		{Num(0.79999), Num(0.8), "0.79999 < 0.8"},
		{Num(0.8), Num(0.8), "0.8 < 0.8"},
		{Num(1234567), Num(2e6), "1.235e+06 < 2e+06"},
		{Number{}, Num(0.8), "null < 0.8"},
	} {
		v, b := Readable(tc.value, tc.bound)
		if got := v + " < " + b; got != tc.want {
			t.Errorf("Readable(%v, %v) = %q, want %q", tc.value, tc.bound, got, tc.want)
		}
	}
}
