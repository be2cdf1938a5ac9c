package report

import (
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// incidentBanner opens the report when the change is judged on a bad-day
// path: break-glass (always at the top, so nobody misses that timing gates
// were waived) and rollbacks. It is empty otherwise.
func (r *renderer) incidentBanner() string {
	var glass, back []string
	for i := range r.p.Promotions {
		pr := &r.p.Promotions[i]
		if bg := pr.Details.BreakGlass; bg != nil {
			need := ""
			if a := bg.Approvals; a != nil {
				need = fmt.Sprintf("; it needs %d approval(s) from %s on the head commit (%d counted)", a.Required, esc(strings.Join(a.Approvers, ", ")), a.Counted)
			}
			glass = append(glass, fmt.Sprintf("> **%s → %s** (label set by %s): not applied: %s; approvals, lineage and integrity still apply%s.\n",
				esc(pr.Model), esc(pr.Stage), login(bg.By), esc(strings.Join(bg.Waived, "; ")), need))
		}
		if rb := pr.Details.Rollback; rb != nil {
			back = append(back, fmt.Sprintf("> **%s → %s** returns to v%d, which %s ran before: %s. Not applied: %s. Lineage, digests and approvals still apply.\n",
				esc(pr.Model), esc(pr.Stage), pr.ToVersion, esc(pr.Stage), pastDeployment(rb.To), esc(strings.Join(rb.Waived, "; "))))
		}
	}
	var b strings.Builder
	if len(glass) > 0 {
		b.WriteString("> [!CAUTION]\n> **Break-glass.** This pull request is labelled `modelpromote:break-glass`.\n>\n" + strings.Join(glass, ">\n") + "\n")
	}
	if len(back) > 0 {
		b.WriteString("> [!NOTE]\n> **Rollback.**\n>\n" + strings.Join(back, ">\n") + "\n")
	}
	return b.String()
}

// pastDeployment names the earlier deployment a rollback returns to.
func pastDeployment(d plan.PastDeployment) string {
	var s string
	switch {
	case d.PullRequest > 0 && d.PullRequestURL != "":
		s = fmt.Sprintf("[#%d](%s), merge %s", d.PullRequest, safeURL(d.PullRequestURL), shortSHA(d.MergeSHA))
	case d.PullRequest > 0:
		s = fmt.Sprintf("#%d, merge %s", d.PullRequest, shortSHA(d.MergeSHA))
	default:
		s = "merge " + shortSHA(d.MergeSHA)
	}
	if !d.FinishedAt.IsZero() {
		s += ", deployed " + d.FinishedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	if d.Endpoint != "" {
		s += " to " + esc(d.Endpoint)
	}
	return s
}
