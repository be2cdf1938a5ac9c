package plan

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// BreakGlassRequest is the break-glass label on a pull request
// (manifest.BreakGlassLabel), as GitHub records it.
type BreakGlassRequest struct {
	// By is who set the label: the actor of the issue timeline's latest
	// `labeled` event for it ("" when the timeline records none).
	By string
	// Permission is By's permission on the repository, as GitHub answers
	// it: admin, maintain, write, triage, read or none ("" unread).
	Permission string
	// At is when the label was set.
	At time.Time
}

// BreakGlass is a promotion judged on its stage's break-glass path: soak,
// `after` and regression bounds waived; approvals, lineage and integrity
// not, and the break-glass approvers' approvals needed on top.
type BreakGlass struct {
	// By set the label, at At.
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Waived lists the gates not applied, each with why.
	Waived []string `json:"waived"`
	// Approvals is the break-glass approvers' gate.
	Approvals *Approvals `json:"approvals,omitempty"`
}

// canLabel reports whether a repository permission lets its holder set
// labels: GitHub requires triage or more
// (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization).
func canLabel(permission string) bool {
	switch permission {
	case "admin", "maintain", "write", "triage":
		return true
	}
	return false
}

// grantBreakGlass marks the promotions of a labelled pull request whose
// stage has a break-glass policy, once the label is shown to come from
// someone allowed to set it. Anything less leaves every gate in place.
func (p *Plan) grantBreakGlass(req *BreakGlassRequest) {
	if req == nil {
		return
	}
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		warn := func(format string, args ...any) {
			p.Findings = append(p.Findings, Finding{Gate: GateGovernance, Severity: SeverityWarning, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos,
				Message: fmt.Sprintf("labelled %s, but ", manifest.BreakGlassLabel) + fmt.Sprintf(format, args...) + ": judged with every gate"})
		}
		sp := p.Config.Policy.Stages[pr.Stage]
		switch {
		case sp.BreakGlass == nil:
			warn("%s has no breakGlass policy", pr.Stage)
		case req.By == "":
			warn("the pull request's timeline does not say who set the label")
		case !canLabel(req.Permission):
			warn("%s set it, whose permission on the repository is %q, not triage or write", req.By, orUnknown(req.Permission))
		default:
			pr.Details.BreakGlass = &BreakGlass{By: req.By, At: req.At, Waived: []string{
				"soak and the `after` stage: break-glass waives timing",
				"regression bounds: break-glass waives comparison with the live version",
			}}
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// judgeBreakGlass counts the break-glass approvers' approvals of every
// break-glass promotion.
func (p *Plan) judgeBreakGlass(ctx context.Context, facts PullRequestFacts, dir Directory) []*Approvals {
	out := make([]*Approvals, len(p.Promotions))
	var wg sync.WaitGroup
	for i := range p.Promotions {
		if p.Promotions[i].Details.BreakGlass == nil {
			continue
		}
		bg := p.Config.Policy.Stages[p.Promotions[i].Stage].BreakGlass
		wg.Go(func() {
			out[i] = judgeApprovals(ctx, facts, bg.Approvals, NewApprovers(bg.Approvers, dir), NewApprovers(p.Config.Policy.Owners, dir))
		})
	}
	wg.Wait()
	return out
}

// mergeBreakGlass records the break-glass approvals and says what the
// path waived and what it still needs.
func (p *Plan) mergeBreakGlass(approvals []*Approvals) {
	for i, a := range approvals {
		pr := &p.Promotions[i]
		bg := pr.Details.BreakGlass
		if bg == nil {
			continue
		}
		bg.Approvals = a
		add := func(g Gate, sev Severity, msg string) {
			p.Findings = append(p.Findings, Finding{Gate: g, Severity: sev, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos, Message: msg})
		}
		add(GatePolicy, SeverityNotice, fmt.Sprintf("break-glass (label set by %s): not applied: %s; approvals, lineage and integrity still apply", bg.By, strings.Join(bg.Waived, "; ")))
		if a != nil && a.Counted < a.Required {
			add(GateGovernance, SeverityPending, fmt.Sprintf("break-glass needs %d approval(s) on %s from %s; %d counted", a.Required, gitsha.Short(a.HeadSHA), strings.Join(a.Approvers, ", "), a.Counted))
		}
	}
}
