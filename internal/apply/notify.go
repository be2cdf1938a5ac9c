package apply

import (
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
