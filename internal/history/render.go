package history

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// WriteText writes the timeline, oldest first, and with Verify's results
// when it ran.
func (t *Timeline) WriteText(w io.Writer) error {
	if len(t.Entries) == 0 {
		fmt.Fprintf(w, "No evidence records of %s in %s under s3://%s/%s.\n", t.Model, t.Stage, t.Bucket, t.Prefix)
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		cols := []string{"FINISHED (UTC)", "KIND", "VERSION", "OUTCOME", "PR", "MERGE", "APPROVED BY (COMMIT)", "RECORD"}
		if t.WriteOnce != nil {
			cols = append(cols, "DIGESTS")
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
		for _, e := range t.Entries {
			r := e.Record
			row := []string{r.FinishedAt.UTC().Format("2006-01-02 15:04:05"), e.Kind, versions(r.FromVersion, r.ToVersion), outcome(e),
				fmt.Sprintf("#%d", r.PullRequest.Number), gitsha.Short(r.PullRequest.MergeSHA), approvers(e), e.URI}
			if v := e.Verification; v != nil {
				row = append(row, verified(v))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	t.writeNotes(w)
	return nil
}

// WriteServed answers "what served at T" in a few lines.
func (t *Timeline) WriteServed(w io.Writer, s *Served) error {
	at := s.At.Format("2006-01-02T15:04:05Z")
	if s.Entry == nil {
		fmt.Fprintf(w, "No evidence record says what %s served in %s at %s: no promotion recorded under s3://%s/%s had finished by then.\n",
			t.Model, t.Stage, at, t.Bucket, t.Prefix)
		t.writeNotes(w)
		return nil
	}
	r := s.Entry.Record
	fmt.Fprintf(w, "At %s, %s in %s served v%d (source %s),\n", at, t.Model, t.Stage, r.ToVersion, r.Source.PackageARN)
	if r.RegistryOnly {
		fmt.Fprintf(w, "  registered %s as %s (registry only: nothing deployed),\n", r.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"), r.Target.PackageARN)
	} else {
		fmt.Fprintf(w, "  deployed %s to endpoint %s (config %s),\n", r.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"), r.Endpoint.Name, r.Endpoint.ConfigAfter)
	}
	fmt.Fprintf(w, "  from pull request #%d %s by %s, merged by %s as %s (head %s),\n", r.PullRequest.Number, r.PullRequest.URL,
		r.PullRequest.Author, r.PullRequest.MergedBy, r.PullRequest.MergeSHA, r.PullRequest.HeadSHA)
	fmt.Fprintf(w, "  approved by %s.\n", approvers(*s.Entry))
	if len(r.Reports) > 0 {
		fmt.Fprintln(w, "  Reports, as checked at apply time:")
		for _, rep := range r.Reports {
			digest := rep.ComputedDigest
			if digest == "" {
				digest = rep.Digest
			}
			fmt.Fprintf(w, "    %s/%s %s %s (%s)\n", rep.Kind, rep.Part, digest, rep.S3URI, rep.Status)
		}
	}
	fmt.Fprintf(w, "  Evidence record: %s\n", s.Entry.URI)
	if v := s.Entry.Verification; v != nil {
		fmt.Fprintf(w, "  Objects re-read: %s\n", verified(v))
	}
	if s.Later > 0 {
		fmt.Fprintf(w, "(%d later record(s) are not shown; run without --at for the timeline.)\n", s.Later)
	}
	t.writeNotes(w)
	return nil
}

func (t *Timeline) writeNotes(w io.Writer) {
	for _, e := range t.Entries {
		if v := e.Verification; v != nil {
			for _, c := range v.Objects {
				switch c.Status {
				case CheckMismatch:
					fmt.Fprintf(w, "DIGEST MISMATCH: %s has SHA-256 %s, the record %s says %s\n", c.URI, c.Actual, e.URI, c.Recorded)
				case CheckUnreadable:
					fmt.Fprintf(w, "UNREADABLE: %s (listed by %s): %s\n", c.URI, e.URI, c.Error)
				}
			}
		}
	}
	for _, e := range t.Entries {
		if e.Untrusted != "" {
			fmt.Fprintf(w, "UNTRUSTED RECORD: %s: %s\n", e.URI, e.Untrusted)
		}
	}
	for _, u := range t.Unread {
		fmt.Fprintf(w, "UNREADABLE RECORD: %s: %s\n", u.URI, u.Error)
	}
	if wo := t.WriteOnce; wo != nil {
		verdict := "not write-once"
		if wo.WriteOnce {
			verdict = "write-once"
		}
		fmt.Fprintf(w, "Evidence prefix s3://%s/%s: %s: %s.\n", t.Bucket, t.Prefix, verdict, wo.Detail)
	}
}

func versions(from, to int) string {
	if from == 0 {
		return fmt.Sprintf("v%d", to)
	}
	return fmt.Sprintf("v%d→v%d", from, to)
}

func outcome(e Entry) string {
	r := e.Record
	switch {
	case e.Untrusted != "":
		return "UNTRUSTED"
	case r.Outcome == "success":
		return "success"
	case r.Endpoint.RolledBack:
		return "failure (rolled back)"
	}
	return r.Outcome
}

func approvers(e Entry) string {
	var s []string
	for _, a := range e.Record.Approvals {
		s = append(s, fmt.Sprintf("%s (%s)", a.Login, gitsha.Short(a.CommitID)))
	}
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ", ")
}

func verified(v *Verification) string {
	bad := 0
	for _, c := range v.Objects {
		if c.Status != CheckOK {
			bad++
		}
	}
	if bad == 0 {
		return fmt.Sprintf("%d/%d ok", len(v.Objects), len(v.Objects))
	}
	return fmt.Sprintf("%d of %d FAILED", bad, len(v.Objects))
}
