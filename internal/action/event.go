package action

import (
	"encoding/json"

	"github.com/modelpromote/modelpromote/internal/route"
)

// Job is what one run of the action does: the router's job (package
// route), the same the App server runs.
type Job = route.Job

// routeEvent decides the job for the event (the payload go-githubactions
// read from GITHUB_EVENT_PATH) with the one router; the Action's inputs go
// in as data. What is the Action's own: the command, pull-request and
// dry-run inputs, and that a fork's pull_request run has a read-only token.
func routeEvent(name string, event map[string]any, in Inputs) (Job, error) {
	body, err := json.Marshal(event)
	if err != nil {
		return Job{}, err
	}
	return route.Route(name, body, route.Inputs{Command: in.Command, PullRequest: in.PullRequest, DryRun: in.DryRun, Actions: true})
}
