package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Freeze is a change freeze holding a promotion's stage.
type Freeze struct {
	// Until is when the freeze ends (zero when it cannot be evaluated).
	Until time.Time `json:"until"`
	// Reasons are the reasons of the freezes in force.
	Reasons []string `json:"reasons"`
	// Passes says why the promotion goes ahead anyway ("rollback",
	// "break-glass"); empty when the freeze holds it.
	Passes string `json:"passes,omitempty"`
}

// checkFreezes holds every promotion whose stage is frozen at now: the
// governance gate is pending until the freeze ends. A rollback and a
// break-glass promotion go ahead, and say so.
func (p *Plan) checkFreezes(now time.Time) {
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		until, reasons, frozen := manifest.FrozenUntil(p.Config.Policy.Freezes, pr.Stage, now)
		if !frozen {
			continue
		}
		fz := &Freeze{Until: until, Reasons: reasons}
		pr.Details.Freeze = fz
		when := "frozen until " + until.UTC().Format("2006-01-02 15:04 MST")
		if until.IsZero() {
			when = "frozen"
		}
		why := strings.Join(reasons, "; ")
		add := func(sev Severity, msg string) {
			p.Findings = append(p.Findings, Finding{Gate: GateGovernance, Severity: sev, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos, Message: msg})
		}
		switch {
		case pr.Details.Rollback != nil:
			fz.Passes = "rollback"
			add(SeverityNotice, fmt.Sprintf("%s is %s (%s); this rollback goes ahead: a freeze never holds a return to what ran before", pr.Stage, when, why))
		case pr.Details.BreakGlass != nil:
			fz.Passes = "break-glass"
			add(SeverityNotice, fmt.Sprintf("%s is %s (%s); break-glass goes ahead", pr.Stage, when, why))
		default:
			add(SeverityPending, fmt.Sprintf("%s: %s takes no promotions until then (%s); a rollback or a break-glass pull request goes ahead", when, pr.Stage, why))
		}
	}
}
