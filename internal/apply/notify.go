package apply

import (
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/notify"
)

// events are the notifications of a run's outcomes: applied, failed, or
// rolled back (a failed rollout whose endpoint went back to the previous
// config). A promotion already applied by an earlier run is not announced
// again.
func events(res *Result, repo string, now time.Time) []notify.Event {
	var out []notify.Event
	for _, o := range res.Outcomes {
		e := notify.Event{Model: o.Model, Stage: o.Stage, Repo: repo, Evidence: o.RecordURI, Detail: o.Error, At: now.UTC()}
		switch o.State {
		case StateSuccess:
			e.Type = notify.Applied
		case StateFailure:
			e.Type = notify.Failed
		default:
			continue
		}
		if m := res.Merge; m != nil {
			e.PullRequest, e.URL, e.MergeSHA = m.Number, m.URL, m.MergeSHA
		}
		if r := o.Record; r != nil {
			e.FromVersion, e.ToVersion, e.Endpoint = r.FromVersion, r.ToVersion, r.Endpoint.Name
			for _, a := range r.Approvals {
				e.Approvers = append(e.Approvers, a.Login)
			}
			if r.Endpoint.RolledBack {
				e.Type = notify.RolledBack
			}
		}
		out = append(out, e)
	}
	return out
}

// frozen are the notifications of the promotions a change freeze held when
// apply re-judged the merge: nothing was deployed, and the merge waits for
// the freeze to end (or a break-glass pull request).
func frozen(res *Result, repo string, now time.Time) []notify.Event {
	if res.Plan == nil {
		return nil
	}
	var out []notify.Event
	for _, pr := range res.Plan.Promotions {
		fz := pr.Details.Freeze
		if fz == nil || fz.Passes != "" {
			continue
		}
		e := notify.Event{Type: notify.BlockedByFreeze, Model: pr.Model, Stage: pr.Stage, FromVersion: pr.FromVersion, ToVersion: pr.ToVersion,
			Endpoint: pr.To.Name, Repo: repo, At: now.UTC(), Detail: "frozen: " + strings.Join(fz.Reasons, "; ")}
		if !fz.Until.IsZero() {
			e.Detail = fmt.Sprintf("frozen until %s: %s", fz.Until.UTC().Format(time.RFC3339), strings.Join(fz.Reasons, "; "))
		}
		if m := res.Merge; m != nil {
			e.PullRequest, e.URL, e.MergeSHA = m.Number, m.URL, m.MergeSHA
		}
		out = append(out, e)
	}
	return out
}
