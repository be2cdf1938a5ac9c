package server

import (
	"strconv"

	"github.com/modelpromote/modelpromote/internal/route"
)

// accept routes a delivery with the one router (package route) and says
// why when there is nothing for the server to run. The server runs
// checks, plans and applies; a refused apply (a fork, a merge into
// another branch) is only logged: apply would refuse it too, and the App
// has no job summary to show it in.
func accept(event string, payload []byte, botLogin string) (route.Job, string) {
	j, err := route.Route(event, payload, route.Inputs{BotLogin: botLogin})
	switch {
	case err != nil:
		return route.Job{}, err.Error()
	case j.Command == route.None:
		return route.Job{}, j.Reason
	case j.Command == route.Refuse:
		return route.Job{}, "apply refused: " + j.Reason
	case j.Command != route.Check && j.Command != route.Plan && j.Command != route.Apply:
		return route.Job{}, j.Command + " is not run by the App"
	case j.Repo == "":
		return route.Job{}, "no repository"
	}
	return j, ""
}

// jobKey identifies jobs that coalesce.
func jobKey(j route.Job) string {
	if j.Command == route.Apply {
		if j.SHA != "" {
			return "apply " + j.Repo + "@" + j.SHA
		}
		return "apply " + j.Repo + "#" + strconv.Itoa(j.PR)
	}
	if j.Queue.HeadSHA != "" {
		// A merge queue's commit is its own check: it must not absorb,
		// or be absorbed by, the pull request's.
		return checkLane(j) + " queued at " + j.Queue.HeadSHA
	}
	return checkLane(j)
}

func checkLane(j route.Job) string {
	if j.PR == 0 {
		return "check " + j.Repo + "@" + j.SHA
	}
	return "check " + j.Repo + "#" + strconv.Itoa(j.PR)
}

// jobLane names the jobs that run one at a time: checks per pull request
// (its merge queue commits' too: they edit the same comment), applies per
// repository.
func jobLane(j route.Job) string {
	if j.Command == route.Apply {
		return "apply " + j.Repo
	}
	return checkLane(j)
}
