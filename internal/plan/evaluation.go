package plan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// topFeatures is how many SHAP features the evaluation diff shows.
const topFeatures = 10

// evaluate compares the candidate's metrics with the live version's and
// judges the stage's thresholds. live is the zero reportSet on a first
// deployment.
func evaluate(cand, live reportSet, thresholds []manifest.Threshold, add func(Gate, Severity, string)) (rows, bias []MetricRow, shap []evidence.Shift) {
	var candQ, liveQ map[string]evidence.Metric
	if cand.stats != nil {
		candQ = cand.stats.Metrics
	}
	if live.stats != nil {
		liveQ = live.stats.Metrics
	}
	candB, liveB := biasMetrics(cand), biasMetrics(live)
	rows = diffRows(candQ, liveQ)
	bias = diffRows(candB, liveB)

	for _, t := range thresholds {
		isBias := strings.HasPrefix(t.Metric, "bias.")
		metrics, liveMetrics, target := candQ, liveQ, rows
		if isBias {
			metrics, liveMetrics, target = candB, liveB, bias
		}
		selected, err := evidence.Select(metrics, t.Metric)
		if errors.Is(err, evidence.ErrNoMetric) || len(selected) == 0 {
			add(GateEvaluation, SeverityError, fmt.Sprintf("the policy sets a threshold on %s, but the candidate's %s report has no such metric", t.Metric, manifest.ReportFor(t.Metric)))
			continue
		}
		if err != nil {
			add(GateEvaluation, SeverityError, fmt.Sprintf("threshold on %s: %v", t.Metric, err))
			continue
		}
		for _, m := range selected {
			var livePtr *float64
			if lm, ok := liveMetrics[m.Path]; ok && lm.Value.Set {
				v := lm.Value.Float
				livePtr = &v
			}
			value := m.Value.Float
			if !m.Value.Set {
				add(GateEvaluation, SeverityError, fmt.Sprintf("%s has no value in the candidate's report (the job could not compute it)", m.Path))
				continue
			}
			verdicts := policy.Evaluate(t, value, livePtr)
			if why := noBaseline(t, m.Path, livePtr, live); why != "" {
				verdicts = failSkipped(verdicts, why)
			}
			for i := range target {
				if target[i].Path == m.Path {
					target[i].Thresholds = append(target[i].Thresholds, verdicts...)
				}
			}
			for _, v := range verdicts {
				if !v.Pass {
					add(GateEvaluation, SeverityError, fmt.Sprintf("%s: %s", m.Path, v.Detail))
				}
			}
		}
	}
	shap = shapShift(cand, live)
	return rows, bias, shap
}

// noBaseline says why a regression bound of t cannot be judged on metric
// path although it must be: there is a live version, but its value cannot
// be read. "" when the bound can be judged, or when there is no live
// version at all (a first deployment).
func noBaseline(t manifest.Threshold, path string, livePtr *float64, live reportSet) string {
	switch {
	case !t.HasRegressionBound() || livePtr != nil:
		return ""
	case live.unknown != "":
		return live.unknown
	case live.version == 0:
		return ""
	}
	if p, ok := live.problems[manifest.ReportFor(t.Metric)]; ok {
		return p
	}
	return fmt.Sprintf("the %s report of the live version %d has no value for %s", manifest.ReportFor(t.Metric), live.version, path)
}

// failSkipped turns the regression verdicts that were skipped for want of a
// baseline into failures that say why: a gate that cannot judge never
// passes.
func failSkipped(verdicts []policy.Verdict, why string) []policy.Verdict {
	out := slices.Clone(verdicts)
	for i := range out {
		if out[i].Skipped {
			out[i].Pass, out[i].Skipped = false, false
			out[i].Detail = "no baseline to judge the regression bound: " + why
		}
	}
	return out
}

// biasMetrics merges pre- and post-training bias metrics.
func biasMetrics(s reportSet) map[string]evidence.Metric {
	out := map[string]evidence.Metric{}
	for _, a := range []*evidence.Analysis{s.pre, s.post} {
		if a == nil {
			continue
		}
		for k, m := range a.Metrics {
			out[k] = m
		}
	}
	return out
}

// diffRows compares every metric the candidate has, in path order; metrics
// only the live version has are listed too, so a vanished metric shows.
func diffRows(cand, live map[string]evidence.Metric) []MetricRow {
	paths := map[string]bool{}
	for p := range cand {
		paths[p] = true
	}
	for p := range live {
		paths[p] = true
	}
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	rows := make([]MetricRow, 0, len(keys))
	for _, p := range keys {
		c, l := cand[p], live[p]
		c.Path, l.Path = p, p
		rows = append(rows, MetricRow{Change: evidence.Compare(l, c)})
	}
	return rows
}

// shapShift compares the top SHAP features of the first label the
// candidate explains.
func shapShift(cand, live reportSet) []evidence.Shift {
	if cand.explain == nil || len(cand.explain.SHAP) == 0 {
		return nil
	}
	labels := make([]string, 0, len(cand.explain.SHAP))
	for l := range cand.explain.SHAP {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	newSHAP := cand.explain.SHAP[labels[0]]
	var oldSHAP evidence.SHAP
	if live.explain != nil {
		oldSHAP = live.explain.SHAP[labels[0]]
	}
	return evidence.ShiftSHAP(oldSHAP, newSHAP, topFeatures)
}
