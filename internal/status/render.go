package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// cells are one row's columns as both renderings show them.
func (r Row) cells() []string {
	served := "—"
	if r.ServedVersion > 0 {
		served = fmt.Sprintf("v%d", r.ServedVersion)
	}
	status := r.EndpointStatus
	if r.RegistryOnly && r.Error == "" {
		status = "registry only: " + status
	}
	if r.Error != "" {
		status = "unread"
	}
	since := "—"
	if r.LiveSince != nil {
		since = r.LiveSince.UTC().Format("2006-01-02 15:04")
	}
	drift := "no"
	switch {
	case r.Error != "":
		drift = "unknown"
	case r.Drift != "":
		drift = "yes"
	}
	return []string{r.Model, r.Stage, fmt.Sprintf("v%d", r.ManifestVersion), served, status, r.instances(), since, r.lastPromotion(), drift, r.openPRs()}
}

var header = []string{"MODEL", "STAGE", "MANIFEST", "SERVING", "ENDPOINT", "INSTANCES", "LIVE SINCE (UTC)", "LAST PROMOTION", "DRIFT", "OPEN PRS"}

func (r Row) instances() string {
	var parts []string
	for _, v := range r.Variants {
		if v.MemorySizeMB > 0 {
			parts = append(parts, fmt.Sprintf("serverless %d MB ×%d", v.MemorySizeMB, v.MaxConcurrency))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d × %s", v.InstanceCount, v.InstanceType))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func (r Row) lastPromotion() string {
	p := r.LastPromotion
	if p == nil {
		return "—"
	}
	var s []string
	if p.PullRequest > 0 {
		s = append(s, fmt.Sprintf("#%d", p.PullRequest))
	}
	if p.MergeSHA != "" {
		s = append(s, gitsha.Short(p.MergeSHA))
	}
	if len(p.Approvers) > 0 {
		s = append(s, "by "+strings.Join(p.Approvers, ","))
	}
	if p.EvidenceError != "" {
		s = append(s, "(record unreadable)")
	}
	return strings.Join(s, " ")
}

func (r Row) openPRs() string {
	var s []string
	for _, p := range r.OpenPullRequests {
		s = append(s, fmt.Sprintf("#%d→v%d", p.Number, p.ToVersion))
	}
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, " ")
}

// WriteText writes the table for a terminal, then the details (drift,
// errors) below it.
func (t *Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range t.notes() {
		fmt.Fprintln(w, line)
	}
	return nil
}

// WriteMarkdown writes the table as GitHub-flavoured markdown, with links
// to pull requests and evidence records.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	head, rows := t.MarkdownLines()
	for _, l := range append(head, rows...) {
		b.WriteString(l + "\n")
	}
	if notes := t.notes(); len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			b.WriteString("- " + mdEscape(n) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// MarkdownLines are the markdown table's header lines and one line per
// row, without the notes under it: for a page that shows as many rows as
// fit (the dashboard issue).
func (t *Table) MarkdownLines() (head, rows []string) {
	sep := "|"
	for range header {
		sep += " --- |"
	}
	head = []string{"| " + strings.Join(mdHeader(), " | ") + " |", sep}
	for _, r := range t.Rows {
		rows = append(rows, r.markdown())
	}
	return head, rows
}

// markdown is one row of the markdown table.
func (r Row) markdown() string {
	c := r.cells()
	if p := r.LastPromotion; p != nil && p.PullRequestURL != "" && p.PullRequest > 0 {
		c[7] = strings.Replace(c[7], fmt.Sprintf("#%d", p.PullRequest), fmt.Sprintf("[#%d](%s)", p.PullRequest, p.PullRequestURL), 1)
	}
	if p := r.LastPromotion; p != nil && p.Evidence != "" {
		c[7] += fmt.Sprintf(" ([record](%s))", s3Console(p.Evidence))
	}
	if len(r.OpenPullRequests) > 0 {
		var s []string
		for _, p := range r.OpenPullRequests {
			s = append(s, fmt.Sprintf("[#%d](%s) → v%d", p.Number, p.URL, p.ToVersion))
		}
		c[9] = strings.Join(s, "<br>")
	}
	for i := range c {
		c[i] = mdEscape(c[i])
	}
	return "| " + strings.Join(c, " | ") + " |"
}

func mdHeader() []string {
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = strings.ToUpper(h[:1]) + strings.ToLower(h[1:])
	}
	out[6] = "Live since (UTC)"
	out[9] = "Open PRs"
	return out
}

// s3Console is the S3 console page of an s3:// object (the console opens
// it for a signed-in user of the account; the URI alone is not a link).
func s3Console(uri string) string {
	rest := strings.TrimPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	return "https://s3.console.aws.amazon.com/s3/object/" + bucket + "?prefix=" + key
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// notes are the lines under the table: drift, unread stages, the state of
// pull requests.
func (t *Table) notes() []string {
	var out []string
	for _, r := range t.Rows {
		switch {
		case r.Error != "":
			out = append(out, fmt.Sprintf("%s/%s: could not read endpoint %s: %s", r.Model, r.Stage, r.Endpoint, r.Error))
		case r.Drift != "":
			out = append(out, fmt.Sprintf("%s/%s: drift: %s", r.Model, r.Stage, r.Drift))
		}
		if p := r.LastPromotion; p != nil && p.EvidenceError != "" {
			out = append(out, fmt.Sprintf("%s/%s: evidence record %s: %s", r.Model, r.Stage, p.Evidence, p.EvidenceError))
		}
	}
	switch t.PullRequests {
	case "offline":
		out = append(out, "Open pull requests not read (no repository given).")
	case "unread":
		out = append(out, "Open pull requests could not be read: "+t.PullRequestsError)
	}
	return out
}

// Summary counts the rows that drift or could not be read.
func (t *Table) Summary() (drift, unread int) {
	for _, r := range t.Rows {
		switch {
		case r.Error != "":
			unread++
		case r.Drift != "":
			drift++
		}
	}
	return drift, unread
}
