package github

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// maxListedCommits is how many commits GitHub lists for a pull request or
// a comparison ("Lists a maximum of 250 commits for a pull request",
// https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request).
const maxListedCommits = 250

// Contributors reads GitHub's records of who put work into pull request
// number: the authors and committers of its commits, the co-authors their
// trailers name, everyone who pushed or force-pushed its branch (the
// repository's activity and the issue timeline), the authors of commits a
// force push removed, and the review dismissals with who made them. What
// cannot be read is said in Incomplete, never skipped: the governance gate
// then counts no approval.
func (r *Repo) Contributors(ctx context.Context, number int) (*plan.Contributors, error) {
	pr, _, err := r.client.PullRequests.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return nil, fmt.Errorf("get pull request #%d: %w", number, err)
	}
	return r.ContributorsOf(ctx, pr)
}

// ContributorsOf is Contributors of a pull request already read (its head
// repository as it was then), without reading it again.
func (r *Repo) ContributorsOf(ctx context.Context, pr *gogh.PullRequest) (*plan.Contributors, error) {
	number := pr.GetNumber()
	c := &plan.Contributors{}
	emails := map[string]string{} // lower-cased email → login, from commits GitHub attributed
	var trailers []plan.CoAuthor
	var incomplete []string
	addCommit := func(cm *gogh.RepositoryCommit, what string) {
		sha := gitsha.Short(cm.GetSHA())
		for _, side := range []struct {
			user *gogh.User
			sig  *gogh.CommitAuthor
			verb string
		}{{cm.GetAuthor(), cm.GetCommit().GetAuthor(), "authored"}, {cm.GetCommitter(), cm.GetCommit().GetCommitter(), "committed"}} {
			login := side.user.GetLogin()
			if login == "" || login == "web-flow" {
				continue
			}
			c.Add(login, fmt.Sprintf("%s %s%s", side.verb, sha, what))
			if e := strings.ToLower(side.sig.GetEmail()); e != "" {
				emails[e] = login
			}
		}
		for _, t := range CoAuthors(cm.GetCommit().GetMessage()) {
			t.Commit = cm.GetSHA()
			trailers = append(trailers, t)
		}
	}

	// GitHub's three records are read at once: the commits, who pushed
	// (with the commits each force push removed), and the timeline. They
	// are then taken in that order, as if read one after another.
	headOwner, headName := pr.GetHead().GetRepo().GetOwner().GetLogin(), pr.GetHead().GetRepo().GetName()
	var (
		commits   []*gogh.RepositoryCommit
		commitErr error
		pushes    []*activity
		removed   = map[*activity]removedCommits{}
		pushErr   error
		events    []timelineEvent
		eventsErr error
		wg        sync.WaitGroup
	)
	wg.Go(func() {
		opts := &gogh.ListOptions{PerPage: 100}
		for {
			page, resp, err := r.client.PullRequests.ListCommits(ctx, r.Owner, r.Name, number, opts)
			if err != nil {
				commitErr = fmt.Errorf("list commits of #%d: %w", number, err)
				return
			}
			commits = append(commits, page...)
			if resp.NextPage == 0 {
				return
			}
			opts.Page = resp.NextPage
		}
	})
	if headOwner != "" {
		wg.Go(func() {
			if pushes, pushErr = r.pushes(ctx, headOwner, headName, pr.GetHead().GetRef()); pushErr != nil {
				return
			}
			for _, p := range pushes {
				if p.ActivityType == "force_push" && strings.Trim(p.Before, "0") != "" {
					var rc removedCommits
					rc.commits, rc.total, rc.err = r.commitsUpTo(ctx, pr.GetBase().GetSHA(), p.Before)
					removed[p] = rc
				}
			}
		})
	}
	wg.Go(func() { events, eventsErr = r.timeline(ctx, number) })
	wg.Wait()

	// The commits in the pull request now.
	if commitErr != nil {
		return nil, commitErr
	}
	for _, cm := range commits {
		addCommit(cm, "")
	}
	if n, listed := pr.GetCommits(), len(commits); n > maxListedCommits || listed < n {
		incomplete = append(incomplete, fmt.Sprintf("the pull request has %d commits and GitHub lists only %d, so their authors cannot all be known; split it", n, listed))
	}

	// Who pushed: the head repository's activity on the head branch.
	if headOwner == "" {
		incomplete = append(incomplete, "the pull request's head repository is gone, so who pushed to it cannot be read")
	} else {
		switch err := pushErr; {
		case err != nil && headOwner+"/"+headName != r.FullName():
			// A fork the token cannot read. Its pull requests are never
			// applied (apply refuses forks), so the gate says what it
			// could not see rather than refusing every fork's review.
			c.Warnings = append(c.Warnings, fmt.Sprintf("who pushed to the fork %s/%s cannot be read (%v): a reviewer who pushed to it is not excluded; pull requests from forks are never applied", headOwner, headName, err))
		case err != nil:
			incomplete = append(incomplete, fmt.Sprintf("could not read who pushed to %s %s: %v", r.FullName(), pr.GetHead().GetRef(), err))
		}
		for _, p := range pushes {
			what := "pushed to " + pr.GetHead().GetRef()
			if p.ActivityType == "force_push" {
				what = "force-pushed " + pr.GetHead().GetRef()
			}
			c.Add(p.Actor.GetLogin(), what)
			rc, ok := removed[p]
			if !ok {
				continue
			}
			// The commits the force push removed still count as work in
			// the pull request: read from the commit it replaced.
			switch {
			case rc.err != nil:
				incomplete = append(incomplete, fmt.Sprintf("could not read the commits a force push removed (up to %s): %v", gitsha.Short(p.Before), rc.err))
			case rc.total > len(rc.commits):
				incomplete = append(incomplete, fmt.Sprintf("a force push removed %d commits and GitHub lists only %d, so their authors cannot all be known", rc.total, len(rc.commits)))
			}
			for _, cm := range rc.commits {
				addCommit(cm, ", later force-pushed away")
			}
		}
	}

	// The issue timeline: force pushes (with their actor) and dismissals.
	if eventsErr != nil {
		incomplete = append(incomplete, fmt.Sprintf("could not read the pull request's timeline: %v", eventsErr))
	}
	for _, ev := range events {
		switch ev.Event {
		case "head_ref_force_pushed":
			c.Add(ev.Actor.GetLogin(), "force-pushed "+pr.GetHead().GetRef())
		case "review_dismissed":
			if ev.DismissedReview != nil {
				c.Dismissals = append(c.Dismissals, plan.Dismissal{ReviewID: ev.DismissedReview.GetReviewID(),
					State: strings.ToUpper(ev.DismissedReview.GetState()), By: ev.Actor.GetLogin()})
			}
		}
	}

	for _, t := range trailers {
		if login := coAuthorLogin(t.Email, emails); login != "" {
			c.Add(login, "co-authored "+gitsha.Short(t.Commit))
			continue
		}
		c.Unresolved = append(c.Unresolved, t)
	}
	c.Incomplete = strings.Join(incomplete, "; ")
	return c, nil
}

// pushes lists the repository activity on branch: every push, force push
// and branch creation, with who did it
// (https://docs.github.com/rest/repos/repos#list-repository-activities).
// go-github v60 has no method for it, so the request is built with its
// client (authentication, retries and cursor pagination included).
func (r *Repo) pushes(ctx context.Context, owner, name, branch string) ([]*activity, error) {
	var out []*activity
	after := ""
	for {
		u := fmt.Sprintf("repos/%s/%s/activity?ref=%s&per_page=100", owner, name, "refs/heads/"+branch)
		if after != "" {
			u += "&after=" + after
		}
		req, err := r.client.NewRequest("GET", u, nil)
		if err != nil {
			return nil, err
		}
		var page []*activity
		resp, err := r.client.Do(ctx, req, &page)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if resp.After == "" || len(page) == 0 {
			return out, nil
		}
		after = resp.After
	}
}

// removedCommits are the commits a force push removed, as far as GitHub
// lists them (total is how many there were).
type removedCommits struct {
	commits []*gogh.RepositoryCommit
	total   int
	err     error
}

// activity is one repository activity.
type activity struct {
	Before       string     `json:"before"`
	ActivityType string     `json:"activity_type"`
	Actor        *gogh.User `json:"actor,omitempty"`
}

// timelineEvent is one issue timeline event, with the dismissed_review
// object go-github v60's Timeline lacks.
type timelineEvent struct {
	Event           string                `json:"event"`
	Actor           *gogh.User            `json:"actor,omitempty"`
	CommitID        string                `json:"commit_id,omitempty"`
	DismissedReview *gogh.DismissedReview `json:"dismissed_review,omitempty"`
	// Label and CreatedAt: labeled and unlabeled events (breakglass.go).
	Label     *gogh.Label     `json:"label,omitempty"`
	CreatedAt *gogh.Timestamp `json:"created_at,omitempty"`
}

// timeline lists pull request number's issue timeline
// (https://docs.github.com/rest/issues/timeline).
func (r *Repo) timeline(ctx context.Context, number int) ([]timelineEvent, error) {
	var out []timelineEvent
	page := 1
	for {
		req, err := r.client.NewRequest("GET", fmt.Sprintf("repos/%s/%s/issues/%d/timeline?per_page=100&page=%d", r.Owner, r.Name, number, page), nil)
		if err != nil {
			return nil, err
		}
		var events []timelineEvent
		resp, err := r.client.Do(ctx, req, &events)
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
		if resp.NextPage == 0 {
			return out, nil
		}
		page = resp.NextPage
	}
}

// commitsUpTo lists the commits reachable from head but not from base (at
// most 250, GitHub's limit for a comparison) and how many there are.
func (r *Repo) commitsUpTo(ctx context.Context, base, head string) ([]*gogh.RepositoryCommit, int, error) {
	var out []*gogh.RepositoryCommit
	opts := &gogh.ListOptions{PerPage: 100}
	total := 0
	for {
		cmp, resp, err := r.client.Repositories.CompareCommits(ctx, r.Owner, r.Name, base, head, opts)
		if err != nil {
			return nil, 0, err
		}
		total = cmp.GetTotalCommits()
		out = append(out, cmp.Commits...)
		if resp.NextPage == 0 || len(cmp.Commits) == 0 {
			return out, total, nil
		}
		opts.Page = resp.NextPage
	}
}

var coAuthorRE = regexp.MustCompile(`(?im)^co-authored-by:\s*(.+)$`)

// CoAuthors parses the Co-authored-by trailers of a commit message.
func CoAuthors(message string) []plan.CoAuthor {
	var out []plan.CoAuthor
	for _, m := range coAuthorRE.FindAllStringSubmatch(message, -1) {
		a, err := mail.ParseAddress(strings.TrimSpace(m[1]))
		if err != nil {
			out = append(out, plan.CoAuthor{Name: strings.TrimSpace(m[1])})
			continue
		}
		out = append(out, plan.CoAuthor{Name: a.Name, Email: a.Address})
	}
	return out
}

// noreplyRE is GitHub's private commit address: ID+LOGIN@users.noreply.github.com
// or LOGIN@users.noreply.github.com.
var noreplyRE = regexp.MustCompile(`(?i)^(?:\d+\+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)@users\.noreply\.github\.com$`)

// coAuthorLogin ties a co-author's address to a login: GitHub's noreply
// address names it, or a commit GitHub attributed to that address does.
func coAuthorLogin(email string, known map[string]string) string {
	if m := noreplyRE.FindStringSubmatch(email); m != nil {
		return m[1]
	}
	return known[strings.ToLower(email)]
}
