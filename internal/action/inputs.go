package action

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Commands the action runs.
const (
	CommandAuto  = "auto"  // decided by the event
	CommandCheck = "check" // check a pull request and report on it
	CommandPlan  = "plan"  // check a pull request, report only to the job summary
	CommandApply = "apply" // apply a merged pull request
	CommandDrift = "drift" // compare every stage with what its endpoint serves
	// CommandPropose opens (or updates) a promotion pull request, or with
	// the due input every next-stage promotion that is due.
	CommandPropose = "propose"
	// CommandValidate checks the manifests at the event's commit, offline
	// of AWS.
	CommandValidate = "validate"
	// CommandRefuse is not an input: it is what an apply the adapter will
	// not even attempt routes to (a fork, an unmerged pull request).
	CommandRefuse = "refuse"
)

// DefaultBotLogin is the login an Actions GITHUB_TOKEN acts as.
const DefaultBotLogin = "github-actions[bot]"

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
	// BotLogin is the login github-token acts as (input bot-login, default
	// github-actions[bot], GITHUB_TOKEN's): only an issue it opened is the
	// dashboard.
	BotLogin string
	// AppID is the modelpromote GitHub App's ID (input app-id, else
	// $MODELPROMOTE_APP_ID): apply accepts only check runs that App
	// created; 0 when not given, and apply then refuses.
	AppID int64

	AWSRegion       string
	RoleToAssume    string
	RoleSessionName string
	RoleDuration    time.Duration
	Audience        string

	RecreateFailed bool

	// Propose is what command propose proposes.
	Propose ProposeInputs
}

// ProposeInputs are the inputs of command propose, the flags of
// `modelpromote propose`: a model, a stage and a version (or the latest
// approved one), or due for every next-stage promotion that is due.
type ProposeInputs struct {
	Model, Stage   string
	Version        int
	LatestApproved bool
	Due            bool
	// Base is the branch to propose into (default the repository's default
	// branch).
	Base string
}

// set reports whether any propose input was given.
func (p ProposeInputs) set() bool {
	return p != ProposeInputs{}
}

// readInputs reads and validates the inputs.
func readInputs(a *githubactions.Action) (Inputs, error) {
	in := Inputs{
		Command:         a.GetInput("command"),
		Dir:             a.GetInput("path"),
		GitHubToken:     a.GetInput("github-token"),
		GitHubAPIURL:    a.GetInput("github-api-url"),
		BotLogin:        a.GetInput("bot-login"),
		AWSRegion:       a.GetInput("aws-region"),
		RoleToAssume:    a.GetInput("role-to-assume"),
		RoleSessionName: a.GetInput("role-session-name"),
		Audience:        a.GetInput("audience"),
	}
	if in.Command == "" {
		in.Command = CommandAuto
	}
	switch in.Command {
	case CommandAuto, CommandCheck, CommandPlan, CommandApply, CommandDrift, CommandPropose, CommandValidate:
	default:
		return in, fmt.Errorf("input command: %q is not auto, check, plan, apply, drift, propose or validate", in.Command)
	}
	if in.Dir == "" {
		in.Dir = manifest.DefaultDir
	}
	if in.GitHubToken == "" {
		// Outside a Docker action (e.g. `run: modelpromote action`), the
		// token is commonly passed as $GITHUB_TOKEN.
		in.GitHubToken = a.Getenv("GITHUB_TOKEN")
	}
	if in.BotLogin == "" {
		in.BotLogin = DefaultBotLogin
	}
	if in.Audience == "" {
		in.Audience = DefaultAudience
	}
	var err error
	if in.PullRequest, err = intInput(a, "pull-request"); err != nil {
		return in, err
	}
	if in.AppID, err = appIDInput(a); err != nil {
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
	if in.Propose, err = readProposeInputs(a); err != nil {
		return in, err
	}
	return in, in.validPropose()
}

func readProposeInputs(a *githubactions.Action) (ProposeInputs, error) {
	p := ProposeInputs{Model: a.GetInput("model"), Stage: a.GetInput("stage"), Base: a.GetInput("base")}
	var err error
	if p.Version, err = intInput(a, "version"); err != nil {
		return p, err
	}
	if p.LatestApproved, err = boolInput(a, "latest-approved"); err != nil {
		return p, err
	}
	if p.Due, err = boolInput(a, "due"); err != nil {
		return p, err
	}
	return p, nil
}

// validPropose checks the propose inputs as `modelpromote propose` checks
// its flags: due alone, or a model, a stage and exactly one way to choose
// the version; and no propose input with another command, where it would
// be silently ignored.
func (in Inputs) validPropose() error {
	p := in.Propose
	if in.Command != CommandPropose {
		if p.set() {
			return fmt.Errorf("inputs model, stage, version, latest-approved, due and base are for command propose, not %s", in.Command)
		}
		return nil
	}
	switch {
	case in.DryRun:
		return fmt.Errorf("input dry-run: propose has no dry run (it only opens a pull request, which the check then judges)")
	case p.Due && (p.Model != "" || p.Stage != "" || p.Version != 0 || p.LatestApproved):
		return fmt.Errorf("input due proposes every next-stage promotion that is due: leave model, stage, version and latest-approved empty")
	case p.Due:
		return nil
	case p.Model == "" || p.Stage == "":
		return fmt.Errorf("command propose needs the model and stage inputs (or due: true)")
	case (p.Version > 0) == p.LatestApproved:
		return fmt.Errorf("command propose needs exactly one of the version and latest-approved inputs")
	}
	return nil
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

// appIDInput reads input app-id, else $MODELPROMOTE_APP_ID.
func appIDInput(a *githubactions.Action) (int64, error) {
	name, v := "input app-id", a.GetInput("app-id")
	if v == "" {
		name, v = "$"+github.EnvAppID, a.Getenv(github.EnvAppID)
	}
	if v == "" {
		return 0, nil
	}
	id, ok := github.ParseAppID(v)
	if !ok {
		return 0, fmt.Errorf("%s: %q is not a GitHub App ID", name, v)
	}
	return id, nil
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
