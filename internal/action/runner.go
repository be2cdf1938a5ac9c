package action

import (
	"fmt"
	"os"

	"github.com/sethvargo/go-githubactions"
)

// checkRunner makes sure the step runs where a runner has set up what the
// action writes to and reads from, so that a run outside one (or a broken
// one) gets a plain error, not a panic from the workflow-command writer or
// an empty event. The runner sets all of these for every step:
// https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables
func checkRunner(a *githubactions.Action, gctx *githubactions.GitHubContext) error {
	if gctx.EventName == "" {
		return fmt.Errorf("$GITHUB_EVENT_NAME is not set: run this as a GitHub Actions step")
	}
	if gctx.EventPath == "" {
		return fmt.Errorf("$GITHUB_EVENT_PATH is not set: the runner sets it to the file holding the %s event's payload", gctx.EventName)
	}
	if _, err := os.Stat(gctx.EventPath); err != nil {
		return fmt.Errorf("read the %s event: %w", gctx.EventName, err)
	}
	for _, file := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if a.Getenv(file) == "" {
			return fmt.Errorf("$%s is not set: the runner sets it to the file the step's outputs and summary go to", file)
		}
	}
	return nil
}
