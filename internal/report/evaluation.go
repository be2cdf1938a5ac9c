package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// num writes a metric value: four significant digits, "—" when unset.
func num(n evidence.Number) string {
	switch {
	case !n.Set:
		return "—"
	case math.IsInf(n.Float, 1):
		return "∞"
	case math.IsInf(n.Float, -1):
		return "−∞"
	case math.IsNaN(n.Float):
		return "NaN"
	}
	return strconv.FormatFloat(n.Float, 'g', 4, 64)
}

// signed writes a difference with its sign.
func signed(n evidence.Number) string {
	if !n.Finite() || n.Float <= 0 {
		return num(n)
	}
	return "+" + num(n)
}

// percent writes a relative change as a signed percentage.
func percent(n evidence.Number) string {
	if !n.Finite() {
		return num(n)
	}
	return fmt.Sprintf("%+.2f%%", n.Float*100)
}

// noise says whether a change is within the noise of its measurement.
func noise(c evidence.Change) string {
	sigma := ""
	if c.Sigma.Finite() {
		sigma = " (σ " + num(c.Sigma) + ")"
	}
	if !c.Old.Set {
		return "—" // nothing to compare with
	}
	switch c.Noise {
	case evidence.WithinNoise:
		return "± within 1σ" + sigma
	case evidence.BeyondNoise:
		return "**significant**" + sigma
	}
	return "unknown"
}

// verdicts writes the policy's verdicts on a metric, one per line.
func verdicts(vs []policy.Verdict) string {
	if len(vs) == 0 {
		return "—"
	}
	var out []string
	for _, v := range vs {
		icon := "✅"
		switch {
		case v.Skipped:
			icon = "➖"
		case !v.Pass:
			icon = "❌"
		}
		out = append(out, fmt.Sprintf("%s %s: %s", icon, esc(v.Rule), esc(v.Detail)))
	}
	return strings.Join(out, "<br>")
}

// failed counts the verdicts that fail.
func failed(vs []policy.Verdict) int {
	n := 0
	for _, v := range vs {
		if !v.Pass && !v.Skipped {
			n++
		}
	}
	return n
}

// importance orders metric rows for reading and for cutting: failed
// thresholds first, then metrics under a threshold, then significant
// changes, then the rest; by path within each.
func importance(m plan.MetricRow) int {
	switch {
	case failed(m.Thresholds) > 0:
		return 0
	case len(m.Thresholds) > 0:
		return 1
	case m.Noise == evidence.BeyondNoise:
		return 2
	}
	return 3
}

func byImportance(rows []plan.MetricRow) []plan.MetricRow {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b plan.MetricRow) int {
		return cmp.Or(importance(a)-importance(b), strings.Compare(a.Path, b.Path))
	})
	return rows
}

// evaluation is the evaluation diff: the candidate's metrics against the
// live version's, with noise and the policy's verdicts.
func (r *renderer) evaluation(pr *plan.Promotion) (piece, bool) {
	rows := pr.Details.Evaluation
	if len(rows) == 0 {
		return piece{}, false
	}
	fails, significant := 0, 0
	for _, m := range rows {
		fails += failed(m.Thresholds)
		if m.Noise == evidence.BeyondNoise {
			significant++
		}
	}
	against := "against the live version"
	if live := pr.Details.Live; live == nil {
		against = "with nothing live to compare (first deployment)"
	} else if live.SourceVersion > 0 {
		against = fmt.Sprintf("v%d against live v%d", pr.ToVersion, live.SourceVersion)
	}
	sum := fmt.Sprintf("Evaluation: %s %s", plural(len(rows), "metric", "metrics"), against)
	if fails > 0 {
		sum += " · ❌ " + plural(fails, "threshold fails", "thresholds fail")
	}
	if significant > 0 {
		sum += " · " + plural(significant, "significant change", "significant changes")
	}
	head, tail := fold(fails > 0, sum)
	head += "| Metric | Live | Candidate | Δ | Δ% | Noise | Thresholds |\n|---|--:|--:|--:|--:|---|---|\n"
	pc := piece{head: head, tail: tail, noun: "metrics"}
	for _, m := range byImportance(rows) {
		pc.rows = append(pc.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n", esc(m.Path), num(m.Old), num(m.New),
			signed(m.Delta), percent(m.Relative), noise(m.Change), verdicts(m.Thresholds)))
	}
	return pc, true
}

// biasRow is a bias metric with its path taken apart.
type biasRow struct {
	plan.MetricRow
	facet, stage, metric string
}

// bias is the bias metrics per facet group, candidate against live.
func (r *renderer) bias(pr *plan.Promotion) (piece, bool) {
	if len(pr.Details.Bias) == 0 {
		return piece{}, false
	}
	var rows []biasRow
	fails := 0
	for _, m := range pr.Details.Bias {
		br := biasRow{MetricRow: m, metric: m.Path}
		if p, err := evidence.ParsePath(m.Path); err == nil {
			br.metric = p.Metric
			br.stage = strings.ReplaceAll(strings.TrimPrefix(p.Group, "bias."), "_", "-")
			if p.Qualified {
				br.facet = p.Facet + "=" + p.FacetValue
			}
		}
		fails += failed(m.Thresholds)
		rows = append(rows, br)
	}
	slices.SortStableFunc(rows, func(a, b biasRow) int {
		return cmp.Or(strings.Compare(a.facet, b.facet), strings.Compare(a.stage, b.stage), strings.Compare(a.metric, b.metric))
	})
	facets := map[string]bool{}
	for _, br := range rows {
		facets[br.facet] = true
	}
	sum := fmt.Sprintf("Bias: %s over %s", plural(len(rows), "metric", "metrics"), plural(len(facets), "facet group", "facet groups"))
	if fails > 0 {
		sum += " · ❌ " + plural(fails, "threshold fails", "thresholds fail")
	}
	head, tail := fold(fails > 0, sum)
	head += "| Facet group | Metric | Live | Candidate | Δ | Thresholds |\n|---|---|--:|--:|--:|---|\n"
	pc := piece{head: head, tail: tail, noun: "bias metrics"}
	for _, br := range rows {
		facet := "—"
		if br.facet != "" {
			facet = esc(br.facet)
		}
		metric := esc(br.metric)
		if br.stage != "" {
			metric += " (" + esc(br.stage) + ")"
		}
		pc.rows = append(pc.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", facet, metric, num(br.Old), num(br.New), signed(br.Delta), verdicts(br.Thresholds)))
	}
	return pc, true
}

// topFeatures is how many SHAP features the report shows.
const topFeatures = 10

// shap is the candidate's most important features and how they moved.
func (r *renderer) shap(pr *plan.Promotion) (piece, bool) {
	shifts := pr.Details.SHAP
	if len(shifts) == 0 {
		return piece{}, false
	}
	n := min(len(shifts), topFeatures)
	sum := fmt.Sprintf("Explainability: top %d features by mean absolute SHAP value", n)
	if len(shifts) > n {
		sum = fmt.Sprintf("Explainability: top %d of %d features by mean absolute SHAP value", n, len(shifts))
	}
	head, tail := fold(false, sum)
	head += "| Rank | Feature | Live | Candidate | Δ | Rank change |\n|--:|---|--:|--:|--:|---|\n"
	pc := piece{head: head, tail: tail, noun: "features"}
	for _, s := range shifts[:n] {
		rank := "—"
		if s.NewRank > 0 {
			rank = fmt.Sprintf("#%d", s.NewRank)
		}
		pc.rows = append(pc.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", rank, esc(s.Feature), num(s.Old), num(s.New), signed(s.Delta), rankChange(s)))
	}
	return pc, true
}

// rankChange draws how a feature's rank moved.
func rankChange(s evidence.Shift) string {
	switch {
	case s.OldRank == 0 && s.NewRank == 0:
		return "—"
	case s.OldRank == 0:
		return "🆕 new"
	case s.NewRank == 0:
		return fmt.Sprintf("⬇️ dropped out (was #%d)", s.OldRank)
	case s.RankChange > 0:
		return fmt.Sprintf("⬆️ %d (was #%d)", s.RankChange, s.OldRank)
	case s.RankChange < 0:
		return fmt.Sprintf("⬇️ %d (was #%d)", -s.RankChange, s.OldRank)
	}
	return "= unchanged"
}
