package server

import (
	"encoding/json"
	"strings"

	"github.com/modelpromote/modelpromote/internal/report"
)

// Kind is what a job does.
type Kind string

// Job kinds.
const (
	KindCheck Kind = "check"
	// KindPlan is a check asked for with /modelpromote plan: it reports
	// the plan on the pull request and applies nothing, like any check.
	KindPlan  Kind = "plan"
	KindApply Kind = "apply"
)

// Job is one unit of work: a check of a pull request or an apply of a
// merge.
type Job struct {
	Kind         Kind
	Event        string // the webhook event, or "reconcile"
	Delivery     string // X-GitHub-Delivery, empty for reconciliation
	Installation int64  // 0: found from the repository
	Repo         string // owner/name
	PR           int    // 0: found from SHA
	// SHA is the merge commit of an apply, or the head of a check whose
	// pull request is to be found.
	SHA string
	// Commenter is who asked with a slash command; the job runs only if
	// they can write to the repository.
	Commenter string
}

// key identifies jobs that coalesce.
func (j Job) key() string {
	if j.Kind == KindApply {
		if j.SHA != "" {
			return "apply " + j.Repo + "@" + j.SHA
		}
		return "apply " + j.Repo + "#" + itoa(j.PR)
	}
	if j.PR == 0 {
		return "check " + j.Repo + "@" + j.SHA
	}
	return "check " + j.Repo + "#" + itoa(j.PR)
}

// lane names the jobs that run one at a time: checks per pull request,
// applies per repository.
func (j Job) lane() string {
	if j.Kind == KindApply {
		return "apply " + j.Repo
	}
	return j.key()
}

// envelope is the part of a webhook payload routing reads.
type envelope struct {
	Action       string `json:"action"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository struct {
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"sender"`
	PullRequest *struct {
		Number         int    `json:"number"`
		Merged         bool   `json:"merged"`
		MergeCommitSHA string `json:"merge_commit_sha"`
		Base           struct {
			Ref string `json:"ref"`
		} `json:"base"`
	} `json:"pull_request"`
	Issue *struct {
		Number      int             `json:"number"`
		State       string          `json:"state"`
		PullRequest json.RawMessage `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
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
}

// zeroSHA is the "after" of a push that deleted a branch.
const zeroSHA = "0000000000000000000000000000000000000000"

// route turns a delivery into a job, or says why there is none. It calls
// nothing: whatever needs the API (permissions, the configuration, the
// pull request of a commit) is left to the worker.
func route(event string, payload []byte, botLogin string) (Job, string) {
	var e envelope
	if err := json.Unmarshal(payload, &e); err != nil {
		return Job{}, "payload is not JSON"
	}
	if e.Repository.FullName == "" {
		return Job{}, "no repository"
	}
	if e.Sender.Type == "Bot" && botLogin != "" && strings.EqualFold(e.Sender.Login, botLogin) {
		return Job{}, "caused by this App"
	}
	j := Job{Event: event, Installation: e.Installation.ID, Repo: e.Repository.FullName}
	switch event {
	case "pull_request":
		if e.PullRequest == nil {
			return Job{}, "no pull request"
		}
		j.PR = e.PullRequest.Number
		switch e.Action {
		case "opened", "synchronize", "reopened", "ready_for_review":
			j.Kind = KindCheck
		case "closed":
			if !e.PullRequest.Merged {
				return Job{}, "closed without merging"
			}
			if e.PullRequest.Base.Ref != e.Repository.DefaultBranch {
				return Job{}, "merged into " + e.PullRequest.Base.Ref + ", not the default branch"
			}
			j.Kind, j.SHA = KindApply, e.PullRequest.MergeCommitSHA
		default:
			return Job{}, "pull_request " + e.Action
		}
	case "pull_request_review":
		if e.PullRequest == nil {
			return Job{}, "no pull request"
		}
		if e.Action != "submitted" && e.Action != "dismissed" {
			return Job{}, "pull_request_review " + e.Action
		}
		j.Kind, j.PR = KindCheck, e.PullRequest.Number
	case "push":
		if e.Ref != "refs/heads/"+e.Repository.DefaultBranch {
			return Job{}, "push to " + e.Ref + ", not the default branch"
		}
		if e.Deleted || e.After == "" || e.After == zeroSHA {
			return Job{}, "branch deleted"
		}
		j.Kind, j.SHA = KindApply, e.After
	case "issue_comment":
		if e.Action != "created" || e.Issue == nil || e.Comment == nil {
			return Job{}, "issue_comment " + e.Action
		}
		if len(e.Issue.PullRequest) == 0 || string(e.Issue.PullRequest) == "null" {
			return Job{}, "comment on an issue, not a pull request"
		}
		kind, ok := slashCommand(e.Comment.Body)
		if !ok {
			return Job{}, "no command"
		}
		j.Kind, j.PR, j.Commenter = kind, e.Issue.Number, e.Comment.User.Login
	case "check_run":
		if e.Action != "rerequested" || e.CheckRun == nil {
			return Job{}, "check_run " + e.Action
		}
		if e.CheckRun.Name != report.CheckRunName {
			return Job{}, "check run " + e.CheckRun.Name
		}
		j.Kind, j.SHA = KindCheck, e.CheckRun.HeadSHA
		if len(e.CheckRun.PullRequests) > 0 {
			j.PR = e.CheckRun.PullRequests[0].Number
		}
	default:
		return Job{}, "event " + event + " is not handled"
	}
	if j.PR == 0 && j.SHA == "" {
		return Job{}, "no pull request or commit"
	}
	return j, ""
}

// slashCommand reads a comment's first line: "/modelpromote recheck" or
// "/modelpromote plan".
func slashCommand(body string) (Kind, bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	fields := strings.Fields(line)
	if len(fields) != 2 || fields[0] != "/modelpromote" {
		return "", false
	}
	switch fields[1] {
	case "recheck":
		return KindCheck, true
	case "plan":
		return KindPlan, true
	}
	return "", false
}
