package action

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// Commands the action runs.
const (
	CommandAuto  = "auto"  // decided by the event
	CommandCheck = "check" // check a pull request and report on it
	CommandPlan  = "plan"  // check a pull request, report only to the job summary
	CommandApply = "apply" // apply a merged pull request
	CommandDrift = "drift" // compare every stage with what its endpoint serves
	// CommandRefuse is not an input: it is what an apply the adapter will
	// not even attempt routes to (a fork, an unmerged pull request).
	CommandRefuse = "refuse"
)

// DefaultAudience is the audience of the GitHub OIDC token STS accepts.
const DefaultAudience = "sts.amazonaws.com"

// Inputs are the action's inputs (action.yml), read from INPUT_* variables.
type Inputs struct {
	Command      string
	Dir          string // the promotions directory
	GitHubToken  string
	GitHubAPIURL string
	// PullRequest is the pull request to work on (workflow_dispatch, or to
	// override the event's); 0 when not given.
	PullRequest int
	DryRun      bool

	AWSRegion       string
	RoleToAssume    string
	RoleSessionName string
	RoleDuration    time.Duration
	Audience        string

	RecreateFailed bool
}

// readInputs reads and validates the inputs.
func readInputs(a *githubactions.Action) (Inputs, error) {
	in := Inputs{
		Command:         a.GetInput("command"),
		Dir:             a.GetInput("path"),
		GitHubToken:     a.GetInput("github-token"),
		GitHubAPIURL:    a.GetInput("github-api-url"),
		AWSRegion:       a.GetInput("aws-region"),
		RoleToAssume:    a.GetInput("role-to-assume"),
		RoleSessionName: a.GetInput("role-session-name"),
		Audience:        a.GetInput("audience"),
	}
	if in.Command == "" {
		in.Command = CommandAuto
	}
	switch in.Command {
	case CommandAuto, CommandCheck, CommandPlan, CommandApply, CommandDrift:
	default:
		return in, fmt.Errorf("input command: %q is not auto, check, plan, apply or drift", in.Command)
	}
	if in.Dir == "" {
		in.Dir = "promotions"
	}
	if in.GitHubToken == "" {
		// Outside a Docker action (e.g. `run: modelpromote action`), the
		// token is commonly passed as $GITHUB_TOKEN.
		in.GitHubToken = a.Getenv("GITHUB_TOKEN")
	}
	if in.Audience == "" {
		in.Audience = DefaultAudience
	}
	var err error
	if in.PullRequest, err = intInput(a, "pull-request"); err != nil {
		return in, err
	}
	secs, err := intInput(a, "role-duration-seconds")
	if err != nil {
		return in, err
	}
	if secs != 0 && (secs < 900 || secs > 43200) {
		return in, fmt.Errorf("input role-duration-seconds: %d is not within 900–43200", secs)
	}
	in.RoleDuration = time.Duration(secs) * time.Second
	if in.DryRun, err = boolInput(a, "dry-run"); err != nil {
		return in, err
	}
	if in.RecreateFailed, err = boolInput(a, "recreate-failed"); err != nil {
		return in, err
	}
	return in, nil
}

func intInput(a *githubactions.Action, name string) (int, error) {
	v := a.GetInput(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("input %s: %q is not a non-negative number", name, v)
	}
	return n, nil
}

func boolInput(a *githubactions.Action, name string) (bool, error) {
	v := a.GetInput(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("input %s: %q is not true or false", name, v)
	}
	return b, nil
}
