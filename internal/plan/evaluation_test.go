package plan

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// quality is a reportSet holding a statistics report with the given values
// by metric name in binary_classification_metrics (an unset Number is a
// metric the job could not compute).
func quality(values map[string]evidence.Number) reportSet {
	st := &evidence.Statistics{Metrics: map[string]evidence.Metric{}}
	for name, v := range values {
		p := "binary_classification_metrics." + name
		st.Metrics[p] = evidence.Metric{Path: p, Value: v, StdDev: evidence.Num(0.004)}
	}
	return reportSet{stats: st}
}

// bias is a reportSet holding a post-training bias analysis with values by
// metric path.
func bias(values map[string]float64) reportSet {
	a := &evidence.Analysis{Metrics: map[string]evidence.Metric{}}
	for p, v := range values {
		a.Metrics[p] = evidence.Metric{Path: p, Value: evidence.Num(v)}
	}
	return reportSet{post: a}
}

func ptr(v float64) *float64 { return &v }

func TestEvaluateThresholds(t *testing.T) {
	const auc, recall, fpr = "binary_classification_metrics.auc", "binary_classification_metrics.recall", "binary_classification_metrics.false_positive_rate"
	n := evidence.Num
	cases := []struct {
		name       string
		cand, live reportSet
		threshold  manifest.Threshold
		errors     [][]string // words of each evaluation error, in order
		// rule and skipped describe the verdict recorded on the row, when
		// the threshold was judged.
		rule    string
		skipped bool
	}{
		{name: "min met", cand: quality(map[string]evidence.Number{"auc": n(0.91)}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)}, rule: "min"},
		{name: "min met exactly", cand: quality(map[string]evidence.Number{"auc": n(0.8)}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)}, rule: "min"},
		{name: "below min", cand: quality(map[string]evidence.Number{"auc": n(0.78)}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)},
			errors:    [][]string{{auc + ": 0.78 < min 0.8"}}, rule: "min"},
		{name: "max met", cand: quality(map[string]evidence.Number{"false_positive_rate": n(0.03)}),
			threshold: manifest.Threshold{Metric: fpr, Max: ptr(0.05)}, rule: "max"},
		{name: "above max", cand: quality(map[string]evidence.Number{"false_positive_rate": n(0.08)}),
			threshold: manifest.Threshold{Metric: fpr, Max: ptr(0.05)},
			errors:    [][]string{{fpr + ": 0.08 > max 0.05"}}, rule: "max"},
		{name: "between met", cand: bias(map[string]float64{"bias.post_training.DI[sex=female]": 0.97}),
			threshold: manifest.Threshold{Metric: "bias.post_training.DI", Between: []float64{0.8, 1.25}}, rule: "between"},
		{name: "outside between, for the facet group that breaks it",
			cand:      bias(map[string]float64{"bias.post_training.DI[sex=female]": 0.97, "bias.post_training.DI[age=young]": 0.7}),
			threshold: manifest.Threshold{Metric: "bias.post_training.DI", Between: []float64{0.8, 1.25}},
			errors:    [][]string{{"bias.post_training.DI[age=young]: 0.7 outside [0.8, 1.25]"}}, rule: "between"},
		{name: "maxRegression met exactly",
			cand: quality(map[string]evidence.Number{"auc": n(0.90)}), live: quality(map[string]evidence.Number{"auc": n(0.91)}),
			threshold: manifest.Threshold{Metric: auc, MaxRegression: ptr(0.01)}, rule: "maxRegression"},
		{name: "regressed beyond maxRegression",
			cand: quality(map[string]evidence.Number{"auc": n(0.88)}), live: quality(map[string]evidence.Number{"auc": n(0.90)}),
			threshold: manifest.Threshold{Metric: auc, MaxRegression: ptr(0.01)},
			errors:    [][]string{{auc + ": regression 0.02 > allowed 0.01 (live 0.9 → 0.88)"}}, rule: "maxRegression"},
		{name: "maxRegression where lower is better",
			cand: quality(map[string]evidence.Number{"false_positive_rate": n(0.05)}), live: quality(map[string]evidence.Number{"false_positive_rate": n(0.03)}),
			threshold: manifest.Threshold{Metric: fpr, MaxRegression: ptr(0.01)},
			errors:    [][]string{{fpr + ": regression 0.02 > allowed 0.01"}}, rule: "maxRegression"},
		{name: "regressed beyond maxRelativeRegression",
			cand: quality(map[string]evidence.Number{"recall": n(0.72)}), live: quality(map[string]evidence.Number{"recall": n(0.80)}),
			threshold: manifest.Threshold{Metric: recall, MaxRelativeRegression: ptr(0.05)},
			errors:    [][]string{{recall + ": relative regression 10.00% > allowed 5.00%"}}, rule: "maxRelativeRegression"},
		{name: "first deployment: no live version to regress from",
			cand:      quality(map[string]evidence.Number{"auc": n(0.85)}),
			threshold: manifest.Threshold{Metric: auc, MaxRegression: ptr(0.01)}, rule: "maxRegression", skipped: true},
		{name: "metric absent from the candidate's report", cand: quality(map[string]evidence.Number{"f1": n(0.6)}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)},
			errors:    [][]string{{"threshold on " + auc, "modelQuality report has no such metric"}}},
		{name: "no candidate report at all",
			threshold: manifest.Threshold{Metric: "bias.post_training.DI", Between: []float64{0.8, 1.25}},
			errors:    [][]string{{"threshold on bias.post_training.DI", "biasPostTraining report has no such metric"}}},
		{name: "metric the job could not compute (null)", cand: quality(map[string]evidence.Number{"auc": {}}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)},
			errors:    [][]string{{auc + " has no value in the candidate's report"}}},
		{name: `metric written as "NaN"`, cand: quality(map[string]evidence.Number{"auc": n(math.NaN())}),
			threshold: manifest.Threshold{Metric: auc, Min: ptr(0.8)},
			errors:    [][]string{{auc + ": ", "is NaN, not a number that can be judged"}}, rule: "value"},
		{name: "malformed metric path fails closed", cand: quality(map[string]evidence.Number{"auc": n(0.9)}),
			threshold: manifest.Threshold{Metric: "bias.post_training.DI[sex", Min: ptr(0.8)},
			errors:    [][]string{{"threshold on bias.post_training.DI[sex,", "has no such metric"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []Finding
			add := func(g Gate, s Severity, m string) { got = append(got, Finding{Gate: g, Severity: s, Message: m}) }
			rows, biasRows, _ := evaluate(c.cand, c.live, []manifest.Threshold{c.threshold}, add)
			if len(got) != len(c.errors) {
				t.Fatalf("findings = %+v, want %d errors", got, len(c.errors))
			}
			for i, words := range c.errors {
				w := want{GateEvaluation, SeverityError, words}
				if !w.matches(got[i]) {
					t.Errorf("finding %+v, want %s", got[i], words)
				}
			}
			if c.rule == "" {
				return
			}
			var judged bool
			for _, r := range append(rows, biasRows...) {
				for _, v := range r.Thresholds {
					if v.Rule == c.rule && v.Skipped == c.skipped && v.Pass == (len(c.errors) == 0 || !strings.HasPrefix(c.errors[0][0], r.Path)) {
						judged = true
					}
				}
			}
			if !judged {
				t.Errorf("no %s verdict (skipped=%v) on the rows %+v %+v", c.rule, c.skipped, rows, biasRows)
			}
		})
	}
}

func TestEvaluationGate(t *testing.T) {
	fail := map[Gate]Status{GateEvaluation: StatusFail}
	// rewriteClarify replaces version v's Clarify analysis, which backs
	// two report kinds.
	rewriteClarify := func(w *world, v int, data []byte) {
		w.rewrite(v, manifest.ReportBiasPostTraining, PartReport, data)
		w.ref(v, manifest.ReportExplainability, PartReport).Digest = evidence.DigestOf(data).String()
	}
	runGateCases(t, []gateCase{
		{
			name: "below min and regressed", stage: toProd,
			change: func(w *world) {
				w.rewrite(12, manifest.ReportModelQuality, PartStatistics, qualityReport(0.78, 0.73, 0.004))
			},
			want: []want{
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: 0.78 < min 0.8"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: regression 0.12 > allowed 0.01 (live 0.9 → 0.78)"}},
			},
			gates: fail,
		},
		{
			name: "regressed from the live version beyond maxRegression", stage: toProd,
			change: func(w *world) {
				w.rewrite(12, manifest.ReportModelQuality, PartStatistics, qualityReport(0.885, 0.73, 0.004))
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: regression 0.015 > allowed 0.01 (live 0.9 → 0.885)"}}},
			gates: fail,
		},
		{
			name: "regressed from the live version beyond maxRelativeRegression", stage: toProd,
			change: func(w *world) {
				// Prod took 11 with these statistics (the copy its
				// evidence record lists is the baseline).
				w.rewrite(11, manifest.ReportModelQuality, PartStatistics, qualityReport(0.90, 0.80, 0.004))
				w.serve("prod", fraud, 11, worldNow.Add(-29*24*time.Hour))
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"binary_classification_metrics.recall: relative regression 8.75% > allowed 5.00%"}}},
			gates: fail,
		},
		{
			name: "bias outside between", stage: toProd,
			change: func(w *world) {
				rewriteClarify(w, 12, evidence.SampleClarify(map[string]float64{"bias.post_training.DI": 0.7}, map[string]float64{"amount": 0.3}))
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"bias.post_training.DI[sex=female]: 0.7 outside [0.8, 1.25]"}}},
			gates: fail,
		},
		{
			name: "below the staging min", stage: toStaging,
			change: func(w *world) {
				w.rewrite(13, manifest.ReportModelQuality, PartStatistics, qualityReport(0.74, 0.73, 0.004))
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: 0.74 < min 0.75"}}},
			gates: fail,
		},
		{
			name: `"NaN" standard deviation (under 200 samples) is judged on the value`, stage: toStaging,
			change: func(w *world) {
				w.rewrite(13, manifest.ReportModelQuality, PartStatistics, qualityReport(0.91, 0.735, math.NaN()))
			},
		},
		{
			name: `"NaN" metric value cannot pass`, stage: toStaging,
			change: func(w *world) {
				w.rewrite(13, manifest.ReportModelQuality, PartStatistics, qualityReport(math.NaN(), 0.735, math.NaN()))
			},
			want: []want{
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: ", "is NaN, not a number that can be judged"}},
				{GateCompliance, SeverityWarning, []string{"model quality constraint violated", "binary_classification_metrics.auc: value NaN cannot be checked"}},
			},
			gates: fail,
		},
		{
			name: "live endpoint unreadable where the stage has no regression bound or after: a warning", stage: toStaging,
			change: func(w *world) {
				w.stages.broken["staging/fraud-detector-staging"] = errors.New("AccessDeniedException: not authorized")
			},
			want: []want{{GateEvaluation, SeverityWarning, []string{"could not read what endpoint fraud-detector-staging serves in staging", "AccessDeniedException", "no live version"}}},
		},
		{
			name: "live package unreadable where the stage has no regression bound or after: a warning", stage: toStaging,
			change: func(w *world) { w.reg.broken["fraud-detector/12"] = errors.New("ThrottlingException: Rate exceeded") },
			want:   []want{{GateEvaluation, SeverityWarning, []string{"could not read the live version 12", "ThrottlingException"}}},
		},
		{
			name: "live package unreadable where the stage has regression bounds", stage: toProd,
			change: func(w *world) { w.reg.broken["fraud-detector/11"] = errors.New("ThrottlingException: Rate exceeded") },
			want:   []want{{GateEvaluation, SeverityError, []string{"live version 11", "ThrottlingException"}}},
			gates:  fail,
		},
		{
			name: "live report's copy in prod missing where the stage has regression bounds", stage: toProd,
			change: func(w *world) { delete(w.objs.objects, copyOf("prod", 11, artifact(11, "quality/statistics.json"))) },
			want: []want{{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: no baseline to judge the regression bound: report modelQuality (statistics) of the live version 11 has no copy in prod: " +
				copyOf("prod", 11, artifact(11, "quality/statistics.json")) + " does not exist"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.recall: no baseline"}}},
			gates: fail,
		},
		{
			name: "live report's copy in prod changed where the stage has regression bounds", stage: toProd,
			change: func(w *world) {
				w.put(copyOf("prod", 11, artifact(11, "quality/statistics.json")), qualityReport(0.5, 0.5, 0.004))
			},
			want: []want{{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: no baseline to judge the regression bound: report modelQuality (statistics) of the live version 11 has a copy", "whose SHA-256", "is not the", "its evidence record"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.recall: no baseline"}}},
			gates: fail,
		},
		{
			// A dev-account writer cannot move (nor deny) the baseline: it
			// is the copy prod took.
			name: "live report changed in the dev account: the baseline is prod's copy", stage: toProd,
			change: func(w *world) { w.put(artifact(11, "quality/statistics.json"), qualityReport(0.5, 0.5, 0.004)) },
		},
		{
			name: "live report's copy in prod changed where the stage has no regression bound on it", stage: toProd,
			change: func(w *world) {
				w.put(copyOf("prod", 11, artifact(11, "clarify/analysis.json")), []byte(`{"x":1}`))
			},
			// One Clarify analysis backs both kinds.
			want: []want{{GateEvaluation, SeverityError, []string{"the regression baseline cannot be verified: report biasPostTraining (report) of the live version 11 has a copy"}},
				{GateEvaluation, SeverityError, []string{"the regression baseline cannot be verified: report explainability (report) of the live version 11 has a copy"}}},
			gates: fail,
		},
		{
			name: "the live version has no evidence record in prod", stage: toProd,
			change: func(w *world) {
				w.deployed = slices.DeleteFunc(w.deployed, func(d PastDeployment) bool { return d.Stage == "prod" })
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"no baseline to judge the regression bound: the live version 11's reports cannot be verified: prod has no evidence record of the deployment of version 11 on fraud-detector"}}},
			gates: fail,
		},
		{
			name: "live endpoint unreadable where the stage has regression bounds and an after", stage: toProd,
			change: func(w *world) {
				w.stages.broken["prod/fraud-detector"] = errors.New("AccessDeniedException: not authorized")
			},
			want:  []want{{GateEvaluation, SeverityError, []string{"fraud-detector", "AccessDeniedException"}}},
			gates: fail,
		},
		{
			// Whoever can delete the endpoint must not make the promotion a
			// "first deployment" that skips the regression bounds.
			name: "live endpoint deleted where the manifest says the stage runs a version", stage: toProd,
			change: func(w *world) { delete(w.stages.serving, "prod/fraud-detector") },
			want:   []want{{GateEvaluation, SeverityError, []string{"runs version 11", "does not exist"}}},
			gates:  fail,
		},
	})
}

// The evaluation diff compares every metric with the live version's and
// shows each threshold's verdicts, the bias groups and the SHAP shift.
func TestEvaluationDiff(t *testing.T) {
	p, _ := checkedPlan(t, toProd, nil)
	d := p.Promotions[0].Details
	if d.Live == nil || d.Live.SourceVersion != 11 {
		t.Fatalf("live = %+v, want version 11", d.Live)
	}
	row := func(rows []MetricRow, path string) MetricRow {
		for _, r := range rows {
			if r.Path == path {
				return r
			}
		}
		t.Fatalf("no row %s in %+v", path, rows)
		return MetricRow{}
	}
	auc := row(d.Evaluation, "binary_classification_metrics.auc")
	if auc.Old.Float != 0.9 || auc.New.Float != 0.905 || len(auc.Thresholds) != 2 || !auc.Thresholds[0].Pass || !auc.Thresholds[1].Pass {
		t.Errorf("auc row = %+v", auc)
	}
	if di := row(d.Bias, "bias.post_training.DI[sex=female]"); di.Old.Float != 0.95 || di.New.Float != 0.97 || len(di.Thresholds) != 1 {
		t.Errorf("DI row = %+v", di)
	}
	if len(d.SHAP) != 3 || d.SHAP[0].Feature != "amount" || !d.SHAP[0].Old.Set {
		t.Errorf("SHAP = %+v", d.SHAP)
	}
}
