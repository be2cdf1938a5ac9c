package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// A block is one self-contained piece of a markdown report: the verdict, a
// table, a promotion's findings, a folded section. A report is assembled
// from blocks chosen by priority (tier) and written in document order
// (pos), so that what a length limit cuts is always whole blocks or whole
// table rows and list items: never half a row, an HTML tag or a code fence.
type block struct {
	pos  int // document order
	tier int // 0 is always written; then lower tiers first
	// parent, when set, must be written for this block to be.
	parent *block
	// kind says what the block holds, for the note on what was left out
	// ("lineage graph"); empty for blocks that are never left out.
	kind  string
	piece piece

	text string // as written, once chosen
}

// A piece is a block's text: head and tail are written whole; rows (table
// rows, list items, each ending in "\n") are written while they fit and the
// rest are counted in a note pointing to where they can be read.
type piece struct {
	head string
	rows []string
	noun string // what a row is, plural: "metrics", "findings"
	tail string
}

func (pc piece) full() string {
	return pc.head + strings.Join(pc.rows, "") + pc.tail
}

// Tier shares: when the whole report does not fit, the most of the
// remaining length one tier may take, so that one long kind of section (500
// metrics per promotion, long findings) leaves room for the sections after
// it.
var tierShare = map[int]float64{
	tierPromotion:  0.5,
	tierApprovals:  0.3,
	tierCompliance: 0.3,
	tierEvaluation: 0.7,
	tierExplain:    0.6,
}

// The tiers, most important first.
const (
	tierSummary    = iota // verdict, promotions table: always written
	tierChange            // configuration change, drift, plan-wide findings
	tierPromotion         // each promotion's heading and findings
	tierApprovals         // governance working
	tierCompliance        // compliance checklist
	tierEvaluation        // evaluation diff
	tierExplain           // bias and SHAP
	tierLineage           // lineage graph
	tierActions           // apply steps
)

// assembler lays out blocks within a length limit, in bytes (a
// conservative stand-in for GitHub's character count: a character is never
// shorter than one byte).
type assembler struct {
	limit int
	// elsewhere says where what is left out can be read, e.g.
	// "in the [check run](https://…)"; empty when nowhere.
	elsewhere string
}

// more is the note written after rows that were cut.
func (a assembler) more(n int, noun string) string {
	if n == 1 {
		noun = strings.TrimSuffix(noun, "s")
	}
	if a.elsewhere == "" {
		return fmt.Sprintf("\n*…and %d more %s, not shown for length.*\n", n, noun)
	}
	return fmt.Sprintf("\n*…and %d more %s %s.*\n", n, noun, a.elsewhere)
}

// fit writes pc within budget bytes: whole when it fits, else the head, as
// many rows as fit, the note on the rest and the tail. It returns "" when
// not even one row fits (or, for a piece without rows, the piece itself).
func (a assembler) fit(pc piece, budget int) string {
	full := pc.full()
	if len(full) <= budget {
		return full
	}
	if len(pc.rows) == 0 {
		return ""
	}
	avail := budget - len(pc.head) - len(pc.tail) - len(a.more(len(pc.rows), pc.noun))
	n := 0
	for n < len(pc.rows) && len(pc.rows[n]) <= avail {
		avail -= len(pc.rows[n])
		n++
	}
	if n == 0 {
		return ""
	}
	return pc.head + strings.Join(pc.rows[:n], "") + a.more(len(pc.rows)-n, pc.noun) + pc.tail
}

// assemble chooses and writes blocks, then the note on what was left out,
// then the footer. Blocks are separated by a blank line.
func (a assembler) assemble(blocks []*block, footer string) string {
	left := map[string]int{}
	for _, b := range blocks {
		if b.kind != "" {
			left[b.kind]++
		}
	}
	remaining := a.limit - len(footer) - len(a.omitted(left)) - 1
	whole := 0
	for _, b := range blocks {
		whole += len(b.piece.full()) + 1
	}
	fits := whole <= remaining
	tiers := map[int][]*block{}
	var order []int
	for _, b := range blocks {
		if _, ok := tiers[b.tier]; !ok {
			order = append(order, b.tier)
		}
		tiers[b.tier] = append(tiers[b.tier], b)
	}
	slices.Sort(order)
	omitted := map[string]int{}
	for _, t := range order {
		var cands []*block
		for _, b := range tiers[t] {
			if b.parent != nil && b.parent.text == "" {
				continue // its parent was left out, and it goes with it
			}
			cands = append(cands, b)
		}
		budget := remaining
		if share, ok := tierShare[t]; ok && !fits {
			budget = int(math.Floor(float64(remaining) * share))
		}
		// Smallest first, each taking at most an equal share of what is
		// left: small sections are written whole, long ones share the rest.
		size := map[*block]int{}
		for _, b := range cands {
			size[b] = len(b.piece.full())
		}
		slices.SortStableFunc(cands, func(x, y *block) int { return size[x] - size[y] })
		for i, b := range cands {
			share := budget / (len(cands) - i)
			if t == tierSummary {
				share = budget
			}
			b.text = a.fit(b.piece, share-1)
			if b.text == "" {
				if b.kind != "" {
					omitted[b.kind]++
				}
				continue
			}
			budget -= len(b.text) + 1
			remaining -= len(b.text) + 1
		}
	}
	chosen := slices.DeleteFunc(slices.Clone(blocks), func(b *block) bool { return b.text == "" })
	slices.SortStableFunc(chosen, func(x, y *block) int { return x.pos - y.pos })
	var sb strings.Builder
	for i, b := range chosen {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(b.text)
	}
	if note := a.omitted(omitted); note != "" {
		sb.WriteString("\n" + note)
	}
	sb.WriteString(footer)
	return sb.String()
}

// omitted says which sections were left out, by kind.
func (a assembler) omitted(counts map[string]int) string {
	if len(counts) == 0 {
		return ""
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s (%d)", k, counts[k]))
	}
	s := fmt.Sprintf("> [!NOTE]\n> Shortened to stay within GitHub's length limit. Not shown here: %s.", strings.Join(parts, ", "))
	if a.elsewhere != "" {
		s += " The full details are " + a.elsewhere + "."
	}
	return s + "\n"
}
