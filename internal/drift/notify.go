package drift

import (
	"time"

	"github.com/modelpromote/modelpromote/internal/notify"
)

// Events are the drift notifications of a report: one per drifted stage.
// Stages that could not be read are not drift and are not announced.
func Events(r *Report, repo string, now time.Time) []notify.Event {
	var out []notify.Event
	for _, d := range r.Drift {
		out = append(out, notify.Event{Type: notify.Drift, Model: d.Model, Stage: d.Stage, Endpoint: d.Endpoint,
			Repo: repo, Detail: d.Detail, At: now.UTC()})
	}
	return out
}
