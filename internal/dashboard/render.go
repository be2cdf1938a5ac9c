package dashboard

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelpromote/modelpromote/internal/report"
)

// MaxBody is GitHub's limit on an issue body, in characters.
const MaxBody = 65536

// maxError bounds one error message shown.
const maxError = 300

// section is a heading with lines that may be cut when the body would
// not fit: as many lines as fit are shown, then a pointer to
// `modelpromote status`.
type section struct {
	head  []string // always shown with the section
	lines []string
	tail  []string // shown when every line fits
}

// Render writes the issue body: the marker, a summary, then the pending
// promotions, recent failures, drift and stages that could not be read,
// and the status table of every stage. It never exceeds limit characters
// (MaxBody when limit <= 0): sections are filled in that order, and the
// first one that does not fit says how many lines it left out and where
// to see them.
func Render(in *Input, limit int) string {
	if limit <= 0 || limit > MaxBody {
		limit = MaxBody
	}
	var top strings.Builder
	top.WriteString(Marker + "\n")
	top.WriteString("# " + Title + "\n\n")
	top.WriteString("This issue is kept up to date by modelpromote: it is edited after every apply (a rollback is one) and every drift run. Edits to it are overwritten.\n\n")
	top.WriteString(summary(in) + "\n\n")
	footer := footer(in)

	budget := limit - runes(top.String()) - runes(footer)
	var body strings.Builder
	for _, s := range sections(in) {
		text := s.fit(budget)
		body.WriteString(text)
		budget -= runes(text)
	}
	return top.String() + body.String() + footer
}

// fit renders s within budget characters: whole, or its head, the lines
// that fit and how many did not; "" when not even that fits.
func (s section) fit(budget int) string {
	if len(s.head) == 0 {
		return ""
	}
	more := func(n int) string {
		return fmt.Sprintf("\n_…and %d more not shown here (GitHub's limit on an issue body): run `modelpromote status`._\n\n", n)
	}
	head := strings.Join(s.head, "\n") + "\n"
	all := head + joinLines(s.lines) + joinLines(s.tail) + "\n"
	if runes(all) <= budget {
		return all
	}
	var b strings.Builder
	b.WriteString(head)
	used := runes(head)
	shown := 0
	for _, l := range s.lines {
		n := runes(l) + 1
		if used+n+runes(more(len(s.lines))) > budget {
			break
		}
		b.WriteString(l + "\n")
		used += n
		shown++
	}
	tailText := more(len(s.lines) - shown)
	if used+runes(tailText) > budget {
		return "" // not even the heading fits
	}
	b.WriteString(tailText)
	return b.String()
}

func joinLines(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// summary is the line of counts under the title.
func summary(in *Input) string {
	models := map[string]bool{}
	drifted, unread := 0, 0
	if in.Table != nil {
		for _, r := range in.Table.Rows {
			models[r.Model] = true
		}
		drifted, unread = in.Table.Summary()
	}
	stages := 0
	if in.Table != nil {
		stages = len(in.Table.Rows)
	}
	parts := []string{fmt.Sprintf("**%s, %s**", plural(len(models), "model", "models"), plural(stages, "stage", "stages"))}
	parts = append(parts, mark(len(in.Pending) > 0, "⏳", "✅")+" "+plural(len(in.Pending), "pending promotion", "pending promotions"))
	parts = append(parts, mark(len(in.Failures) > 0, "❌", "✅")+" "+plural(len(in.Failures), "failure", "failures")+" since "+day(in.Since))
	parts = append(parts, mark(drifted > 0, "⚠️", "✅")+" "+plural(drifted, "stage drifted", "stages drifted"))
	if unread > 0 {
		parts = append(parts, "❓ "+plural(unread, "stage unread", "stages unread"))
	}
	return strings.Join(parts, " · ")
}

func mark(bad bool, yes, no string) string {
	if bad {
		return yes
	}
	return no
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func footer(in *Input) string {
	at := "—"
	if in.Table != nil {
		at = in.Table.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	v := ""
	if in.Version != "" {
		v = " " + report.Escape(in.Version)
	}
	return fmt.Sprintf("<sub>Updated %s by modelpromote%s. The full table, in text or JSON: `modelpromote status`; a stage's timeline: `modelpromote history --model M --stage S`.</sub>\n", at, v)
}

// sections are the body's sections in the order they are filled.
func sections(in *Input) []section {
	return []section{pendingSection(in), failuresSection(in), driftSection(in), tableSection(in)}
}

func pendingSection(in *Input) section {
	s := section{head: []string{"## Pending promotions", ""}}
	switch {
	case in.PendingOffline:
		s.lines = []string{"Open pull requests were not read (no repository given)."}
		return s
	case in.PendingError != "":
		s.lines = []string{"❓ Open pull requests could not be read: " + clip(in.PendingError)}
		return s
	case len(in.Pending) == 0:
		s.lines = []string{"None: no open pull request promotes a stage."}
		return s
	}
	s.head = append(s.head, "| Pull request | Promotes | Check | Blocking gates |", "| --- | --- | --- | --- |")
	for _, p := range in.Pending {
		s.lines = append(s.lines, p.row())
	}
	return s
}

func (p Pending) row() string {
	pr := fmt.Sprintf("[#%d](%s) %s by %s", p.Number, p.URL, report.Escape(p.Title), report.Escape(p.Author))
	var moves []string
	for _, m := range p.Moves {
		from := "—"
		if m.From > 0 {
			from = fmt.Sprintf("v%d", m.From)
		}
		moves = append(moves, fmt.Sprintf("%s/%s %s → v%d", report.Escape(m.Model), report.Escape(m.Stage), from, m.To))
	}
	check := checkCell(p)
	var blocks []string
	for _, b := range p.Blocking {
		icon := "❌"
		if b.Severity == "pending" {
			icon = "⏳"
		}
		where := ""
		if b.Model != "" {
			where = report.Escape(b.Model+"/"+b.Stage) + " "
		}
		blocks = append(blocks, icon+" "+where+report.Escape(b.Gate))
	}
	blocking := "—"
	if len(blocks) > 0 {
		blocking = strings.Join(blocks, "<br>")
	}
	return "| " + strings.Join([]string{pr, strings.Join(moves, "<br>"), check, blocking}, " | ") + " |"
}

// checkCell is the check's state in words, linked to the check run.
func checkCell(p Pending) string {
	if p.Error != "" {
		return "❓ check unread: " + clip(p.Error)
	}
	icon := map[string]string{"success": "✅", "action_required": "⏳", "failure": "❌", "queued": "🔄", "in_progress": "🔄"}[p.Check]
	text := p.Verdict
	switch {
	case p.Check == "":
		return "➖ not checked yet"
	case text == "":
		text = p.Check
	}
	if icon == "" {
		icon = "❓"
	}
	if p.CheckURL != "" {
		return fmt.Sprintf("%s [%s](%s)", icon, report.Escape(text), p.CheckURL)
	}
	return icon + " " + report.Escape(text)
}

func failuresSection(in *Input) section {
	s := section{head: []string{"## Recent failures (since " + day(in.Since) + ")", ""}}
	if len(in.Failures) == 0 && len(in.FailuresUnread) == 0 {
		s.lines = []string{"None."}
		return s
	}
	if len(in.Failures) > 0 {
		s.head = append(s.head, "| Finished (UTC) | Model | Stage | Versions | Pull request | Error |", "| --- | --- | --- | --- | --- | --- |")
	}
	for _, f := range in.Failures {
		pr := "—"
		if f.PullRequest > 0 {
			pr = fmt.Sprintf("#%d", f.PullRequest)
			if f.PullRequestURL != "" {
				pr = fmt.Sprintf("[#%d](%s)", f.PullRequest, f.PullRequestURL)
			}
		}
		from := "—"
		if f.From > 0 {
			from = fmt.Sprintf("v%d", f.From)
		}
		s.lines = append(s.lines, "| "+strings.Join([]string{f.FinishedAt.UTC().Format("2006-01-02 15:04"), report.Escape(f.Model),
			report.Escape(f.Stage), fmt.Sprintf("%s → v%d", from, f.To), pr, clip(f.Error)}, " | ")+" |")
	}
	for _, u := range in.FailuresUnread {
		s.tail = append(s.tail, "- ❓ "+clip(u))
	}
	if len(in.Failures) > 0 && len(s.tail) > 0 {
		s.tail = append([]string{""}, s.tail...)
	}
	return s
}

func driftSection(in *Input) section {
	s := section{head: []string{"## Drift", ""}}
	if in.Table == nil {
		return section{}
	}
	for _, r := range in.Table.Rows {
		where := report.Escape(r.Model + "/" + r.Stage)
		switch {
		case r.Error != "":
			s.lines = append(s.lines, fmt.Sprintf("- ❓ %s: could not read endpoint `%s`: %s", where, r.Endpoint, clip(r.Error)))
		case r.Drift != "":
			s.lines = append(s.lines, fmt.Sprintf("- ⚠️ %s (`%s`): %s", where, r.Endpoint, clip(r.Drift)))
		}
		if p := r.LastPromotion; p != nil && p.EvidenceError != "" {
			s.lines = append(s.lines, fmt.Sprintf("- ❓ %s: evidence record unreadable: %s", where, clip(p.EvidenceError)))
		}
	}
	if len(s.lines) == 0 {
		s.lines = []string{"None: every stage serves what its manifest says."}
	}
	return s
}

func tableSection(in *Input) section {
	if in.Table == nil {
		return section{}
	}
	head, rows := in.Table.MarkdownLines()
	return section{head: append([]string{"## Every stage", ""}, head...), lines: rows}
}

// clip escapes an error message and bounds it.
func clip(s string) string {
	if utf8.RuneCountInString(s) > maxError {
		s = string([]rune(s)[:maxError]) + "…"
	}
	return report.Escape(s)
}
