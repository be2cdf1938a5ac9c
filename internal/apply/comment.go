package apply

import (
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/report"
)

// ApplyMarker marks the apply outcome comment of one merge commit.
func ApplyMarker(mergeSHA string) string {
	return "<!-- modelpromote:apply " + mergeSHA + " -->"
}

// applyComment renders an apply's outcome for the pull request.
func applyComment(res *Result) string {
	var b strings.Builder
	b.WriteString(ApplyMarker(res.Merge.MergeSHA) + "\n")
	if len(res.Refused) > 0 {
		fmt.Fprintf(&b, "## ⛔ Apply refused: nothing was deployed\n\nmodelpromote re-verified merge `%s` and refused to apply it:\n\n", gitsha.Short(res.Merge.MergeSHA))
		for _, r := range res.Refused {
			fmt.Fprintf(&b, "- %s\n", report.Escape(r))
		}
		b.WriteString("\nFix the cause and open a new pull request; nothing in any account changed.\n")
		return b.String()
	}
	failed := 0
	for _, o := range res.Outcomes {
		if o.State == StateFailure {
			failed++
		}
	}
	switch {
	case len(res.Outcomes) == 0:
		b.WriteString("## ✅ Applied: no promotions in this merge\n")
		return b.String()
	case failed > 0:
		fmt.Fprintf(&b, "## ❌ Apply failed for %d of %d promotions\n\n", failed, len(res.Outcomes))
	default:
		fmt.Fprintf(&b, "## 🚀 Applied %d promotion(s)\n\n", len(res.Outcomes))
	}
	fmt.Fprintf(&b, "Merge `%s`.\n\n| Model | Stage | Version | Endpoint | Outcome | Evidence |\n|---|---|---|---|---|---|\n", gitsha.Short(res.Merge.MergeSHA))
	for i, o := range res.Outcomes {
		pr := res.Plan.Promotions[i]
		outcome := "✅ serving"
		if pr.Environment.RegistryOnly {
			outcome = "✅ registered"
		}
		switch o.State {
		case StateAlreadyApplied:
			outcome = "✅ already applied"
		case StateSuperseded:
			outcome = "⏭️ not applied, " + report.Escape(o.Error)
		case StateFailure:
			outcome = "❌ " + report.Escape(o.Error)
			if o.Record != nil && o.Record.Endpoint.RolledBack {
				outcome += fmt.Sprintf(" — rolled back: **%s** still serves the previous config", report.Escape(pr.To.Name))
			}
		}
		if o.Record != nil && o.Record.Endpoint.Capacity != "" && (o.State == StateSuccess || o.State == StateFailure) {
			outcome += " — " + report.Escape(o.Record.Endpoint.Capacity)
		}
		fmt.Fprintf(&b, "| %s | %s | v%d | %s | %s | `%s` |\n", report.Escape(o.Model), report.Escape(o.Stage), pr.ToVersion,
			report.Escape(pr.Where()), outcome, report.Escape(o.RecordURI))
	}
	writeFollowUps(&b, res)
	return b.String()
}
