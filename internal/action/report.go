package action

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

// The action's outputs (action.yml).
const (
	OutputCommand     = "command"      // what ran: check, plan, apply, drift, refuse, or "" for nothing
	OutputVerdict     = "verdict"      // check/plan: pass|pending|fail|unchecked; apply: success|failure|refused|nothing; drift: clean|drift; skipped
	OutputPullRequest = "pull-request" // the pull request number, when there is one
	OutputPromotions  = "promotions"   // JSON array of Promotion
	OutputCommentURL  = "comment-url"
	OutputCheckRunURL = "check-run-url"
	OutputEndpoints   = "endpoints" // JSON array of Endpoint: apply's outcome per endpoint
	OutputDrift       = "drift"     // drift: the JSON report of `modelpromote drift --output json`
)

// Apply verdicts.
const (
	VerdictSkipped = "skipped"
	VerdictRefused = "refused"
	VerdictSuccess = "success"
	VerdictFailure = "failure"
	VerdictNothing = "nothing" // a merge with no promotions
)

// Promotion is one promotion in the promotions output.
type Promotion struct {
	Model       string      `json:"model"`
	Stage       string      `json:"stage"`
	FromVersion int         `json:"fromVersion"`
	ToVersion   int         `json:"toVersion"`
	Endpoint    string      `json:"endpoint"`
	Account     string      `json:"account"`
	Region      string      `json:"region"`
	Status      plan.Status `json:"status"` // the promotion's worst gate
}

// Endpoint is one apply outcome in the endpoints output.
type Endpoint struct {
	Model    string `json:"model"`
	Stage    string `json:"stage"`
	Endpoint string `json:"endpoint"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Version  int    `json:"version"`
	// State is success, already-applied or failure.
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
	Record string `json:"record,omitempty"` // the evidence record's S3 URI
}

// reporter writes a job's outcome to the workflow.
type reporter struct {
	a *githubactions.Action
}

func (r reporter) outputs(job Job, verdict string) {
	r.a.SetOutput(OutputCommand, job.Command)
	r.a.SetOutput(OutputVerdict, verdict)
	pr := ""
	if job.PR > 0 {
		pr = strconv.Itoa(job.PR)
	}
	r.a.SetOutput(OutputPullRequest, pr)
}

func (r reporter) skipped(job Job) {
	r.outputs(job, VerdictSkipped)
	r.a.SetOutput(OutputPromotions, "[]")
	r.a.SetOutput(OutputEndpoints, "[]")
}

func (r reporter) refused(job Job) {
	r.outputs(job, VerdictRefused)
	r.a.SetOutput(OutputPromotions, "[]")
	r.a.SetOutput(OutputEndpoints, "[]")
	r.a.AddStepSummary("## modelpromote: apply refused\n\n" + report.Escape(job.Reason) + "\n\nNothing was changed.\n")
}

// checked reports a check or plan and says whether it failed.
func (r reporter) checked(job Job, c *check.Result) bool {
	r.outputs(job, string(c.Verdict))
	r.a.SetOutput(OutputPromotions, promotionsJSON(c.Plan))
	r.a.SetOutput(OutputCommentURL, c.CommentURL)
	r.a.SetOutput(OutputCheckRunURL, c.CheckRunURL)
	r.a.SetOutput(OutputEndpoints, "[]")
	var note string
	switch {
	case job.ReadOnly:
		note = "> [!NOTE]\n> This pull request comes from a fork, so this run's token is read-only: the report is here, not on the pull request. A maintainer can comment `/modelpromote recheck` to report on it.\n\n"
	case job.Command == CommandPlan:
		note = "> [!NOTE]\n> Plan only: nothing was written to the pull request and nothing was deployed.\n\n"
	}
	r.a.AddStepSummary(note + report.Summary(c.Plan))
	r.annotate(c.Plan)
	r.a.Infof("modelpromote %s of #%d: %s", job.Command, job.PR, c.Verdict)
	if c.CommentURL != "" {
		r.a.Infof("comment: %s", c.CommentURL)
	}
	return c.Verdict == plan.StatusFail
}

// applied reports an apply and says whether it failed.
func (r reporter) applied(job Job, res *apply.Result) bool {
	if res.Merge != nil {
		job.PR = res.Merge.Number
	}
	verdict := VerdictSuccess
	switch {
	case len(res.Refused) > 0:
		verdict = VerdictRefused
	case res.Failed():
		verdict = VerdictFailure
	case len(res.Outcomes) == 0:
		verdict = VerdictNothing
	}
	r.outputs(job, verdict)
	r.a.SetOutput(OutputPromotions, promotionsJSON(res.Plan))
	r.a.SetOutput(OutputCommentURL, res.CommentURL)
	eps := endpointOutcomes(res)
	b, _ := json.Marshal(eps)
	r.a.SetOutput(OutputEndpoints, string(b))

	var s strings.Builder
	fmt.Fprintf(&s, "## modelpromote apply of #%d: %s\n\n", job.PR, verdict)
	if len(res.Refused) > 0 {
		s.WriteString("Apply refused; nothing was changed:\n\n")
		for _, why := range res.Refused {
			fmt.Fprintf(&s, "- %s\n", report.Escape(why))
			r.a.Errorf("modelpromote: apply refused: %s", why)
		}
		s.WriteString("\n")
	}
	if len(eps) > 0 {
		s.WriteString("| model | stage | endpoint | version | outcome |\n|---|---|---|---|---|\n")
		for _, e := range eps {
			outcome := e.State
			if e.Error != "" {
				outcome += ": " + e.Error
				r.a.Errorf("modelpromote: %s/%s: %s", e.Model, e.Stage, e.Error)
			}
			fmt.Fprintf(&s, "| %s | %s | `%s` | %d | %s |\n", report.Escape(e.Model), report.Escape(e.Stage), e.Endpoint, e.Version, report.Escape(outcome))
		}
		s.WriteString("\n")
	}
	if res.CommentURL != "" {
		fmt.Fprintf(&s, "Outcome on the pull request: %s\n\n", res.CommentURL)
	}
	if res.Plan != nil {
		s.WriteString("<details><summary>The plan as re-checked at the merge commit</summary>\n\n")
		s.WriteString(report.Summary(res.Plan))
		s.WriteString("\n</details>\n")
	}
	r.a.AddStepSummary(s.String())
	r.a.Infof("modelpromote apply of #%d: %s", job.PR, verdict)
	return res.Failed()
}

// annotate turns the plan's findings on manifest lines into workflow
// command annotations (GitHub shows at most 10 of each level per step; the
// check run carries them all).
func (r reporter) annotate(p *plan.Plan) {
	for _, an := range report.CheckRun(p, report.CheckRunOptions{}).Annotations {
		fields := map[string]string{"file": an.Path, "line": strconv.Itoa(an.StartLine), "endLine": strconv.Itoa(an.EndLine), "title": an.Title}
		if an.StartColumn > 0 {
			fields["col"] = strconv.Itoa(an.StartColumn)
		}
		a := r.a.WithFieldsMap(fields)
		switch an.Level {
		case report.LevelFailure:
			a.Errorf("%s", an.Message)
		case report.LevelWarning:
			a.Warningf("%s", an.Message)
		default:
			a.Noticef("%s", an.Message)
		}
	}
}

func promotionsJSON(p *plan.Plan) string {
	out := []Promotion{}
	if p != nil {
		for _, pr := range p.Promotions {
			status := plan.StatusPass
			for _, g := range pr.Gates {
				status = plan.Worse(status, g.Status)
			}
			out = append(out, Promotion{Model: pr.Model, Stage: pr.Stage, FromVersion: pr.FromVersion, ToVersion: pr.ToVersion,
				Endpoint: pr.To.Name, Account: pr.Environment.Account, Region: pr.Environment.Region, Status: status})
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func endpointOutcomes(res *apply.Result) []Endpoint {
	out := []Endpoint{}
	for _, o := range res.Outcomes {
		e := Endpoint{Model: o.Model, Stage: o.Stage, State: o.State, Error: o.Error}
		if o.State != apply.StateFailure {
			e.Record = o.RecordURI
		}
		if res.Plan != nil {
			for _, pr := range res.Plan.Promotions {
				if pr.Model == o.Model && pr.Stage == o.Stage {
					e.Endpoint, e.Account, e.Region, e.Version = pr.To.Name, pr.Environment.Account, pr.Environment.Region, pr.ToVersion
				}
			}
		}
		out = append(out, e)
	}
	return out
}
