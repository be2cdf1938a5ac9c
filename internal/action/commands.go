package action

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/report"
)

// OutputProposals is propose's outcome: a JSON array of Proposed.
const OutputProposals = "proposals"

// Validate verdicts are the check's: pass or fail.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Proposed is one entry of the proposals output: the promotion pull
// request propose opened or updated, or for due, why a next-stage
// promotion was not proposed yet.
type Proposed struct {
	Model       string `json:"model"`
	Stage       string `json:"stage"`
	Version     int    `json:"version"`
	FromVersion int    `json:"fromVersion,omitempty"`
	// After is the stage a next-stage promotion follows (due only).
	After string `json:"after,omitempty"`
	// State is proposed, none (the base branch already names the version),
	// or for due soaking, not-live, declined or failed.
	State propose.NextState `json:"state"`
	// Action says what happened to the pull request when proposed: opened,
	// updated or unchanged.
	Action      propose.Action `json:"action,omitempty"`
	PullRequest int            `json:"pullRequest,omitempty"`
	URL         string         `json:"url,omitempty"`
	Branch      string         `json:"branch,omitempty"`
	DueAt       string         `json:"dueAt,omitempty"` // RFC 3339, UTC
	Detail      string         `json:"detail,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// stateNone is a proposal the base branch already makes.
const stateNone propose.NextState = "none"

// runRepoCommand runs the commands that are about the repository rather
// than the triggering event: propose (a training pipeline's dispatch, a
// schedule) and validate. Whatever the event, they do what the inputs say.
func runRepoCommand(ctx context.Context, env Env, a *githubactions.Action, in Inputs, gctx *githubactions.GitHubContext) (*Result, error) {
	repo, err := githubRepo(env.HTTPClient, gctx, in)
	if err != nil {
		return nil, err
	}
	rep := reporter{a: a}
	if in.Command == CommandValidate {
		job, ref, err := validateRef(ctx, repo, in, gctx)
		if err != nil {
			return nil, err
		}
		tree, err := repo.Tree(ctx, ref, in.Dir)
		if err != nil {
			return nil, fmt.Errorf("validate: read %s at %s: %w", in.Dir, gitsha.Short(ref), err)
		}
		set, problems := manifest.Validate(tree, in.Dir)
		return &Result{Job: job, Failed: rep.validated(job, in.Dir, ref, set, problems)}, nil
	}

	awsCfg, err := awsConfig(ctx, env, a, in, gctx)
	if err != nil {
		return nil, err
	}
	penv := propose.Env{Repo: repo, AWS: awsCfg, Dir: in.Dir, Base: in.Propose.Base, Now: env.Now}
	p := in.Propose
	if p.Due {
		job := Job{Command: CommandPropose, Reason: "next-stage promotions that are due (autoPropose)"}
		a.Infof("modelpromote propose: %s", job.Reason)
		all, err := propose.Due(ctx, penv)
		if err != nil {
			return nil, fmt.Errorf("propose due: %w", err)
		}
		return &Result{Job: job, Failed: rep.proposed(job, dueProposals(all))}, nil
	}
	version := "the latest approved version"
	if p.Version > 0 {
		version = "v" + strconv.Itoa(p.Version)
	}
	job := Job{Command: CommandPropose, Reason: fmt.Sprintf("%s %s to %s", p.Model, version, p.Stage)}
	a.Infof("modelpromote propose: %s", job.Reason)
	res, err := propose.Open(ctx, penv, propose.Request{Model: p.Model, Stage: p.Stage, Version: p.Version, LatestApproved: p.LatestApproved})
	if err != nil {
		return nil, fmt.Errorf("propose %s: %w", job.Reason, err)
	}
	job.PR = res.Number
	return &Result{Job: job, Failed: rep.proposed(job, []Proposed{openedProposal(res)})}, nil
}

// validateRef is the commit to validate: the head of the pull request the
// inputs or the event name (annotations then land on its diff), else the
// workflow's commit, else the default branch.
func validateRef(ctx context.Context, repo *github.Repo, in Inputs, gctx *githubactions.GitHubContext) (Job, string, error) {
	n := in.PullRequest
	if n == 0 {
		var ev struct {
			PullRequest *struct {
				Number int `json:"number"`
			} `json:"pull_request"`
			Issue *struct {
				Number      int `json:"number"`
				PullRequest any `json:"pull_request"`
			} `json:"issue"`
		}
		b, err := json.Marshal(gctx.Event)
		if err == nil {
			err = json.Unmarshal(b, &ev)
		}
		if err != nil {
			return Job{}, "", fmt.Errorf("read the %s event from %s: %w", gctx.EventName, gctx.EventPath, err)
		}
		switch {
		case ev.PullRequest != nil:
			n = ev.PullRequest.Number
		case ev.Issue != nil && ev.Issue.PullRequest != nil:
			n = ev.Issue.Number
		}
	}
	if n > 0 {
		pr, _, err := repo.PullRequest(ctx, n)
		if err != nil {
			return Job{}, "", err
		}
		return Job{Command: CommandValidate, PR: n, Reason: fmt.Sprintf("the manifests of #%d at %s", n, gitsha.Short(pr.HeadSHA))}, pr.HeadSHA, nil
	}
	ref := gctx.SHA
	if ref == "" {
		var err error
		if ref, err = repo.DefaultBranch(ctx); err != nil {
			return Job{}, "", err
		}
	}
	return Job{Command: CommandValidate, Reason: "the manifests at " + gitsha.Short(ref)}, ref, nil
}

func openedProposal(res *propose.Result) Proposed {
	p := res.Proposal
	out := Proposed{Model: p.Model, Stage: p.Stage, Version: p.Version, FromVersion: p.FromVersion, State: propose.NextProposed,
		Action: res.Action, PullRequest: res.Number, URL: res.URL, Branch: res.Branch}
	if res.Action == propose.ActionNone {
		out.State, out.Action = stateNone, ""
		out.Detail = fmt.Sprintf("%s already names v%d for %s on the base branch", p.File, p.Version, p.Stage)
	}
	return out
}

func dueProposals(all []propose.Next) []Proposed {
	out := make([]Proposed, 0, len(all))
	for _, n := range all {
		p := Proposed{Model: n.Model, Stage: n.Stage, Version: n.Version, FromVersion: n.Current, After: n.After, State: n.State, Detail: n.Detail}
		if !n.DueAt.IsZero() {
			p.DueAt = n.DueAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		if r := n.Result; r != nil {
			p.Action, p.PullRequest, p.URL, p.Branch = r.Action, r.Number, r.URL, r.Branch
		}
		if n.Err != nil {
			p.Error = n.Err.Error()
		}
		out = append(out, p)
	}
	return out
}

// proposed reports propose's outcome and says whether it failed (a due
// promotion that could not be proposed).
func (r reporter) proposed(job Job, ps []Proposed) bool {
	failed := false
	for _, p := range ps {
		failed = failed || p.State == propose.NextFailed
	}
	verdict := VerdictSuccess
	if failed {
		verdict = VerdictFailure
	}
	r.planless(job, verdict, OutputProposals, ps)

	var s strings.Builder
	fmt.Fprintf(&s, "## modelpromote propose: %s\n\n", report.Escape(job.Reason))
	if len(ps) == 0 {
		s.WriteString("No next-stage promotions are waiting.\n")
	} else {
		s.WriteString("| model | stage | version | state | pull request | detail |\n|---|---|---|---|---|---|\n")
	}
	for _, p := range ps {
		state, pr, detail := string(p.State), "", p.Detail
		if p.Action != "" {
			state += " (" + string(p.Action) + ")"
		}
		if p.PullRequest > 0 {
			pr = fmt.Sprintf("[#%d](%s)", p.PullRequest, p.URL)
		}
		switch {
		case p.Error != "":
			detail = p.Error
			r.a.Errorf("modelpromote: propose %s v%d to %s: %s", p.Model, p.Version, p.Stage, p.Error)
		case p.DueAt != "" && p.State == propose.NextSoaking:
			detail = "due " + p.DueAt + ": " + detail
		}
		fmt.Fprintf(&s, "| %s | %s | %d | %s | %s | %s |\n", report.Escape(p.Model), report.Escape(p.Stage), p.Version, state, pr, report.Escape(detail))
		r.a.Infof("modelpromote propose: %s v%d → %s: %s %s", p.Model, p.Version, p.Stage, state, p.URL)
	}
	r.a.AddStepSummary(s.String())
	return failed
}

// planless sets the outputs of a job that has no plan (no promotions, no
// endpoints) and, unless name is "", its own output name as JSON.
func (r reporter) planless(job Job, verdict, name string, v any) {
	r.outputs(job, verdict)
	r.a.SetOutput(OutputPromotions, "[]")
	r.a.SetOutput(OutputEndpoints, "[]")
	if name != "" {
		b, _ := json.Marshal(v)
		r.a.SetOutput(name, string(b))
	}
}

// validated reports the manifests' problems, each as an annotation on its
// line, and says whether there were any.
func (r reporter) validated(job Job, dir, ref string, set *manifest.Set, problems manifest.Problems) bool {
	verdict := VerdictPass
	if len(problems) > 0 {
		verdict = VerdictFail
	}
	r.planless(job, verdict, "", nil)

	var s strings.Builder
	if len(problems) == 0 {
		fmt.Fprintf(&s, "## modelpromote validate: %s at %s is valid\n\n%d model(s) and the configuration.\n", dir, gitsha.Short(ref), len(set.Models))
	} else {
		fmt.Fprintf(&s, "## modelpromote validate: %d problem(s) in %s at %s\n\n", len(problems), dir, gitsha.Short(ref))
	}
	for _, p := range problems {
		fields := map[string]string{"file": p.File, "title": "modelpromote"}
		if p.Line > 0 {
			fields["line"] = strconv.Itoa(p.Line)
			fields["col"] = strconv.Itoa(p.Col)
		}
		r.a.WithFieldsMap(fields).Errorf("%s", p.Message)
		fmt.Fprintf(&s, "- %s\n", report.Escape(p.Error()))
	}
	r.a.AddStepSummary(s.String())
	r.a.Infof("modelpromote validate: %s (%d problem(s))", verdict, len(problems))
	return len(problems) > 0
}
