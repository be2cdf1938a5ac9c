package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// promotionHead is a promotion's heading, where it deploys, what else
// changes, drift on its stage, and its findings.
func (r *renderer) promotionHead(pr *plan.Promotion) piece {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s %s → %s: %s\n\n", statusIcon[worst(*pr)], esc(pr.Model), esc(pr.Stage), change(pr.Promotion))
	env := pr.Environment
	if env.RegistryOnly {
		fmt.Fprintf(&b, "**Registry only**: copied into the model registry and bucket of account %s (%s); nothing is deployed", esc(env.Account), esc(env.Region))
	} else {
		fmt.Fprintf(&b, "Endpoint **%s** in account %s (%s): %s, %s", esc(pr.To.Name), esc(env.Account), esc(env.Region),
			esc(plan.CapacitySummary(pr.To)), esc(plan.RolloutSummary(pr.To.Rollout)))
	}
	if pkg, src := pr.Details.Package, pr.Details.Source; pkg != nil && src != nil && src.Mode != "" {
		// A stage sourced from a registry-only stage reads that registry's
		// copy, which has its own version number; the model file's
		// version is the source registry's, and stays the one shown.
		fmt.Fprintf(&b, " · package %s v%d, %s's copy v%d (%s)", esc(pr.ModelPackageGroup), pr.ToVersion, esc(src.Stage), pkg.Version, esc(pkg.ApprovalStatus))
	} else if pkg != nil {
		fmt.Fprintf(&b, " · package %s v%d (%s)", esc(pkg.Group), pkg.Version, esc(pkg.ApprovalStatus))
	} else {
		fmt.Fprintf(&b, " · package %s v%d", esc(pr.ModelPackageGroup), pr.ToVersion)
	}
	if live := pr.Details.Live; live != nil && live.SourceVersion > 0 {
		fmt.Fprintf(&b, " · live now: v%d", live.SourceVersion)
	}
	b.WriteString("\n")
	var notes []string
	if sum := manifest.ResolveSettings(env, pr.ModelPackageGroup, pr.To).Summary(); sum != "" && !env.RegistryOnly {
		notes = append(notes, "Deploys with "+esc(sum)+".")
	}
	if d := pr.Details.Source; d != nil && d.Mode != "" {
		notes = append(notes, "Reads its package from "+esc(strings.TrimPrefix(d.Summary(), "source: "))+".")
	}
	if len(pr.Changes) > 0 {
		var cs []string
		for _, c := range pr.Changes {
			cs = append(cs, esc(c))
		}
		notes = append(notes, "Also changes: "+strings.Join(cs, "; ")+".")
	}
	for _, d := range r.p.Drift {
		if d.Model == pr.Model && d.Stage == pr.Stage {
			notes = append(notes, strings.TrimSuffix(drift(d), "\n"))
		}
	}
	for _, n := range notes {
		b.WriteString("\n" + n + "\n")
	}
	fs := r.p.FindingsFor(pr.Model, pr.Stage)
	if len(fs) > 0 {
		b.WriteString("\n")
	}
	return piece{head: b.String(), rows: r.findingRows(fs, false), noun: "findings"}
}

// fold wraps a section in <details>, open when it holds a failure.
func fold(open bool, summary string) (head, tail string) {
	attr := ""
	if open {
		attr = " open"
	}
	return "<details" + attr + "><summary>" + summary + "</summary>\n\n", "\n</details>\n"
}

// reviewState names a review state.
var reviewState = map[string]string{
	"APPROVED":          "✅ approved",
	"CHANGES_REQUESTED": "🛑 changes requested",
	"DISMISSED":         "🚫 dismissed",
	"COMMENTED":         "💬 commented",
}

// approvals is the governance gate's working: who approved what, what
// counted, and what is missing.
func (r *renderer) approvals(pr *plan.Promotion) (piece, bool) {
	ap := pr.Details.Approvals
	if ap == nil {
		return piece{}, false
	}
	from := "anyone but the author"
	if len(ap.Approvers) > 0 {
		var as []string
		for _, a := range ap.Approvers {
			as = append(as, esc(a))
		}
		from = strings.Join(as, " or ")
	}
	status := "✅ enough approvals"
	if missing := ap.Required - ap.Counted; missing > 0 {
		status = fmt.Sprintf("⏳ needs %d more from %s", missing, from)
	}
	head := fmt.Sprintf("**Approvals: %d of %d** from %s, on %s · %s\n\n", ap.Counted, ap.Required, from, shortSHA(ap.HeadSHA), status)
	if len(ap.Reviews) == 0 {
		return piece{head: head + "No reviews yet.\n"}, true
	}
	head += "| Reviewer | Review | On commit | Counts |\n|---|---|---|---|\n"
	pc := piece{head: head, noun: "reviews"}
	for _, rv := range ap.Reviews {
		state, ok := reviewState[rv.State]
		if !ok {
			state = esc(strings.ToLower(rv.State))
		}
		commit := shortSHA(rv.CommitID)
		if rv.CommitID != "" && rv.CommitID == ap.HeadSHA {
			commit += " (head)"
		}
		counts := "✅ yes"
		if rv.Via != "" {
			counts += ", via " + esc(rv.Via)
		}
		if !rv.Counted {
			counts = "❌ no"
			if rv.Reason != "" {
				counts = "❌ " + esc(rv.Reason)
			}
		}
		pc.rows = append(pc.rows, fmt.Sprintf("| %s | %s | %s | %s |\n", login(rv.Login), state, commit, counts))
	}
	return pc, true
}

// compliance is the checklist of required reports.
func (r *renderer) compliance(pr *plan.Promotion) (piece, bool) {
	rs := pr.Details.Reports
	if len(rs) == 0 {
		return piece{}, false
	}
	pass := 0
	for _, rc := range rs {
		if rc.Status == plan.StatusPass {
			pass++
		}
	}
	head, tail := fold(pass < len(rs), fmt.Sprintf("Compliance reports: %d of %d pass", pass, len(rs)))
	head += "| Report | Status | Recorded digest | Computed digest | Last modified | Problem |\n|---|:-:|---|---|---|---|\n"
	pc := piece{head: head, tail: tail, noun: "reports"}
	// Failures first: they are what a reviewer must see, and what a cut
	// for length must keep.
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b plan.ReportCheck) int { return statusRank[b.Status] - statusRank[a.Status] })
	for _, rc := range rs {
		kind := esc(string(rc.Kind))
		if rc.Part != "" && rc.Part != "report" {
			kind += " (" + esc(rc.Part) + ")"
		}
		computed := shortDigest(rc.ComputedDigest)
		if rc.ComputedDigest != "" && rc.Digest != "" {
			if rc.ComputedDigest == rc.Digest {
				computed += " ✅"
			} else {
				computed += " ❌ mismatch"
			}
		}
		problem := "—"
		if rc.Problem != "" {
			problem = esc(rc.Problem)
		}
		pc.rows = append(pc.rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", kind, statusIcon[rc.Status],
			shortDigest(rc.Digest), computed, r.age(rc.LastModified), problem))
	}
	return pc, true
}

// age writes when something was last modified, with its age when the
// renderer knows the time.
func (r *renderer) age(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	date := t.UTC().Format("2006-01-02")
	if r.now.IsZero() {
		return date
	}
	d := r.now.Sub(t)
	switch {
	case d < 0:
		return date + " (in the future)"
	case d < time.Hour:
		return date + " (just now)"
	case d < 48*time.Hour:
		return fmt.Sprintf("%s (%d h ago)", date, int(d.Hours()))
	}
	return fmt.Sprintf("%s (%d days ago)", date, int(d.Hours()/24))
}

// actions lists what apply will do on merge, folded.
func (r *renderer) actions() (piece, bool) {
	if len(r.p.Actions) == 0 {
		return piece{}, false
	}
	head, tail := fold(false, fmt.Sprintf("What apply will do on merge (%s)", plural(len(r.p.Actions), "step", "steps")))
	pc := piece{head: head, tail: tail, noun: "steps"}
	for i, a := range r.p.Actions {
		h := a.Head()
		pc.rows = append(pc.rows, fmt.Sprintf("%d. **%s/%s** %s: %s\n", i+1, esc(h.Model), esc(h.Stage), esc(string(h.Kind)), esc(a.Summary())))
	}
	return pc, true
}
