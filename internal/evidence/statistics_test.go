package evidence

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStatisticsReadsModelMonitorBinaryReport(t *testing.T) {
	s, err := ParseStatistics(bytes.NewReader(testdata(t, "model_quality_statistics_binary.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ProblemType != BinaryClassification {
		t.Errorf("ProblemType = %q", s.ProblemType)
	}
	if got := s.ItemCount; !got.Finite() || got.Float != 184 {
		t.Errorf("ItemCount = %v", got)
	}
	auc, ok := s.Metrics["binary_classification_metrics.auc"]
	if !ok {
		t.Fatalf("no auc in %v", keys(s.Metrics))
	}
	if auc.Path != "binary_classification_metrics.auc" || auc.Value.Float != 0.9114583333333334 {
		t.Errorf("auc = %+v", auc)
	}
	if !auc.StdDev.Set || !math.IsNaN(auc.StdDev.Float) || auc.StdDev.Finite() {
		t.Errorf(`auc std dev = %+v, want NaN from "NaN"`, auc.StdDev)
	}
	if len(s.Metrics) != 17 {
		t.Errorf("%d scalar metrics, want 17: %v", len(s.Metrics), keys(s.Metrics))
	}
	for _, nonScalar := range []string{"confusion_matrix", "receiver_operating_characteristic_curve", "precision_recall_curve"} {
		if _, ok := s.Metrics["binary_classification_metrics."+nonScalar]; ok {
			t.Errorf("%s is in the scalar metrics", nonScalar)
		}
	}
	if got := s.ConfusionMatrix["1"]["1"]; got != 12 {
		t.Errorf("confusion matrix [1][1] = %v, want 12", got)
	}
	roc := s.Curves["binary_classification_metrics.receiver_operating_characteristic_curve"]
	if len(roc["true_positive_rates"]) != 6 || roc["true_positive_rates"][3] != 0.75 {
		t.Errorf("ROC curve = %v", roc)
	}
	if pr := s.Curves["binary_classification_metrics.precision_recall_curve"]; len(pr["recalls"]) != 5 {
		t.Errorf("PR curve = %v", pr)
	}
}

func TestParseStatisticsReadsRegressionAndMulticlassReports(t *testing.T) {
	for _, tc := range []struct {
		file    string
		problem ProblemType
		path    string
		value   float64
		stdDev  float64
	}{
		{"model_quality_statistics_regression.json", Regression, "regression_metrics.rmse", 2.166630556399398, 0.030033018237066036},
		{"model_quality_statistics_multiclass.json", MulticlassClassification, "multiclass_classification_metrics.weighted_f1", 0.6571162346664904, 0.004385008075019733},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, err := ParseStatistics(bytes.NewReader(testdata(t, tc.file)), nil)
			if err != nil {
				t.Fatal(err)
			}
			m := s.Metrics[tc.path]
			if s.ProblemType != tc.problem || m.Value.Float != tc.value || m.StdDev.Float != tc.stdDev || !m.StdDev.Finite() {
				t.Errorf("problem %q, %s = %+v", s.ProblemType, tc.path, m)
			}
		})
	}
}

func TestParseStatisticsStandardDeviationForms(t *testing.T) {
	for _, tc := range []struct {
		json    string
		set     bool
		nan     bool
		inf     int
		finite  bool
		wantVal float64
	}{
		{`0.0123`, true, false, 0, true, 0.0123},
		{`"NaN"`, true, true, 0, false, 0},
		{`"Infinity"`, true, false, 1, false, 0},
		{`"-Infinity"`, true, false, -1, false, 0},
		{`null`, false, false, 0, false, 0},
	} {
		t.Run(tc.json, func(t *testing.T) {
			doc := `{"regression_metrics": {"mae": {"value": 1.5, "standard_deviation": ` + tc.json + `}}}`
			s, err := ParseStatistics(strings.NewReader(doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			sd := s.Metrics["regression_metrics.mae"].StdDev
			if sd.Set != tc.set || math.IsNaN(sd.Float) != tc.nan || sd.Finite() != tc.finite ||
				(tc.inf != 0 && !math.IsInf(sd.Float, tc.inf)) || (tc.finite && sd.Float != tc.wantVal) {
				t.Errorf("std dev = %+v", sd)
			}
		})
	}
	s, err := ParseStatistics(strings.NewReader(`{"regression_metrics": {"mae": {"value": 1.5}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sd := s.Metrics["regression_metrics.mae"].StdDev; sd.Set {
		t.Errorf("absent std dev = %+v, want unset", sd)
	}
}

func TestParseStatisticsRejectsMalformedReports(t *testing.T) {
	for _, tc := range []struct {
		name, doc  string
		want       string // in the message
		line, col  int
		path       string
		wantOffset bool
	}{
		{"not an object", `[1, 2]`, "want an object, got an array", 1, 1, "", true},
		{"no metrics", `{"version": 0.0, "dataset": {"item_count": 3}}`, "no metrics", 1, 1, "", true},
		{"group not an object", `{"binary_classification_metrics": [1]}`, "want an object", 1, 35, "binary_classification_metrics", true},
		{"value is a string", "{\n  \"binary_classification_metrics\": {\n    \"auc\": {\"value\": \"high\"}\n  }\n}", `got string "high"`, 3, 22, "binary_classification_metrics.auc.value", true},
		{"value is a bool", `{"regression_metrics": {"mae": {"value": true}}}`, "got true", 1, 42, "regression_metrics.mae.value", true},
		{"std dev is junk", `{"regression_metrics": {"mae": {"value": 1, "standard_deviation": "n/a"}}}`, `"NaN"`, 1, 67, "regression_metrics.mae.standard_deviation", true},
		{"missing value", `{"regression_metrics": {"mae": {"standard_deviation": 0.1}}}`, `missing "value"`, 1, 32, "regression_metrics.mae", true},
		{"bare number metric", `{"regression_metrics": {"mae": 0.37}}`, `want a metric`, 1, 32, "regression_metrics.mae", true},
		{"confusion matrix of strings", `{"binary_classification_metrics": {"confusion_matrix": {"0": {"0": "x"}}}}`, "got string", 1, 68, `binary_classification_metrics.confusion_matrix.0.0`, true},
		{"curve of strings", `{"binary_classification_metrics": {"precision_recall_curve": {"recalls": ["a"]}}}`, "got string", 1, 75, "binary_classification_metrics.precision_recall_curve.recalls[0]", true},
		{"syntax error", "{\n  \"regression_metrics\": {\n    \"mae\": {\"value\": 1,}\n  }\n}", "invalid JSON", 3, 24, "", true},
		{"truncated", `{"regression_metrics": {"mae": {"value": 1`, "unexpected end", 1, 43, "", true},
		{"trailing data", `{"regression_metrics": {}} {}`, "after the JSON document", 1, 28, "", true},
		{"duplicate key", `{"regression_metrics": {"mae": {"value": 1, "value": 9}}}`, `duplicate key "value"`, 1, 45, "", true},
		{"number out of range", `{"regression_metrics": {"mae": {"value": 1e999}}}`, "out of range", 1, 42, "regression_metrics.mae.value", true},
		{"empty", ``, "unexpected end", 1, 1, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseStatistics(strings.NewReader(tc.doc), &Options{Name: "s3://reports/statistics.json"})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, `model quality statistics "s3://reports/statistics.json": `) {
				t.Errorf("error %q, want it to name the report and contain %q", msg, tc.want)
			}
			if e.Line != tc.line || e.Column != tc.col || e.Path != tc.path {
				t.Errorf("error at line %d column %d path %q, want %d:%d %q (%s)", e.Line, e.Column, e.Path, tc.line, tc.col, tc.path, msg)
			}
		})
	}
}

func TestParseStatisticsKeepsOtherNonScalarEntries(t *testing.T) {
	doc := `{"multiclass_classification_metrics": {"accuracy": {"value": 0.9, "standard_deviation": 0.01},
	  "per_class": {"0": {"precision": 0.91}}}}`
	s, err := ParseStatistics(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Other["multiclass_classification_metrics.per_class"]); got != `{"0": {"precision": 0.91}}` {
		t.Errorf("Other = %q", got)
	}
	if len(s.Metrics) != 1 {
		t.Errorf("Metrics = %v", keys(s.Metrics))
	}
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }

func TestParseStatisticsToleratesByteOrderMark(t *testing.T) {
	doc := "\xef\xbb\xbf{\"regression_metrics\": {\"mae\": {\"value\": \"x\"}}}"
	_, err := ParseStatistics(strings.NewReader(doc), nil)
	var e *Error
	if !errors.As(err, &e) || e.Offset != 44 || e.Path != "regression_metrics.mae.value" {
		t.Errorf("err = %v, want the offset in the stored report", err)
	}
	if _, err := ParseStatistics(strings.NewReader("\xef\xbb\xbf"+`{"regression_metrics": {}}`), nil); err != nil {
		t.Errorf("BOM: %v", err)
	}
}
