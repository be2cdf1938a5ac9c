// Package route turns a GitHub event into the job modelpromote runs for
// it. It is the one router of the GitHub App server and the Action: a pure
// function of the event's name, its payload and the entry point's inputs,
// with one slash-command parser and one rule for bots. Route calls
// nothing; Resolve (resolve.go) then asks GitHub, through an interface,
// whether the commenter may and which pull request a commit is, for every
// entry point alike. The configuration is left to the entry point.
//
//	pull_request opened/synchronize/reopened/ready_for_review   → check (read-only for a fork in Actions)
//	pull_request closed and merged into the default branch      → apply (refused for a fork or another base)
//	pull_request_review submitted/dismissed                     → check
//	issue_comment created on a pull request, /modelpromote recheck → check; /modelpromote plan → plan
//	                                                              (the entry point runs it only for writers)
//	push to the default branch                                  → apply of the pull request merged as that commit
//	check_run rerequested (the modelpromote check)              → check
//	merge_group checks_requested                                → check of the queue's commit for the pull
//	                                                              request its ref names; destroyed → nothing
//	workflow_dispatch                                           → plan, or its command input, of its pull-request input
//	schedule                                                    → drift
//
// Events a bot commented and events the App itself caused are ignored.
// An explicit command input (the Action's) overrides the event's choice,
// except that apply is never routed from an open pull request, a review, a
// comment, a fork or a merge into another branch; dry-run turns check and
// apply into plan.
//
// The router skipping a merge is a courtesy, not the rule: whether
// anything is applied (default branch, not a fork, the check passed) is
// decided again by apply.Run, whatever the entry point.
package route

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/report"
)

// Commands a job runs.
const (
	// None: the event asks for nothing (Job.Reason says why).
	None = ""
	// Auto is the command input that lets the event decide ("" too).
	Auto = "auto"
	// Check checks a pull request and reports on it.
	Check = "check"
	// Plan checks a pull request and reports the plan; it applies nothing.
	Plan = "plan"
	// Apply applies a merged pull request.
	Apply = "apply"
	// Drift compares every stage with what its endpoint serves.
	Drift = "drift"
	// Refuse is an apply the entry point will not even attempt (a fork, a
	// merge into another branch, an open pull request).
	Refuse = "refuse"
)

// Inputs are what the entry point adds to the event.
type Inputs struct {
	// Command is the command asked for: Auto (or "") lets the event decide;
	// check, plan or apply override it; any other command (drift, …) is not
	// about a pull request and runs whatever the event.
	Command string
	// PullRequest is the pull request asked for (0: the event's).
	PullRequest int
	// DryRun turns check and apply into plan.
	DryRun bool
	// BotLogin is the App's bot user ("SLUG[bot]"): events it caused are
	// ignored. Empty when unknown.
	BotLogin string
	// Actions is set when the event started a GitHub Actions run: a
	// pull_request run of a fork's pull request has a read-only token.
	Actions bool
}

// Job is what to do for an event, and why.
type Job struct {
	// Command is check, plan, apply, refuse, drift (or another
	// event-independent command input); None when the event asks for
	// nothing.
	Command string
	// Reason says why, in a sentence, for logs and summaries.
	Reason string
	// Event is the event's name ("reconcile" for the server's own jobs).
	Event string
	// Delivery is the webhook's X-GitHub-Delivery (server only).
	Delivery string
	// Installation is the App installation the payload names (0: none).
	Installation int64
	// Repo is owner/name; DefaultBranch is its default branch.
	Repo          string
	DefaultBranch string
	// PR is the pull request. When it is 0, the pull request is found from
	// SHA: the open pull request whose head it is (check), or the one
	// merged as it (apply, plan).
	PR  int
	SHA string
	// ReadOnly is set when the run's token cannot write to the repository
	// (a fork's pull_request run in Actions): the report goes to the job
	// summary only.
	ReadOnly bool
	// Commenter asked for the job in a comment; the job runs only if they
	// can write to the repository.
	Commenter string
	// Queue is set for a merge queue's check (merge_group
	// checks_requested): SHA is then the queue's temporary commit, where
	// the check run goes, and PR the pull request its ref names.
	Queue Queue
}

// Queue is a merge queue's temporary commit, from a merge_group event
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#merge_group).
// The zero Queue is no queue.
type Queue struct {
	// Ref is the temporary branch, refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>.
	Ref string
	// BaseRef is the branch the queue merges into (refs/heads/<base>).
	BaseRef string
	// BaseSHA is the commit the queue built on: the base branch's head, or
	// the commit of the entry ahead in the queue.
	BaseSHA string
	// HeadSHA is the temporary commit: what the queue will merge.
	HeadSHA string
}

// payload is the part of a webhook payload routing reads.
type payload struct {
	Action string `json:"action"`
	// Changes is what an "edited" event changed: a pull request's base, its
	// title or body.
	Changes struct {
		Base *struct {
			Ref struct {
				From string `json:"from"`
			} `json:"ref"`
		} `json:"base"`
	} `json:"changes"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Sender      account      `json:"sender"`
	PullRequest *pullRequest `json:"pull_request"`
	Issue       *struct {
		Number      int             `json:"number"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		Body string  `json:"body"`
		User account `json:"user"`
	} `json:"comment"`
	Ref      string `json:"ref"`
	After    string `json:"after"`
	Deleted  bool   `json:"deleted"`
	CheckRun *struct {
		Name         string `json:"name"`
		HeadSHA      string `json:"head_sha"`
		PullRequests []struct {
			Number int `json:"number"`
		} `json:"pull_requests"`
	} `json:"check_run"`
	Inputs     map[string]any `json:"inputs"`
	MergeGroup *struct {
		HeadSHA string `json:"head_sha"`
		HeadRef string `json:"head_ref"`
		BaseSHA string `json:"base_sha"`
		BaseRef string `json:"base_ref"`
	} `json:"merge_group"`
	Reason string `json:"reason"`
}

type account struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

type pullRequest struct {
	Number         int    `json:"number"`
	Merged         bool   `json:"merged"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	Head           struct {
		Repo *struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"head"`
	Base struct {
		Ref  string `json:"ref"`
		Repo struct {
			FullName string `json:"full_name"`
		} `json:"repo"`
	} `json:"base"`
}

// fork reports whether the head is another repository (or a deleted one).
func (p *pullRequest) fork() bool {
	return p.Head.Repo == nil || !strings.EqualFold(p.Head.Repo.FullName, p.Base.Repo.FullName)
}

func (p *pullRequest) headRepo() string {
	if p.Head.Repo == nil {
		return "a deleted repository"
	}
	return p.Head.Repo.FullName
}

// zeroSHA is the "after" of a push that deleted a branch.
const zeroSHA = "0000000000000000000000000000000000000000"

// Route decides the job for an event. A job with Command None is an event
// that asks for nothing, with the reason; an error is an event or input
// that cannot be read (not JSON, a workflow_dispatch without a pull
// request, an event no command handles).
func Route(event string, body []byte, in Inputs) (Job, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Job{}, fmt.Errorf("the %s payload is not JSON: %w", event, err)
	}
	if in.Command == "" {
		in.Command = Auto
	}
	base := Job{Event: event, Installation: p.Installation.ID, Repo: p.Repository.FullName, DefaultBranch: p.Repository.DefaultBranch}
	if in.BotLogin != "" && p.Sender.Type == "Bot" && strings.EqualFold(p.Sender.Login, in.BotLogin) {
		return with(base, Job{Reason: "caused by this App (" + p.Sender.Login + ")"}), nil
	}
	j, err := routeEvent(event, &p, in)
	if err != nil {
		return Job{}, err
	}
	if in.DryRun && (j.Command == Apply || j.Command == Check) {
		j.Command = Plan
		j.Reason += " (dry run: plan only, nothing written or deployed)"
	}
	switch j.Command {
	case Check, Plan, Apply:
		if j.PR == 0 && j.SHA == "" {
			return Job{}, fmt.Errorf("the %s event names no pull request or commit", event)
		}
	}
	return with(base, j), nil
}

// with fills j's event facts from base.
func with(base, j Job) Job {
	j.Event, j.Installation, j.Repo, j.DefaultBranch = base.Event, base.Installation, base.Repo, base.DefaultBranch
	return j
}

func routeEvent(name string, p *payload, in Inputs) (Job, error) {
	switch in.Command {
	case Auto, Check, Plan, Apply:
	case Refuse:
		return Job{}, errors.New("refuse is not a command to ask for: it is what a refused apply routes to")
	default:
		// Drift (and any command not about a pull request) is about the
		// default branch and the endpoints, whatever the event.
		return Job{Command: in.Command, Reason: fmt.Sprintf("%s (on %s)", in.Command, name)}, nil
	}
	switch name {
	case "pull_request", "pull_request_target":
		return routePull(name, p, in)
	case "pull_request_review":
		if p.PullRequest == nil {
			return Job{}, fmt.Errorf("the %s event has no pull_request", name)
		}
		n := p.PullRequest.Number
		if in.Command == Apply {
			return refuse(n, "apply runs only when a pull request merges, not on a review")
		}
		if in.Command == Auto && p.Action != "submitted" && p.Action != "dismissed" {
			return Job{Reason: fmt.Sprintf("review %s on #%d", p.Action, n)}, nil
		}
		// A review event of a fork's pull request gets a read-only token.
		return Job{Command: orAuto(in.Command, Check), PR: n, ReadOnly: in.Actions && p.PullRequest.fork(),
			Reason: fmt.Sprintf("review %s on #%d: re-evaluating the gates", p.Action, n)}, nil
	case "issue_comment":
		return routeComment(p, in)
	case "push":
		return routePush(p, in)
	case "check_run":
		if j, ok := routeCheckRun(p, in); ok {
			return j, nil
		}
	case "merge_group":
		return routeMergeGroup(p, in)
	case "schedule":
		if in.Command == Auto {
			return Job{Command: Drift, Reason: "scheduled drift detection"}, nil
		}
	case "workflow_dispatch":
		return routeDispatch(p, in)
	}
	if in.Command != Auto && in.PullRequest > 0 {
		return Job{Command: in.Command, PR: in.PullRequest, Reason: fmt.Sprintf("%s of #%d (input pull-request)", in.Command, in.PullRequest)}, nil
	}
	if name == "check_run" {
		return Job{Reason: checkRunIgnored(p)}, nil
	}
	return Job{}, fmt.Errorf("event %s is not one modelpromote handles (pull_request, pull_request_review, issue_comment, push, check_run, merge_group, workflow_dispatch, schedule); set the command and pull-request inputs to run it anyway", name)
}

func routePull(name string, p *payload, in Inputs) (Job, error) {
	pr := p.PullRequest
	if pr == nil {
		return Job{}, fmt.Errorf("the %s event has no pull_request", name)
	}
	n := pr.Number
	// pull_request runs of a fork's pull request get a read-only token;
	// pull_request_target runs get the base repository's.
	readOnly := in.Actions && pr.fork() && name == "pull_request"
	if p.Action == "closed" {
		switch {
		case !pr.Merged:
			return Job{Reason: fmt.Sprintf("#%d was closed without merging", n)}, nil
		case in.Command == Check || in.Command == Plan:
			return Job{Command: in.Command, PR: n, ReadOnly: readOnly, Reason: fmt.Sprintf("%s of merged #%d", in.Command, n)}, nil
		case pr.fork():
			// Nothing from a fork is ever applied (and in Actions the run
			// has a read-only token and no secrets): not even attempted.
			return refuse(n, fmt.Sprintf("#%d comes from a fork (%s): nothing from a fork is ever applied", n, pr.headRepo()))
		case pr.Base.Ref != p.Repository.DefaultBranch:
			return refuse(n, fmt.Sprintf("#%d was merged into %s, not the default branch %s: only merges into the default branch are applied",
				n, pr.Base.Ref, p.Repository.DefaultBranch))
		}
		return Job{Command: Apply, PR: n, SHA: pr.MergeCommitSHA, Reason: fmt.Sprintf("#%d was merged", n)}, nil
	}
	if in.Command == Apply {
		return refuse(n, fmt.Sprintf("#%d is open: apply runs only when a pull request merges", n))
	}
	if in.Command == Auto {
		switch {
		case p.Action == "opened", p.Action == "synchronize", p.Action == "reopened", p.Action == "ready_for_review":
		case p.Action == "edited" && p.Changes.Base != nil:
			// A retargeted pull request is judged again against its new
			// base: a green check judged against the old one must not stand.
			return Job{Command: Check, PR: n, ReadOnly: readOnly,
				Reason: fmt.Sprintf("#%d was retargeted from %s to %s", n, p.Changes.Base.Ref.From, pr.Base.Ref)}, nil
		default:
			return Job{Reason: fmt.Sprintf("pull request %s on #%d", p.Action, n)}, nil
		}
	}
	return Job{Command: orAuto(in.Command, Check), PR: n, ReadOnly: readOnly,
		Reason: fmt.Sprintf("pull request %s on #%d", p.Action, n)}, nil
}

func routeComment(p *payload, in Inputs) (Job, error) {
	if p.Issue == nil || p.Comment == nil {
		return Job{}, errors.New("the issue_comment event has no issue or comment")
	}
	n := p.Issue.Number
	switch {
	case len(p.Issue.PullRequest) == 0 || string(p.Issue.PullRequest) == "null":
		return Job{Reason: fmt.Sprintf("#%d is an issue, not a pull request", n)}, nil
	case p.Action != "created":
		return Job{Reason: fmt.Sprintf("comment %s on #%d", p.Action, n)}, nil
	case p.Comment.User.Type == "Bot":
		// Never take a command from a bot, this App included.
		return Job{Reason: fmt.Sprintf("comment by %s (a bot) on #%d", p.Comment.User.Login, n)}, nil
	}
	cmd, ok := SlashCommand(p.Comment.Body)
	if !ok {
		return Job{Reason: fmt.Sprintf("comment on #%d is not a /modelpromote command", n)}, nil
	}
	if in.Command == Apply {
		return refuse(n, "apply runs only when a pull request merges, never from a comment")
	}
	who := p.Comment.User.Login
	return Job{Command: cmd, PR: n, Commenter: who,
		Reason: fmt.Sprintf("%s asked for /modelpromote %s on #%d", who, slashWord[cmd], n)}, nil
}

func routePush(p *payload, in Inputs) (Job, error) {
	branch, isBranch := strings.CutPrefix(p.Ref, "refs/heads/")
	switch {
	case p.Deleted || p.After == zeroSHA:
		return Job{Reason: fmt.Sprintf("%s was deleted", p.Ref)}, nil
	case !isBranch || branch != p.Repository.DefaultBranch:
		return Job{Reason: fmt.Sprintf("push to %s, not the default branch %s", p.Ref, p.Repository.DefaultBranch)}, nil
	case p.After == "":
		return Job{}, errors.New("the push event has no after commit")
	}
	cmd := orAuto(in.Command, Apply)
	if cmd == Check {
		cmd = Plan // a merged pull request's check run is history
	}
	return Job{Command: cmd, PR: in.PullRequest, SHA: p.After,
		Reason: fmt.Sprintf("push of %s to %s", gitsha.Short(p.After), branch)}, nil
}

// routeCheckRun routes a rerequest of the modelpromote check run; ok is
// false for any other check_run event.
func routeCheckRun(p *payload, in Inputs) (Job, bool) {
	cr := p.CheckRun
	if in.Command != Auto || p.Action != "rerequested" || cr == nil || cr.Name != report.CheckRunName {
		return Job{}, false
	}
	j := Job{Command: Check, SHA: cr.HeadSHA, Reason: fmt.Sprintf("check run rerequested on %s", gitsha.Short(cr.HeadSHA))}
	if len(cr.PullRequests) > 0 {
		// A fork's head lists no pull request: it is found from the SHA.
		j.PR = cr.PullRequests[0].Number
	}
	return j, true
}

// queueRef is a merge queue's temporary branch:
// gh-readonly-queue/<base branch>/pr-<number>-<the pull request's head SHA>.
var queueRef = regexp.MustCompile(`^refs/heads/gh-readonly-queue/(.+)/pr-([0-9]+)-[0-9a-f]{40}$`)

// QueuedPullRequest reads the pull request a merge queue's temporary
// branch (refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>) is for.
func QueuedPullRequest(ref string) (int, bool) {
	m := queueRef.FindStringSubmatch(ref)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[2])
	return n, err == nil && n > 0
}

// routeMergeGroup routes a merge queue's request for checks to a check of
// the queue's commit, for the pull request its ref names (the last one
// queued; those ahead have their own groups). Nothing is applied from a
// merge group: the merge it produces arrives as a push and a closed pull
// request.
func routeMergeGroup(p *payload, in Inputs) (Job, error) {
	g := p.MergeGroup
	if g == nil {
		return Job{}, errors.New("the merge_group event has no merge_group")
	}
	if p.Action != "checks_requested" {
		why := "merge group " + p.Action
		if p.Reason != "" {
			why += " (" + p.Reason + ")"
		}
		return Job{Reason: why + " on " + strings.TrimPrefix(g.HeadRef, "refs/heads/")}, nil
	}
	n, ok := QueuedPullRequest(g.HeadRef)
	if !ok || g.HeadSHA == "" || g.BaseSHA == "" {
		return Job{}, fmt.Errorf("merge group %q is not gh-readonly-queue/<base>/pr-<number>-<sha> with head and base commits", g.HeadRef)
	}
	if in.Command == Apply {
		return refuse(n, fmt.Sprintf("#%d is in the merge queue, not merged: apply runs on the merge the queue produces", n))
	}
	return Job{Command: orAuto(in.Command, Check), PR: n, SHA: g.HeadSHA,
		Queue:  Queue{Ref: g.HeadRef, BaseRef: g.BaseRef, BaseSHA: g.BaseSHA, HeadSHA: g.HeadSHA},
		Reason: fmt.Sprintf("merge queue checks #%d at %s (built on %s)", n, gitsha.Short(g.HeadSHA), gitsha.Short(g.BaseSHA))}, nil
}

func checkRunIgnored(p *payload) string {
	if p.CheckRun != nil && p.CheckRun.Name != report.CheckRunName {
		return "check run " + p.CheckRun.Name
	}
	return "check_run " + p.Action
}

func routeDispatch(p *payload, in Inputs) (Job, error) {
	cmd := in.Command
	if cmd == Auto {
		cmd = inputString(p.Inputs, "command")
	}
	if cmd == "" || cmd == Auto {
		cmd = Plan
	}
	switch cmd {
	case Drift:
		return Job{Command: Drift, Reason: "drift detection requested by workflow_dispatch"}, nil
	case Check, Plan, Apply:
	default:
		return Job{}, fmt.Errorf("workflow_dispatch input command: %q is not check, plan, apply or drift", cmd)
	}
	n := in.PullRequest
	if n == 0 {
		for _, k := range []string{"pull-request", "pull_request"} {
			if v := inputString(p.Inputs, k); v != "" {
				var err error
				if n, err = strconv.Atoi(v); err != nil || n <= 0 {
					return Job{}, fmt.Errorf("workflow_dispatch input %s: %q is not a pull request number", k, v)
				}
			}
		}
	}
	if n == 0 {
		return Job{}, errors.New("workflow_dispatch needs a pull request: set the pull-request input")
	}
	return Job{Command: cmd, PR: n, Reason: fmt.Sprintf("%s of #%d requested by workflow_dispatch", cmd, n)}, nil
}

// slashWord is the comment word of each command a comment can ask for.
var slashWord = map[string]string{Check: "recheck", Plan: "plan"}

// SlashCommand reads a comment's first line: "/modelpromote recheck" asks
// for a check, "/modelpromote plan" for a plan. Case does not matter;
// anything else on the line, or any other word, is no command.
func SlashCommand(body string) (command string, ok bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) != 2 || !strings.EqualFold(f[0], "/modelpromote") {
		return "", false
	}
	for cmd, word := range slashWord {
		if strings.EqualFold(f[1], word) {
			return cmd, true
		}
	}
	return "", false
}

func refuse(n int, reason string) (Job, error) {
	return Job{Command: Refuse, PR: n, Reason: reason}, nil
}

func orAuto(cmd, dflt string) string {
	if cmd == Auto {
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
