package plan

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

func TestComplianceGate(t *testing.T) {
	statistics := artifact(13, "quality/statistics.json")
	// A required model quality report that cannot be used also leaves the
	// staging threshold on auc with nothing to judge.
	noAUC := want{GateEvaluation, SeverityError, []string{"threshold on binary_classification_metrics.auc", "has no such metric"}}
	failBoth := map[Gate]Status{GateCompliance: StatusFail, GateEvaluation: StatusFail}
	runGateCases(t, []gateCase{
		{
			name: "required report missing from ModelMetrics", stage: toProd,
			change: func(w *world) { w.dropReports(12, manifest.ReportDataQuality, "") },
			want:   []want{{GateCompliance, SeverityError, []string{"required report dataQuality is missing from fraud-detector version 12's ModelMetrics"}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
		{
			name: "required model quality missing leaves every quality threshold unjudged", stage: toProd,
			change: func(w *world) { w.dropReports(12, manifest.ReportModelQuality, "") },
			want: []want{
				{GateCompliance, SeverityError, []string{"required report modelQuality is missing"}},
				{GateEvaluation, SeverityError, []string{"threshold on binary_classification_metrics.auc", "has no such metric"}},
				{GateEvaluation, SeverityError, []string{"threshold on binary_classification_metrics.recall", "has no such metric"}},
			},
			gates: failBoth,
		},
		{
			name: "report object missing", stage: toStaging,
			change: func(w *world) { delete(w.objs.objects, statistics) },
			want:   []want{{GateCompliance, SeverityError, []string{"report modelQuality (statistics)", statistics + " does not exist"}}, noAUC},
			gates:  failBoth,
		},
		{
			name: "report unreadable", stage: toStaging,
			change: func(w *world) { w.objs.broken[statistics] = errors.New("AccessDenied: Access Denied") },
			want:   []want{{GateCompliance, SeverityError, []string{"could not read " + statistics, "AccessDenied"}}, noAUC},
			gates:  failBoth,
		},
		{
			name: "report changed after it was registered", stage: toStaging,
			change: func(w *world) { w.put(statistics, qualityReport(0.99, 0.99, 0.004)) },
			want:   []want{{GateCompliance, SeverityError, []string{"does not match its recorded digest", "changed after it was registered"}}, noAUC},
			gates:  failBoth,
		},
		{
			name: "no digest recorded where the policy requires digests", stage: toStaging,
			change: func(w *world) { w.ref(13, manifest.ReportModelQuality, PartStatistics).Digest = "" },
			want:   []want{{GateCompliance, SeverityError, []string{"no ContentDigest was recorded", "the policy requires digests"}}, noAUC},
			gates:  failBoth,
		},
		{
			name: "an ETag recorded as the digest", stage: toStaging,
			change: func(w *world) {
				w.ref(13, manifest.ReportModelQuality, PartStatistics).Digest = `"9b2cf535f27731c974343645a3985328"`
			},
			want:  []want{{GateCompliance, SeverityError, []string{"recorded ContentDigest is unusable", "ETag"}}, noAUC},
			gates: failBoth,
		},
		{
			name: "stale report", stage: toStaging,
			change: func(w *world) {
				o := w.objs.objects[statistics]
				o.modified = worldNow.Add(-100 * 24 * time.Hour)
				w.objs.objects[statistics] = o
			},
			want:  []want{{GateCompliance, SeverityError, []string{"is 100 days old; the policy allows 90"}}, noAUC},
			gates: failBoth,
		},
		{
			name: "report that does not parse", stage: toStaging,
			change: func(w *world) {
				w.rewrite(13, manifest.ReportModelQuality, PartStatistics, []byte(`{"binary_classification_metrics": {"auc": {"value": "high"}}}`))
			},
			want:  []want{{GateCompliance, SeverityError, []string{"report modelQuality (statistics)", "does not parse"}}, noAUC},
			gates: failBoth,
		},
		{
			name: "report too large to be a report", stage: toStaging,
			change: func(w *world) { w.maxReportBytes = 400 }, // the constraints (under 400 bytes) pass
			want: []want{
				{GateCompliance, SeverityError, []string{"report modelQuality (statistics)", "too large to be a report"}},
				{GateCompliance, SeverityWarning, []string{"report explainability (report)", "too large"}},
				noAUC,
			},
			gates: failBoth,
		},
		{
			name: "a report the stage does not require only warns", stage: toStaging,
			change: func(w *world) { w.put(artifact(13, "clarify/analysis.json"), []byte("{}")) },
			want: []want{
				{GateCompliance, SeverityWarning, []string{"report biasPostTraining (report)", "does not match its recorded digest"}},
				{GateCompliance, SeverityWarning, []string{"report explainability (report)", "does not match its recorded digest"}},
			},
		},
		{
			name: "the same report fails where the stage requires it", stage: toProd,
			change: func(w *world) { w.put(artifact(12, "clarify/analysis.json"), []byte("{}")) },
			want: []want{
				{GateCompliance, SeverityError, []string{"report biasPostTraining (report)", "does not match its recorded digest"}},
				{GateCompliance, SeverityError, []string{"report explainability (report)", "does not match its recorded digest"}},
				{GateEvaluation, SeverityError, []string{"threshold on bias.post_training.DI", "biasPostTraining report has no such metric"}},
			},
			gates: failBoth,
		},
		{
			name: "model quality constraint violated warns", stage: toStaging,
			change: func(w *world) {
				w.rewrite(13, manifest.ReportModelQuality, PartConstraints,
					evidence.SampleConstraints(evidence.BinaryClassification, map[string]float64{"auc": 0.95}))
			},
			want: []want{{GateCompliance, SeverityWarning, []string{"model quality constraint violated", "binary_classification_metrics.auc"}}},
		},
		{
			name: "data quality constraint violated warns", stage: toProd,
			change: func(w *world) { w.rewrite(12, manifest.ReportDataQuality, PartStatistics, dataStatistics(-3)) },
			want:   []want{{GateCompliance, SeverityWarning, []string{"data quality constraint violated", "amount: minimum -3 is negative"}}},
		},
		{
			name: "model card missing", stage: toProd,
			change: func(w *world) { delete(w.reg.cards, fraud) },
			want:   []want{{GateCompliance, SeverityError, []string{`model card "fraud-detector" does not exist`}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
		{
			name: "model card unreadable", stage: toProd,
			change: func(w *world) { w.reg.broken[fraud] = errors.New("AccessDeniedException: not authorized") },
			want:   []want{{GateCompliance, SeverityError, []string{`could not read model card "fraud-detector"`, "AccessDeniedException"}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
		{
			name: "model card not Approved", stage: toProd,
			change: func(w *world) { w.reg.cards[fraud].Status = "Draft" },
			want:   []want{{GateCompliance, SeverityError, []string{`model card "fraud-detector" (version 3) is Draft, not Approved`}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
		{
			name: "model card that does not parse", stage: toProd,
			change: func(w *world) { w.reg.cards[fraud].Content = []byte(`{"model_overview": 7}`) },
			want:   []want{{GateCompliance, SeverityError, []string{`model card "fraud-detector" does not parse`}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
		{
			name: "the package names its model card", stage: toProd,
			change: func(w *world) {
				w.reg.cards["fraud-card"] = w.reg.cards[fraud]
				delete(w.reg.cards, fraud)
				w.pkg(12).ModelCardName = "fraud-card"
			},
		},
		{
			name: "a required kind is not met by its constraints alone", stage: toProd,
			change: func(w *world) { w.dropReports(12, manifest.ReportDataQuality, PartStatistics) },
			want:   []want{{GateCompliance, SeverityError, []string{"dataQuality", "statistics", "missing"}}},
			gates:  map[Gate]Status{GateCompliance: StatusFail},
		},
	})
}

// The checklist shown to reviewers lists each report read, with what was
// found; a combined Clarify report is read once and listed under both kinds.
func TestComplianceChecklist(t *testing.T) {
	p, _ := checkedPlan(t, toProd, nil)
	type row struct {
		kind   manifest.ReportKind
		part   string
		status Status
	}
	var got []row
	for _, c := range p.Promotions[0].Details.Reports {
		got = append(got, row{c.Kind, c.Part, c.Status})
		if c.ComputedDigest == "" || c.Size == 0 || c.LastModified.IsZero() {
			t.Errorf("%s %s: digest %q, size %d, modified %v", c.Kind, c.Part, c.ComputedDigest, c.Size, c.LastModified)
		}
	}
	want := []row{
		{manifest.ReportModelQuality, PartStatistics, StatusPass},
		{manifest.ReportModelQuality, PartConstraints, StatusPass},
		{manifest.ReportDataQuality, PartStatistics, StatusPass},
		{manifest.ReportDataQuality, PartConstraints, StatusPass},
		{manifest.ReportBiasPostTraining, PartReport, StatusPass},
		{manifest.ReportExplainability, PartReport, StatusPass},
		{manifest.ReportModelCard, PartReport, StatusPass},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checklist = %v\nwant        %v", got, want)
	}
}
