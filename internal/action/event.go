package action

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Job is what one run of the action does.
type Job struct {
	// Command is check, plan, apply or refuse; "" when the event asks for
	// nothing.
	Command string
	// PR is the pull request; 0 for an apply (or plan) of a pushed commit,
	// whose pull request is found from SHA.
	PR  int
	SHA string
	// ReadOnly is set when the token cannot write to the repository (a
	// pull request from a fork): the report goes to the job summary only.
	ReadOnly bool
	// Commenter is who asked for the job in a comment; the job runs only
	// if they have write access.
	Commenter string
	// Reason says why, in a sentence, for the log and the summary.
	Reason string
}

// event holds the fields of a webhook payload (the file at
// GITHUB_EVENT_PATH) that routing needs.
type event struct {
	Action      string       `json:"action"`
	PullRequest *pullRequest `json:"pull_request"`
	Issue       *struct {
		Number      int `json:"number"`
		PullRequest *struct {
			URL string `json:"url"`
		} `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
	} `json:"comment"`
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Inputs map[string]any `json:"inputs"`
}

type pullRequest struct {
	Number int      `json:"number"`
	Merged bool     `json:"merged"`
	Head   pullHead `json:"head"`
	Base   struct {
		Repo struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"base"`
}

// fork reports whether the head is another repository (or a deleted one).
func (p *pullRequest) fork() bool {
	return p.Head.Repo == nil || !strings.EqualFold(p.Head.Repo.FullName, p.Base.Repo.FullName)
}

// decodeEvent turns the payload go-githubactions parsed into an event.
func decodeEvent(payload map[string]any) (event, error) {
	var ev event
	b, err := json.Marshal(payload)
	if err != nil {
		return ev, err
	}
	err = json.Unmarshal(b, &ev)
	return ev, err
}

// route decides the job for an event and the inputs:
//
//	pull_request opened/synchronize/reopened/ready_for_review → check
//	pull_request closed and merged                            → apply (never for a fork)
//	pull_request_review submitted/dismissed                   → check
//	issue_comment "/modelpromote recheck" on a pull request   → check (writers only)
//	push to the default branch                                → apply (the pull request is found from the commit)
//	workflow_dispatch                                         → plan, or the command input, for pull-request
//	schedule                                                  → drift
//
// An explicit command input overrides the event's choice, except that apply
// is never attempted from an open pull request's event or for a fork; and
// dry-run turns check and apply into plan.
func route(name string, ev event, in Inputs) (Job, error) {
	j, err := routeEvent(name, ev, in)
	if err != nil {
		return j, err
	}
	if in.DryRun && (j.Command == CommandApply || j.Command == CommandCheck) {
		j.Command = CommandPlan
		j.Reason += " (dry run: plan only, nothing written or deployed)"
	}
	return j, nil
}

func routeEvent(name string, ev event, in Inputs) (Job, error) {
	if in.Command == CommandDrift {
		// Drift is about main and the endpoints, whatever the event.
		return Job{Command: CommandDrift, Reason: fmt.Sprintf("drift detection (on %s)", name)}, nil
	}
	switch name {
	case "pull_request", "pull_request_target":
		return routePull(name, ev, in)
	case "pull_request_review":
		if ev.PullRequest == nil {
			return Job{}, fmt.Errorf("the %s event has no pull_request", name)
		}
		n := ev.PullRequest.Number
		if in.Command == CommandApply {
			return refuse(n, "apply runs only when a pull request merges, not on a review")
		}
		if in.Command == CommandAuto && ev.Action != "submitted" && ev.Action != "dismissed" {
			return Job{Reason: fmt.Sprintf("review %s on #%d", ev.Action, n)}, nil
		}
		// A review event from a fork's pull request gets a read-only token.
		return Job{Command: orAuto(in.Command, CommandCheck), PR: n, ReadOnly: ev.PullRequest.fork(),
			Reason: fmt.Sprintf("review %s on #%d: re-evaluating the gates", ev.Action, n)}, nil
	case "issue_comment":
		return routeComment(ev, in)
	case "push":
		return routePush(ev, in)
	case "schedule":
		if in.Command == CommandAuto {
			return Job{Command: CommandDrift, Reason: "scheduled drift detection"}, nil
		}
	case "workflow_dispatch":
		cmd := in.Command
		if cmd == CommandAuto {
			cmd = inputString(ev.Inputs, "command")
		}
		if cmd == "" || cmd == CommandAuto {
			cmd = CommandPlan
		}
		switch cmd {
		case CommandDrift:
			return Job{Command: CommandDrift, Reason: "drift detection requested by workflow_dispatch"}, nil
		case CommandCheck, CommandPlan, CommandApply:
		default:
			return Job{}, fmt.Errorf("workflow_dispatch input command: %q is not check, plan, apply or drift", cmd)
		}
		n := in.PullRequest
		if n == 0 {
			for _, k := range []string{"pull-request", "pull_request"} {
				if v := inputString(ev.Inputs, k); v != "" {
					var err error
					if n, err = strconv.Atoi(v); err != nil || n <= 0 {
						return Job{}, fmt.Errorf("workflow_dispatch input %s: %q is not a pull request number", k, v)
					}
				}
			}
		}
		if n == 0 {
			return Job{}, fmt.Errorf("workflow_dispatch needs a pull request: set the pull-request input")
		}
		return Job{Command: cmd, PR: n, Reason: fmt.Sprintf("%s of #%d requested by workflow_dispatch", cmd, n)}, nil
	}
	if in.Command != CommandAuto && in.PullRequest > 0 {
		return Job{Command: in.Command, PR: in.PullRequest, Reason: fmt.Sprintf("%s of #%d (input pull-request)", in.Command, in.PullRequest)}, nil
	}
	return Job{}, fmt.Errorf("event %s is not one modelpromote handles (pull_request, pull_request_review, issue_comment, push, workflow_dispatch, schedule); set the command and pull-request inputs to run it anyway", name)
}

func routePull(name string, ev event, in Inputs) (Job, error) {
	pr := ev.PullRequest
	if pr == nil {
		return Job{}, fmt.Errorf("the %s event has no pull_request", name)
	}
	n := pr.Number
	if ev.Action == "closed" {
		switch {
		case !pr.Merged:
			return Job{Reason: fmt.Sprintf("#%d was closed without merging", n)}, nil
		case in.Command == CommandCheck || in.Command == CommandPlan:
			return Job{Command: in.Command, PR: n, ReadOnly: pr.fork() && name == "pull_request", Reason: fmt.Sprintf("%s of merged #%d", in.Command, n)}, nil
		case pr.fork():
			// The run has a read-only token and no secrets, and nothing from
			// a fork is ever applied: apply is not even attempted.
			return refuse(n, fmt.Sprintf("#%d comes from a fork (%s): nothing from a fork is ever applied", n, pr.Head.repoName()))
		}
		return Job{Command: CommandApply, PR: n, Reason: fmt.Sprintf("#%d was merged", n)}, nil
	}
	if in.Command == CommandApply {
		return refuse(n, fmt.Sprintf("#%d is open: apply runs only when a pull request merges", n))
	}
	if in.Command == CommandAuto {
		switch ev.Action {
		case "opened", "synchronize", "reopened", "ready_for_review":
		default:
			return Job{Reason: fmt.Sprintf("pull request %s on #%d", ev.Action, n)}, nil
		}
	}
	// pull_request runs of a fork's pull request get a read-only token;
	// pull_request_target runs get the base repository's.
	return Job{Command: orAuto(in.Command, CommandCheck), PR: n, ReadOnly: pr.fork() && name == "pull_request",
		Reason: fmt.Sprintf("pull request %s on #%d", ev.Action, n)}, nil
}

func routeComment(ev event, in Inputs) (Job, error) {
	if ev.Issue == nil || ev.Comment == nil {
		return Job{}, fmt.Errorf("the issue_comment event has no issue or comment")
	}
	n := ev.Issue.Number
	switch {
	case ev.Issue.PullRequest == nil:
		return Job{Reason: fmt.Sprintf("#%d is an issue, not a pull request", n)}, nil
	case ev.Action != "created":
		return Job{Reason: fmt.Sprintf("comment %s on #%d", ev.Action, n)}, nil
	case ev.Comment.User.Type == "Bot":
		// Never react to a bot, ourselves included.
		return Job{Reason: fmt.Sprintf("comment by %s (a bot) on #%d", ev.Comment.User.Login, n)}, nil
	}
	cmd := slashCommand(ev.Comment.Body)
	var job Job
	switch cmd {
	case "recheck":
		job = Job{Command: CommandCheck, PR: n}
	case "plan":
		job = Job{Command: CommandPlan, PR: n}
	default:
		return Job{Reason: fmt.Sprintf("comment on #%d is not a /modelpromote command", n)}, nil
	}
	if in.Command == CommandApply {
		return refuse(n, "apply runs only when a pull request merges, never from a comment")
	}
	job.Commenter = ev.Comment.User.Login
	job.Reason = fmt.Sprintf("%s asked for /modelpromote %s on #%d", job.Commenter, cmd, n)
	return job, nil
}

func routePush(ev event, in Inputs) (Job, error) {
	branch, isBranch := strings.CutPrefix(ev.Ref, "refs/heads/")
	switch {
	case ev.Deleted:
		return Job{Reason: fmt.Sprintf("%s was deleted", ev.Ref)}, nil
	case !isBranch || branch != ev.Repository.DefaultBranch:
		return Job{Reason: fmt.Sprintf("push to %s, not the default branch %s", ev.Ref, ev.Repository.DefaultBranch)}, nil
	case ev.After == "":
		return Job{}, fmt.Errorf("the push event has no after commit")
	}
	cmd := orAuto(in.Command, CommandApply)
	if cmd == CommandCheck {
		cmd = CommandPlan // a merged pull request's check run is history
	}
	return Job{Command: cmd, PR: in.PullRequest, SHA: ev.After,
		Reason: fmt.Sprintf("push of %s to %s", shortSHA(ev.After), branch)}, nil
}

func refuse(n int, reason string) (Job, error) {
	return Job{Command: CommandRefuse, PR: n, Reason: reason}, nil
}

// slashCommand returns the word after "/modelpromote" on the comment's
// first line, or "".
func slashCommand(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != "/modelpromote" {
		return ""
	}
	return strings.ToLower(f[1])
}

func orAuto(cmd, dflt string) string {
	if cmd == CommandAuto {
		return dflt
	}
	return cmd
}

func inputString(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok || v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

type pullHead struct {
	Repo *struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

func (h pullHead) repoName() string {
	if h.Repo == nil {
		return "a deleted repository"
	}
	return h.Repo.FullName
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
