package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// verdict is the plan's outcome, counted for the one-line verdict and the
// check run's conclusion.
type verdict struct {
	// Status is the worst of every gate and of the findings about the
	// change as a whole.
	Status plan.Status
	// Promotions counts promotions; Failing, Pending and Unchecked count
	// those whose worst gate fails, waits for approvals or was not checked.
	Promotions, Failing, Pending, Unchecked int
	// ChangeErrors counts errors about the change as a whole.
	ChangeErrors int
	// AnyUnchecked is true when any gate of any promotion was not checked.
	AnyUnchecked bool
}

func judge(p *plan.Plan) verdict {
	v := verdict{Status: plan.StatusPass, Promotions: len(p.Promotions)}
	for _, pr := range p.Promotions {
		switch worst(pr) {
		case plan.StatusFail:
			v.Failing++
		case plan.StatusPending:
			v.Pending++
		case plan.StatusUnchecked:
			v.Unchecked++
		}
		for _, g := range pr.Gates {
			v.Status = plan.Worse(v.Status, g.Status)
			v.AnyUnchecked = v.AnyUnchecked || g.Status == plan.StatusUnchecked
		}
	}
	for _, f := range changeFindings(p) {
		switch f.Severity {
		case plan.SeverityError:
			v.ChangeErrors++
			v.Status = plan.StatusFail
		case plan.SeverityPending:
			v.Status = plan.Worse(v.Status, plan.StatusPending)
		}
	}
	return v
}

// worst is a promotion's worst gate.
func worst(pr plan.Promotion) plan.Status {
	s := plan.StatusPass
	for _, g := range pr.Gates {
		s = plan.Worse(s, g.Status)
	}
	return s
}

// sentence says the verdict in words, without markup.
func (v verdict) sentence() string {
	// of writes "1 of 3 promotions fails", "2 of 3 promotions fail", and
	// "the promotion fails" when there is one.
	of := func(n int, one, many string) string {
		switch {
		case v.Promotions == 1:
			return "the promotion " + one
		case n == 1:
			return fmt.Sprintf("1 of %d promotions %s", v.Promotions, one)
		}
		return fmt.Sprintf("%d of %d promotions %s", n, v.Promotions, many)
	}
	switch v.Status {
	case plan.StatusFail:
		var parts []string
		if v.Failing > 0 {
			parts = append(parts, of(v.Failing, "fails a gate", "fail a gate"))
		}
		if v.ChangeErrors > 0 {
			parts = append(parts, plural(v.ChangeErrors, "error", "errors")+" in the change itself")
		}
		if v.Pending > 0 {
			parts = append(parts, of(v.Pending, "waits for approvals", "wait for approvals"))
		}
		return "Blocked: " + strings.Join(parts, "; ")
	case plan.StatusPending:
		if v.Pending == 0 {
			return "Waiting for approvals: the change itself needs approval; every promotion's gates pass"
		}
		return "Waiting for approvals: " + of(v.Pending, "needs approvals", "need approvals") + "; every other gate passes"
	case plan.StatusUnchecked:
		return "Not fully checked: " + of(v.Unchecked, "has gates that were not checked", "have gates that were not checked")
	}
	if v.Promotions == 0 {
		return "Nothing to promote: this change moves no stage"
	}
	return fmt.Sprintf("All gates pass: %s ready to deploy on merge", plural(v.Promotions, "promotion", "promotions"))
}

// Symbols for statuses and severities in markdown.
var (
	statusIcon = map[plan.Status]string{
		plan.StatusPass:      "✅",
		plan.StatusUnchecked: "➖",
		plan.StatusPending:   "⏳",
		plan.StatusFail:      "❌",
	}
	severityIcon = map[plan.Severity]string{
		plan.SeverityError:   "❌",
		plan.SeverityPending: "⏳",
		plan.SeverityWarning: "⚠️",
		plan.SeverityNotice:  "ℹ️",
	}
	statusRank = map[plan.Status]int{
		plan.StatusPass:      0,
		plan.StatusUnchecked: 1,
		plan.StatusPending:   2,
		plan.StatusFail:      3,
	}
	severityRank = map[plan.Severity]int{
		plan.SeverityError:   0,
		plan.SeverityPending: 1,
		plan.SeverityWarning: 2,
		plan.SeverityNotice:  3,
	}
)

func (r *renderer) verdictLine() string {
	v := judge(r.p)
	s := fmt.Sprintf("## %s %s\n", statusIcon[v.Status], v.sentence())
	var counts []string
	n := map[plan.Severity]int{}
	for _, f := range r.p.Findings {
		n[f.Severity]++
	}
	for _, sev := range []plan.Severity{plan.SeverityError, plan.SeverityPending, plan.SeverityWarning, plan.SeverityNotice} {
		if n[sev] > 0 {
			word := string(sev)
			if n[sev] > 1 && sev != plan.SeverityPending {
				word += "s"
			}
			counts = append(counts, fmt.Sprintf("%s %d %s", severityIcon[sev], n[sev], word))
		}
	}
	meta := []string{plural(v.Promotions, "promotion", "promotions")}
	meta = append(meta, counts...)
	if pr := r.p.PR; pr != nil {
		if pr.Number > 0 {
			meta = append(meta, fmt.Sprintf("pull request #%d by %s", pr.Number, login(pr.Author)))
		}
		if pr.HeadSHA != "" {
			meta = append(meta, "head "+shortSHA(pr.HeadSHA))
		}
	}
	if r.checkRunURL != "" {
		meta = append(meta, "[check run]("+safeURL(r.checkRunURL)+")")
	}
	return s + "\n" + strings.Join(meta, " · ") + "\n"
}

// login writes a GitHub login without pinging it.
func login(l string) string {
	if l == "" {
		return "—"
	}
	return "@" + zwj + esc(l)
}

// gateHeads are the gate columns' headings.
var gateHeads = map[plan.Gate]string{
	plan.GateManifest: "Manifest", plan.GatePolicy: "Policy", plan.GateLineage: "Lineage",
	plan.GateCompliance: "Compliance", plan.GateEvaluation: "Evaluation", plan.GateGovernance: "Governance",
}

func (r *renderer) promotionsTable() piece {
	if len(r.p.Promotions) == 0 {
		return piece{head: "No promotions: this change moves no stage to another version or endpoint configuration.\n"}
	}
	head := "| Model | Stage | Change | Endpoint |"
	sep := "|---|---|---|---|"
	for _, g := range plan.Gates {
		head += " " + gateHeads[g] + " |"
		sep += ":-:|"
	}
	pc := piece{head: head + "\n" + sep + "\n", noun: "promotions"}
	for _, pr := range r.p.Promotions {
		row := fmt.Sprintf("| %s | %s | %s | %s |", esc(pr.Model), esc(pr.Stage), change(pr.Promotion), esc(pr.Where()))
		for _, g := range plan.Gates {
			row += " " + statusIcon[pr.Status(g)] + " |"
		}
		pc.rows = append(pc.rows, row+"\n")
	}
	pc.tail = "\n<sub>✅ pass · ⏳ waiting for approvals · ❌ fails · ➖ not checked</sub>\n"
	return pc
}

// change says what a promotion does to the stage's version.
func change(p manifest.Promotion) string {
	switch {
	case p.IsNew():
		return fmt.Sprintf("🆕 new → **v%d**", p.ToVersion)
	case p.IsReconfiguration():
		return fmt.Sprintf("⚙️ v%d, reconfigured", p.ToVersion)
	case p.IsRollback():
		return fmt.Sprintf("⏪ v%d → **v%d** (rollback)", p.FromVersion, p.ToVersion)
	}
	return fmt.Sprintf("v%d → **v%d**", p.FromVersion, p.ToVersion)
}

// changeNotes flags what the change does besides promotions: a
// configuration edit, new, renamed and removed models and stages, and drift
// on stages no promotion covers.
func (r *renderer) changeNotes() (piece, bool) {
	p := r.p
	var rows []string
	if p.ConfigChanged {
		what := "the configuration"
		if len(p.ConfigChanges) > 0 {
			var cs []string
			for _, c := range p.ConfigChanges {
				cs = append(cs, esc(c))
			}
			what = strings.Join(cs, ", ")
		}
		rows = append(rows, fmt.Sprintf("- ⚠️ **This pull request edits %s** (%s). It is judged by the base branch's policy, needs the owners' approval, and takes effect only once merged.\n",
			esc(manifest.ConfigPath(p.Dir)), what))
	}
	for _, m := range p.NewModels {
		rows = append(rows, fmt.Sprintf("- 🆕 New model **%s**.\n", esc(m)))
	}
	for _, rn := range p.Renames {
		rows = append(rows, fmt.Sprintf("- Renamed **%s** (%s) → **%s** (%s).\n", esc(rn.FromModel), esc(rn.FromFile), esc(rn.ToModel), esc(rn.ToFile)))
	}
	for _, s := range p.RemovedStages {
		rows = append(rows, fmt.Sprintf("- Removed stage **%s** of **%s** (was v%d); its endpoint keeps serving.\n", esc(s.Stage), esc(s.Model), s.Version))
	}
	for _, m := range p.RemovedModels {
		rows = append(rows, fmt.Sprintf("- Removed model **%s**; its endpoints keep serving.\n", esc(m)))
	}
	for _, d := range p.Drift {
		if !r.promoted(d.Model, d.Stage) {
			rows = append(rows, "- "+drift(d))
		}
	}
	if len(rows) == 0 {
		return piece{}, false
	}
	return piece{rows: rows, noun: "notes"}, true
}

func (r *renderer) promoted(model, stage string) bool {
	return slices.ContainsFunc(r.p.Promotions, func(pr plan.Promotion) bool { return pr.Model == model && pr.Stage == stage })
}

// drift describes one drifted stage as a list item's text.
func drift(d plan.Drift) string {
	serving := "nothing modelpromote deployed"
	if d.Serving > 0 {
		serving = fmt.Sprintf("v%d", d.Serving)
	}
	s := fmt.Sprintf("⚠️ **Drift** on %s/%s: endpoint %s serves %s, the base manifest says v%d", esc(d.Model), esc(d.Stage), esc(d.Endpoint), serving, d.Manifest)
	if d.Detail != "" {
		s += " (" + esc(d.Detail) + ")"
	}
	return s + ".\n"
}

// changeFindings are the findings about no promotion: the change as a
// whole, or stages and models it removes.
func changeFindings(p *plan.Plan) []plan.Finding {
	var out []plan.Finding
	for _, f := range p.Findings {
		if !slices.ContainsFunc(p.Promotions, func(pr plan.Promotion) bool { return f.Model == pr.Model && f.Stage == pr.Stage }) {
			out = append(out, f)
		}
	}
	return out
}

func (r *renderer) planFindings() (piece, bool) {
	fs := changeFindings(r.p)
	if len(fs) == 0 {
		return piece{}, false
	}
	return piece{head: "### Findings about the change\n\n", rows: r.findingRows(fs, true), noun: "findings"}, true
}

// findingRows lists findings as list items, errors first.
func (r *renderer) findingRows(fs []plan.Finding, subject bool) []string {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b plan.Finding) int { return severityRank[a.Severity] - severityRank[b.Severity] })
	var rows []string
	for _, f := range fs {
		s := "- " + severityIcon[f.Severity] + " **" + esc(string(f.Gate)) + "**"
		if subject && f.Model != "" {
			s += " · " + esc(f.Model) + "/" + esc(f.Stage)
		}
		if f.File != "" {
			s += " · " + r.where(f.File, f.Pos)
		}
		rows = append(rows, s+" — "+esc(f.Message)+"\n")
	}
	return rows
}

// where writes file:line, linked to the line in the head commit when the
// plan is for a pull request.
func (r *renderer) where(file string, pos manifest.Pos) string {
	text := file
	if pos.Line > 0 {
		text = fmt.Sprintf("%s:%d", file, pos.Line)
	}
	pr := r.p.PR
	if pr == nil || pr.Repo == "" || !isHex(pr.HeadSHA) {
		return esc(text)
	}
	u := repoURL(pr) + "/blob/" + pr.HeadSHA[:min(len(pr.HeadSHA), 12)] + "/" + pathURL(file)
	if pos.Line > 0 {
		u += fmt.Sprintf("#L%d", pos.Line)
	}
	return "[" + esc(text) + "](" + u + ")"
}

// repoURL is the repository's web address, taken from the pull request's
// (so that GitHub Enterprise Server works) or else on github.com.
func repoURL(pr *plan.PullRequest) string {
	if base, _, ok := strings.Cut(pr.URL, "/pull/"); ok && strings.HasPrefix(base, "https://") {
		return safeURL(base)
	}
	return "https://github.com/" + pathURL(pr.Repo)
}

// pathURL escapes a slash-separated path for a URL: every byte but
// letters, digits, "-", ".", "_" and "/" is percent-encoded, so nothing in
// it can end a markdown link or read as an entity.
func pathURL(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
