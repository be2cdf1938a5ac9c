package evidence

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseClarifyFlattensBiasMetrics(t *testing.T) {
	a, err := ParseClarify(bytes.NewReader(testdata(t, "clarify_bias_analysis.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.PreTraining == nil || a.PostTraining == nil || a.SHAP != nil {
		t.Fatalf("analysis = %+v", a)
	}
	if a.PostTraining.Label != "fraud" || a.PostTraining.LabelValueOrThreshold != "1" || len(a.PostTraining.Groups) != 2 {
		t.Errorf("post-training report = %+v", a.PostTraining)
	}
	for path, want := range map[string]float64{
		"bias.post_training.DI[sex=female]":              0.9178,
		`bias.post_training.DI[customer_age="(40, 93]"]`: 1.3104,
		"bias.pre_training.CI[sex=female]":               0.0394,
	} {
		if m := a.Metrics[path]; m.Value.Float != want || m.Path != path {
			t.Errorf("%s = %+v, want %v (have %v)", path, m, want, keys(a.Metrics))
		}
	}
	if m := a.Metrics["bias.post_training.TE[sex=female]"]; !math.IsNaN(m.Value.Float) {
		t.Errorf("TE = %+v, want NaN", m)
	}
	if m := a.Metrics[`bias.post_training.TE[customer_age="(40, 93]"]`]; !math.IsInf(m.Value.Float, 1) {
		t.Errorf("TE = %+v, want +Inf", m)
	}
	cddl := a.PreTraining.Groups[0].Metrics[0]
	if cddl.Name != "CDDL" || cddl.Value.Set || cddl.Error != "Group variable is empty or not provided" {
		t.Errorf("CDDL = %+v, want unset value with error", cddl)
	}
	if m, ok := a.Metrics["bias.pre_training.CDDL[sex=female]"]; !ok || m.Value.Set {
		t.Errorf("flattened CDDL = %+v, %v", m, ok)
	}
}

func TestSelectUnqualifiedBiasPathSelectsEveryFacetGroup(t *testing.T) {
	a, err := ParseClarify(bytes.NewReader(testdata(t, "clarify_bias_analysis.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Select(a.Metrics, "bias.post_training.DI")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range got {
		paths = append(paths, m.Path)
	}
	want := []string{`bias.post_training.DI[customer_age="(40, 93]"]`, "bias.post_training.DI[sex=female]"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("selected %q, want %q", paths, want)
	}
	one, err := Select(a.Metrics, "bias.post_training.DI[sex=female]")
	if err != nil || len(one) != 1 || one[0].Value.Float != 0.9178 {
		t.Errorf("qualified select = %+v, %v", one, err)
	}
	if _, err := Select(a.Metrics, "bias.post_training.XYZ"); !errors.Is(err, ErrNoMetric) {
		t.Errorf("select of a missing metric: err = %v, want ErrNoMetric", err)
	}
	if _, err := Select(a.Metrics, "bias.post_training.DI[sex=male]"); !errors.Is(err, ErrNoMetric) {
		t.Errorf("select of a missing facet group: err = %v, want ErrNoMetric", err)
	}
}

func TestParsePathRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Path
	}{
		{"binary_classification_metrics.auc", Path{Group: "binary_classification_metrics", Metric: "auc"}},
		{"bias.post_training.DI", Path{Group: "bias.post_training", Metric: "DI"}},
		{"bias.post_training.DI[sex=female]", Path{Group: "bias.post_training", Metric: "DI", Qualified: true, Facet: "sex", FacetValue: "female"}},
		{`bias.pre_training.CI[age="(40, 50]"]`, Path{Group: "bias.pre_training", Metric: "CI", Qualified: true, Facet: "age", FacetValue: "(40, 50]"}},
		{`bias.pre_training.CI["a=b"="x\"y"]`, Path{Group: "bias.pre_training", Metric: "CI", Qualified: true, Facet: "a=b", FacetValue: `x"y`}},
		{`bias.pre_training.CI[age=""]`, Path{Group: "bias.pre_training", Metric: "CI", Qualified: true, Facet: "age"}},
		{"bias.pre_training.CI[income band=50k-100k]", Path{Group: "bias.pre_training", Metric: "CI", Qualified: true, Facet: "income band", FacetValue: "50k-100k"}},
	} {
		got, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParsePath(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("String() = %q, want %q", s, tc.in)
		}
	}
}

func TestParsePathRejectsMalformedPaths(t *testing.T) {
	for _, in := range []string{
		"auc", ".auc", "binary_classification_metrics.", "a..b", "bias.post_training.D I",
		"bias.post_training.DI[sex]", "bias.post_training.DI[sex=female", "bias.post_training.DI[sex=female]x",
		"bias.post_training.DI[=female]", `bias.post_training.DI["sex=female]`, "bias.post_training.DI[ sex=female]",
	} {
		if p, err := ParsePath(in); err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", in, p)
		}
	}
}

func TestSHAPTopOrdersByMagnitude(t *testing.T) {
	a, err := ParseClarify(bytes.NewReader(testdata(t, "clarify_explainability_analysis.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := a.SHAP["label0"]
	if !ok || s.ExpectedValue.Float != 0.0417 || len(s.Values) != 12 {
		t.Fatalf("SHAP = %+v", a.SHAP)
	}
	top := s.Top(10)
	want := []string{
		"transaction_amount", "merchant_category", "hour_of_day", "distance_from_home", "card_present",
		"txn_count_24h", "country_mismatch", "customer_age", "avg_amount_30d", "device_age_days",
	}
	if len(top) != 10 {
		t.Fatalf("top = %+v", top)
	}
	for i, a := range top {
		if a.Feature != want[i] || a.Rank != i+1 {
			t.Errorf("top[%d] = %+v, want %s rank %d", i, a, want[i], i+1)
		}
	}
	if top[4].Value != -0.0301 {
		t.Errorf("card_present keeps its sign: %+v", top[4])
	}
	if all := s.Top(0); len(all) != 12 {
		t.Errorf("Top(0) gave %d features, want all 12", len(all))
	}
}

func TestSHAPTopBreaksTiesByName(t *testing.T) {
	s := SHAP{Values: map[string]float64{"b": 0.1, "a": -0.1, "c": 0.2}}
	got := s.Top(3)
	if got[0].Feature != "c" || got[1].Feature != "a" || got[2].Feature != "b" {
		t.Errorf("top = %+v", got)
	}
}

func TestShiftSHAP(t *testing.T) {
	old := SHAP{Values: map[string]float64{"amount": 0.09, "merchant": 0.05, "hour": 0.04, "age": 0.02, "legacy_score": 0.03}}
	cur := SHAP{Values: map[string]float64{"amount": 0.06, "merchant": 0.07, "hour": 0.01, "age": 0.02, "device": 0.05}}
	got := ShiftSHAP(old, cur, 3)
	want := []Shift{
		{Feature: "merchant", Old: Num(0.05), New: Num(0.07), OldRank: 2, NewRank: 1, RankChange: 1},
		{Feature: "amount", Old: Num(0.09), New: Num(0.06), OldRank: 1, NewRank: 2, RankChange: -1},
		{Feature: "device", New: Num(0.05), NewRank: 3},
		{Feature: "hour", Old: Num(0.04), New: Num(0.01), OldRank: 3, NewRank: 5, RankChange: -2},
	}
	if len(got) != len(want) {
		t.Fatalf("shift = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if w.Old.Set && w.New.Set {
			w.Delta = Num(w.New.Float - w.Old.Float)
		}
		if g != w {
			t.Errorf("shift[%d] = %+v, want %+v", i, g, w)
		}
	}
	// A feature that left the explanation sorts after those still in it.
	all := ShiftSHAP(old, cur, 0)
	last := all[len(all)-1]
	if last.Feature != "legacy_score" || last.NewRank != 0 || last.New.Set || last.OldRank != 3+1 {
		t.Errorf("last = %+v", last)
	}
}

func TestParseClarifyRejectsMalformedAnalyses(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"nothing", `{"version": "1.0"}`, "no pre_training_bias_metrics"},
		{"facets not an object", `{"post_training_bias_metrics": {"label": "y", "facets": []}}`, "post_training_bias_metrics.facets: want an object"},
		{"missing facets", `{"post_training_bias_metrics": {"label": "y"}}`, `post_training_bias_metrics: missing "facets"`},
		{"value junk", `{"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "f", "metrics": [{"name": "DI", "value": "big"}]}]}}}`, `post_training_bias_metrics.facets.sex[0].metrics[0].value: want a number`},
		{"missing value", `{"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "f", "metrics": [{"name": "DI"}]}]}}}`, `missing "value"`},
		{"missing name", `{"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "f", "metrics": [{"value": 1}]}]}}}`, `missing "name"`},
		{"odd name", `{"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "f", "metrics": [{"name": "D.I", "value": 1}]}]}}}`, `not a plain name`},
		{"duplicate group", `{"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "f", "metrics": [{"name": "DI", "value": 1}]}, {"value_or_threshold": "f", "metrics": [{"name": "DI", "value": 2}]}]}}}`, "appears twice"},
		{"shap NaN", `{"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"a": "NaN"}}}}}`, "want a finite SHAP value"},
		{"shap missing", `{"explanations": {"kernel_shap": {"label0": {"expected_value": 0.1}}}}`, `missing "global_shap_values"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseClarify(strings.NewReader(tc.doc), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "clarify analysis: ") {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseClarifyAcceptsNumericThresholds(t *testing.T) {
	doc := `{"pre_training_bias_metrics": {"label": "income", "label_value_or_threshold": 50000,
	  "facets": {"age": [{"value_or_threshold": 40, "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": 0.1}]}]}}}`
	a, err := ParseClarify(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Metrics["bias.pre_training.CI[age=40]"]; !ok || a.PreTraining.LabelValueOrThreshold != "50000" {
		t.Errorf("metrics %v, report %+v", keys(a.Metrics), a.PreTraining)
	}
}

func TestParseClarifyJoinsValueListsWithCommas(t *testing.T) {
	doc := `{"post_training_bias_metrics": {"label": "y", "label_value_or_threshold": [1, 2],
	  "facets": {"region": [{"value_or_threshold": ["north", "east"], "metrics": [{"name": "DI", "value": 0.9}]}]}}}`
	a, err := ParseClarify(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Metrics["bias.post_training.DI[region=north,east]"]; !ok || a.PostTraining.LabelValueOrThreshold != "1,2" {
		t.Errorf("metrics %v, report %+v", keys(a.Metrics), a.PostTraining)
	}
}
