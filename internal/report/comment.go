package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// CommentMarker opens every pull request comment the bot writes. The caller
// keeps exactly one comment per pull request: it finds the comment that
// starts with this marker and edits it in place.
const CommentMarker = "<!-- modelpromote:report -->"

// Length limits GitHub sets, in characters. Reports are measured in bytes,
// which is never less than the character count, so they stay within them.
const (
	MaxCommentLength = 65536   // an issue or pull request comment body
	MaxCheckRunText  = 65535   // a check run's output.summary and output.text, each
	MaxSummaryLength = 1 << 20 // a step's GITHUB_STEP_SUMMARY
)

// CommentOptions tunes Comment.
type CommentOptions struct {
	// CheckRunURL is the check run's page, where what the comment leaves
	// out for length can be read. Optional.
	CheckRunURL string
	// MaxLength is the longest comment written, in bytes; 0 means
	// MaxCommentLength.
	MaxLength int
	// Now is when the plan was checked: the footer shows it and report
	// ages are measured from it. Zero omits both (ages show as dates).
	Now time.Time
	// Version is the tool's version, for the footer. Optional.
	Version string
}

// Comment renders a plan as the pull request comment: CommentMarker, a
// one-line verdict, the promotions table with every gate, then per
// promotion its findings, approvals, compliance checklist, evaluation diff,
// bias and SHAP tables and lineage graph, long parts folded. The comment
// stays within opts.MaxLength by construction: the verdict and promotions
// table come first, the other sections are added in priority order while
// they fit, and whatever is cut is named, with a pointer to the check run.
func Comment(p *plan.Plan, opts CommentOptions) string {
	limit := opts.MaxLength
	if limit <= 0 {
		limit = MaxCommentLength
	}
	elsewhere := "in the check run"
	if opts.CheckRunURL != "" {
		elsewhere = "in the [check run](" + safeURL(opts.CheckRunURL) + ")"
	}
	r := &renderer{p: p, now: opts.Now, checkRunURL: opts.CheckRunURL}
	a := assembler{limit: limit - len(CommentMarker) - 1, elsewhere: elsewhere}
	return CommentMarker + "\n" + a.assemble(r.blocks(allSections), r.footer(opts.Version))
}

// Summary renders a plan for a GitHub Actions job summary
// (GITHUB_STEP_SUMMARY): the comment's content without the marker, within
// GitHub's 1 MiB limit. It has no clock, so report ages show as dates.
func Summary(p *plan.Plan) string {
	r := &renderer{p: p}
	a := assembler{limit: MaxSummaryLength, elsewhere: "in the check run"}
	return a.assemble(r.blocks(allSections), "")
}

// renderer turns a plan into blocks.
type renderer struct {
	p           *plan.Plan
	now         time.Time
	checkRunURL string
}

// Which sections blocks writes.
type sections int

const (
	summarySections sections = iota // verdict, table, change flags, findings
	allSections
)

// blocks lays the plan out as blocks: the summary (always written), the
// change as a whole, then each promotion, then the apply steps.
func (r *renderer) blocks(which sections) []*block {
	var bs []*block
	add := func(b *block) *block {
		bs = append(bs, b)
		return b
	}
	add(&block{pos: 0, tier: tierSummary, piece: piece{head: r.incidentBanner() + r.verdictLine()}})
	add(&block{pos: 1, tier: tierSummary, piece: r.promotionsTable()})
	if pc, ok := r.changeNotes(); ok {
		add(&block{pos: 2, tier: tierChange, kind: "notes on the change", piece: pc})
	}
	if pc, ok := r.planFindings(); ok {
		add(&block{pos: 3, tier: tierChange, kind: "findings about the change", piece: pc})
	}
	for i := range r.p.Promotions {
		pr := &r.p.Promotions[i]
		pos := 100 + i*10
		head := add(&block{pos: pos, tier: tierPromotion, kind: "promotion sections", piece: r.promotionHead(pr)})
		if which == summarySections {
			continue
		}
		if pc, ok := r.approvals(pr); ok {
			add(&block{pos: pos + 1, tier: tierApprovals, parent: head, kind: "approvals", piece: pc})
		}
		if pc, ok := r.compliance(pr); ok {
			add(&block{pos: pos + 2, tier: tierCompliance, parent: head, kind: "compliance checklists", piece: pc})
		}
		if pc, ok := r.evaluation(pr); ok {
			add(&block{pos: pos + 3, tier: tierEvaluation, parent: head, kind: "evaluation diffs", piece: pc})
		}
		if pc, ok := r.bias(pr); ok {
			add(&block{pos: pos + 4, tier: tierExplain, parent: head, kind: "bias tables", piece: pc})
		}
		if pc, ok := r.shap(pr); ok {
			add(&block{pos: pos + 5, tier: tierExplain, parent: head, kind: "SHAP tables", piece: pc})
		}
		if pc, ok := r.lineage(pr); ok {
			add(&block{pos: pos + 6, tier: tierLineage, parent: head, kind: "lineage graphs", piece: pc})
		}
	}
	if which == allSections {
		if pc, ok := r.actions(); ok {
			add(&block{pos: 1 << 30, tier: tierActions, kind: "apply steps", piece: pc})
		}
	}
	return bs
}

// footer names the tool, the time and the commit, small.
func (r *renderer) footer(version string) string {
	var parts []string
	if version != "" {
		parts = append(parts, "modelpromote "+esc(version))
	} else {
		parts = append(parts, "modelpromote")
	}
	if !r.now.IsZero() {
		parts = append(parts, "checked "+r.now.UTC().Format("2006-01-02 15:04 MST"))
	}
	if r.p.PR != nil && r.p.PR.HeadSHA != "" {
		parts = append(parts, "head "+shortSHA(r.p.PR.HeadSHA))
	} else if r.p.Head != "" {
		parts = append(parts, "head "+esc(clip(r.p.Head, 40)))
	}
	return "\n<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}

// safeURL keeps a URL the caller gave from breaking out of a markdown link.
func safeURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "\"", "%22", "\n", "", "\r", "").Replace(u)
}

// plural writes "1 promotion", "2 promotions".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
