package plan

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The regression bounds of a stage need the live version's value. When
// there is a live version but its value cannot be read, the bound fails
// and says why; only a first deployment (no live version) skips it.
func TestRegressionBoundFailsClosedWithoutABaseline(t *testing.T) {
	const auc = "binary_classification_metrics.auc"
	stats := func(v float64) *evidence.Statistics {
		return &evidence.Statistics{Metrics: map[string]evidence.Metric{auc: {Path: auc, Value: evidence.Num(v)}}}
	}
	bound := 0.01
	thresholds := []manifest.Threshold{{Metric: auc, MaxRegression: &bound}}
	cand := reportSet{stats: stats(0.90)}
	for _, tc := range []struct {
		name string
		live reportSet
		want string // in the error; "" for a pass
	}{
		{"first deployment: nothing to compare with", reportSet{}, ""},
		{"live version within the bound", reportSet{version: 11, stats: stats(0.905)}, ""},
		{"live version beyond the bound", reportSet{version: 11, stats: stats(0.95)}, "regression 0.05 > allowed 0.01"},
		{"live report fails its digest", reportSet{version: 11, problems: map[manifest.ReportKind]string{
			manifest.ReportModelQuality: "report modelQuality (statistics) of the live version 11 content does not match its recorded digest"}},
			"no baseline to judge the regression bound: report modelQuality (statistics) of the live version 11 content does not match its recorded digest"},
		{"live endpoint unreadable", reportSet{unknown: "could not read what endpoint fraud-detector serves in prod: AccessDenied"},
			"no baseline to judge the regression bound: could not read what endpoint fraud-detector serves in prod: AccessDenied"},
		{"live report lacks the metric", reportSet{version: 11, stats: &evidence.Statistics{Metrics: map[string]evidence.Metric{}}},
			"the modelQuality report of the live version 11 has no value for " + auc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs []string
			evaluate(cand, tc.live, thresholds, func(g Gate, s Severity, msg string) {
				if s == SeverityError {
					errs = append(errs, msg)
				}
			})
			got := strings.Join(errs, "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("errors:\n%s\nwant one containing %q", got, tc.want)
			}
		})
	}
}

func TestPackageGroupVersion(t *testing.T) {
	for _, tc := range []struct {
		arn     string
		group   string
		version int
		ok      bool
	}{
		{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector/12", "fraud-detector", 12, true},
		{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector/012", "", 0, false},
		{"arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector", "", 0, false},
		{"arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/fraud-detector", "", 0, false},
		{"arn:aws:s3:::bucket/model-package/x/1", "", 0, false},
		{"", "", 0, false},
	} {
		g, v, ok := PackageGroupVersion(tc.arn)
		if g != tc.group || v != tc.version || ok != tc.ok {
			t.Errorf("PackageGroupVersion(%q) = %q, %d, %v; want %q, %d, %v", tc.arn, g, v, ok, tc.group, tc.version, tc.ok)
		}
	}
}
