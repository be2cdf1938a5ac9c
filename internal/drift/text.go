package drift

import (
	"fmt"
	"io"
)

// WriteText prints the report for people: the verdict, one line per
// drifted stage (and, where several of its settings differ, one line per
// setting with both values) to out, and the stages that could not be read
// to errOut.
func (r *Report) WriteText(out, errOut io.Writer) {
	switch r.Verdict {
	case VerdictClean:
		fmt.Fprintf(out, "No drift: all %d stages serve what the manifests say.\n", r.Checked)
	case VerdictDrift:
		fmt.Fprintf(out, "Drift in %d of the %d stages read (of %d):\n", len(r.Drift), r.Read, r.Checked)
	case VerdictIncomplete:
		fmt.Fprintf(out, "No drift in the %d stages read, but %d of %d stages could not be read.\n", r.Read, len(r.Unread), r.Checked)
	case VerdictUnread:
		fmt.Fprintf(out, "None of the %d stages could be read: drift is unknown.\n", r.Checked)
	}
	for _, d := range r.Drift {
		fmt.Fprintf(out, "  %s/%s: %s\n", d.Model, d.Stage, d.Detail)
		if len(d.Settings) < 2 {
			continue
		}
		for _, s := range d.Settings {
			what := s.Setting
			if s.Resource != "" {
				what += " of " + s.Resource
			}
			fmt.Fprintf(out, "      %s: the manifests say %s; the account has %s\n", what, s.Manifest, s.Account)
		}
	}
	for _, u := range r.Unread {
		fmt.Fprintf(errOut, "  %s/%s: could not read endpoint %s: %s\n", u.Model, u.Stage, u.Endpoint, u.Error)
	}
}
