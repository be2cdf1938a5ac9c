package policy

import (
	"fmt"
	"math"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Verdict is the outcome of one bound of a threshold.
type Verdict struct {
	// Rule names the bound: "min", "max", "between", "maxRegression",
	// "maxRelativeRegression".
	Rule string `json:"rule"`
	// Pass is false when the candidate breaks the bound.
	Pass bool `json:"pass"`
	// Skipped is true when the bound cannot be judged (no live version to
	// regress from); it then neither passes nor fails.
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail"`
}

// Evaluate judges a candidate value against every bound of t. live is the
// value of the version live in the stage, nil on a first deployment.
func Evaluate(t manifest.Threshold, candidate float64, live *float64) []Verdict {
	var out []Verdict
	if math.IsNaN(candidate) || math.IsInf(candidate, 0) {
		return []Verdict{{Rule: "value", Pass: false, Detail: fmt.Sprintf("%s is %v, not a number that can be judged", t.Metric, candidate)}}
	}
	if t.Min != nil {
		out = append(out, Verdict{Rule: "min", Pass: candidate >= *t.Min,
			Detail: fmt.Sprintf("%s ≥ %s", fmtNum(candidate), fmtNum(*t.Min))})
		if candidate < *t.Min {
			out[len(out)-1].Detail = fmt.Sprintf("%s < min %s", fmtNum(candidate), fmtNum(*t.Min))
		}
	}
	if t.Max != nil {
		v := Verdict{Rule: "max", Pass: candidate <= *t.Max, Detail: fmt.Sprintf("%s ≤ %s", fmtNum(candidate), fmtNum(*t.Max))}
		if !v.Pass {
			v.Detail = fmt.Sprintf("%s > max %s", fmtNum(candidate), fmtNum(*t.Max))
		}
		out = append(out, v)
	}
	if len(t.Between) == 2 {
		lo, hi := t.Between[0], t.Between[1]
		v := Verdict{Rule: "between", Pass: candidate >= lo && candidate <= hi,
			Detail: fmt.Sprintf("%s in [%s, %s]", fmtNum(candidate), fmtNum(lo), fmtNum(hi))}
		if !v.Pass {
			v.Detail = fmt.Sprintf("%s outside [%s, %s]", fmtNum(candidate), fmtNum(lo), fmtNum(hi))
		}
		out = append(out, v)
	}
	if t.MaxRegression != nil || t.MaxRelativeRegression != nil {
		out = append(out, regressions(t, candidate, live)...)
	}
	return out
}

// regressions judges the regression bounds. A regression is the change in
// the worse direction: live − candidate when higher is better.
func regressions(t manifest.Threshold, candidate float64, live *float64) []Verdict {
	var out []Verdict
	if live == nil || math.IsNaN(*live) {
		for _, rule := range []string{"maxRegression", "maxRelativeRegression"} {
			if (rule == "maxRegression" && t.MaxRegression != nil) || (rule == "maxRelativeRegression" && t.MaxRelativeRegression != nil) {
				out = append(out, Verdict{Rule: rule, Pass: true, Skipped: true, Detail: "no live version to compare with"})
			}
		}
		return out
	}
	worse := *live - candidate
	if t.BetterDirection() == "lower" {
		worse = candidate - *live
	}
	if t.MaxRegression != nil {
		v := Verdict{Rule: "maxRegression", Pass: worse <= *t.MaxRegression+epsilon(*t.MaxRegression)}
		v.Detail = fmt.Sprintf("regression %s ≤ %s", fmtNum(math.Max(worse, 0)), fmtNum(*t.MaxRegression))
		if !v.Pass {
			v.Detail = fmt.Sprintf("regression %s > allowed %s (live %s → %s)", fmtNum(worse), fmtNum(*t.MaxRegression), fmtNum(*live), fmtNum(candidate))
		}
		out = append(out, v)
	}
	if t.MaxRelativeRegression != nil {
		v := Verdict{Rule: "maxRelativeRegression"}
		switch {
		case *live == 0 && worse > 0:
			v.Pass = false
			v.Detail = fmt.Sprintf("live value is 0, so any regression (%s) is unbounded relative to it", fmtNum(worse))
		case *live == 0:
			v.Pass = true
			v.Detail = "no regression from 0"
		default:
			rel := worse / math.Abs(*live)
			v.Pass = rel <= *t.MaxRelativeRegression+epsilon(*t.MaxRelativeRegression)
			v.Detail = fmt.Sprintf("relative regression %s ≤ %s", fmtPct(math.Max(rel, 0)), fmtPct(*t.MaxRelativeRegression))
			if !v.Pass {
				v.Detail = fmt.Sprintf("relative regression %s > allowed %s (live %s → %s)", fmtPct(rel), fmtPct(*t.MaxRelativeRegression), fmtNum(*live), fmtNum(candidate))
			}
		}
		out = append(out, v)
	}
	return out
}

// epsilon absorbs floating-point noise in differences (0.91 − 0.90 is not
// exactly 0.01), so that a bound met exactly passes.
func epsilon(bound float64) float64 { return 1e-9 * math.Max(1, math.Abs(bound)) }

func fmtNum(v float64) string { return fmt.Sprintf("%.4g", v) }

func fmtPct(v float64) string { return fmt.Sprintf("%.2f%%", v*100) }

// Passed reports whether no verdict failed.
func Passed(vs []Verdict) bool {
	for _, v := range vs {
		if !v.Pass {
			return false
		}
	}
	return true
}
