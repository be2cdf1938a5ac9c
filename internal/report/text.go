// Package report renders a Plan for people: plain text for the terminal,
// and (with the check) markdown for pull request comments, check runs and
// job summaries. Rendering never changes a plan.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Symbols for statuses in text output.
var textStatus = map[plan.Status]string{
	plan.StatusPass:      "ok",
	plan.StatusUnchecked: "-",
	plan.StatusPending:   "pending",
	plan.StatusFail:      "FAIL",
}

var textSeverity = map[plan.Severity]string{
	plan.SeverityError:   "error",
	plan.SeverityPending: "pending",
	plan.SeverityWarning: "warning",
	plan.SeverityNotice:  "notice",
}

// Text writes a plan as readable plain text.
func Text(w io.Writer, p *plan.Plan) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Plan for %s → %s (%s)\n\n", p.Base, p.Head, p.Dir)
	if len(p.Promotions) == 0 {
		b.WriteString("No promotions.\n")
	} else {
		fmt.Fprintf(b, "Promotions (%d):\n", len(p.Promotions))
		for _, pr := range p.Promotions {
			where := "endpoint " + pr.To.Name
			if pr.Environment.RegistryOnly {
				where = "registry only (copy, register, deploy nothing)"
			}
			fmt.Fprintf(b, "  %s  %s  %s  → %s in %s (%s)\n", pr.Model, pr.Stage, versionChange(pr.Promotion),
				where, pr.Environment.Account, pr.Environment.Region)
			for _, c := range pr.Changes {
				fmt.Fprintf(b, "      %s\n", c)
			}
			if d := pr.Details.Source; d != nil && d.Mode != "" {
				fmt.Fprintf(b, "      %s\n", d.Summary())
			}
			var gates []string
			for _, g := range pr.Gates {
				gates = append(gates, fmt.Sprintf("%s %s", g.Gate, textStatus[g.Status]))
			}
			fmt.Fprintf(b, "      gates: %s\n", strings.Join(gates, ", "))
		}
	}
	writeOther(b, p)
	if len(p.Findings) > 0 {
		fmt.Fprintf(b, "\nFindings (%d):\n", len(p.Findings))
		for _, f := range p.Findings {
			where := ""
			if f.File != "" {
				where = manifest.Problem{File: f.File, Pos: f.Pos}.Error()
				where = strings.TrimSuffix(where, ": ") + ": "
			}
			subject := ""
			if f.Model != "" {
				subject = fmt.Sprintf("[%s/%s] ", f.Model, f.Stage)
			}
			fmt.Fprintf(b, "  %-7s %-10s %s%s%s\n", textSeverity[f.Severity], f.Gate, where, subject, f.Message)
		}
	}
	if len(p.Actions) > 0 {
		fmt.Fprintf(b, "\nApply would (%d steps):\n", len(p.Actions))
		for i, a := range p.Actions {
			h := a.Head()
			fmt.Fprintf(b, "  %2d. [%s/%s] %s: %s\n", i+1, h.Model, h.Stage, h.Kind, a.Summary())
		}
	}
	fmt.Fprintf(b, "\nVerdict: %s\n", p.Verdict())
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOther(b *strings.Builder, p *plan.Plan) {
	for _, m := range p.NewModels {
		fmt.Fprintf(b, "  new model: %s\n", m)
	}
	for _, r := range p.Renames {
		fmt.Fprintf(b, "  renamed: %s (%s) → %s (%s)\n", r.FromModel, r.FromFile, r.ToModel, r.ToFile)
	}
	for _, s := range p.RemovedStages {
		fmt.Fprintf(b, "  removed stage: %s/%s (was version %d)\n", s.Model, s.Stage, s.Version)
	}
	for _, m := range p.RemovedModels {
		fmt.Fprintf(b, "  removed model: %s\n", m)
	}
	if p.ConfigChanged {
		fmt.Fprintf(b, "  configuration changed: %s\n", strings.Join(p.ConfigChanges, ", "))
	}
}

func versionChange(p manifest.Promotion) string {
	switch {
	case p.IsNew():
		return fmt.Sprintf("new → v%d", p.ToVersion)
	case p.IsReconfiguration():
		return fmt.Sprintf("v%d (reconfigured)", p.ToVersion)
	}
	return fmt.Sprintf("v%d → v%d", p.FromVersion, p.ToVersion)
}
