package github

import (
	"context"
	"fmt"
	"strings"

	gogh "github.com/google/go-github/v60/github"
)

// MarkedIssue says which issue UpsertMarkedIssue wrote.
type MarkedIssue struct {
	Number int
	URL    string
	// Created is true when no issue of the bot's carried the marker, so a
	// new one was opened; Reopened when the bot's issue had been closed.
	Created, Reopened bool
	// Unchanged is true when the issue already read exactly so.
	Unchanged bool
	// Duplicates are further open issues by the bot carrying the marker,
	// newer than the one edited: left alone, for a person to close.
	Duplicates []int
}

// UpsertMarkedIssue keeps the one issue opened by bot whose body starts
// with marker, edited in place (not at all when unchanged), reopened when
// closed, and opened when there is none. Anyone who can read a repository
// can open an issue and write the marker into it, so an issue counts only
// when bot opened it: the list asks GitHub for bot's issues (creator) and
// each one's author is checked again. When several are open, the oldest is
// edited and the others are reported as Duplicates.
func (r *Repo) UpsertMarkedIssue(ctx context.Context, bot, marker, title, body string) (*MarkedIssue, error) {
	if bot == "" || marker == "" {
		return nil, fmt.Errorf("upsert issue: the bot's login and a marker are required")
	}
	open, err := r.markedIssues(ctx, bot, marker, "open")
	if err != nil {
		return nil, err
	}
	res := &MarkedIssue{}
	var target *gogh.Issue
	if len(open) > 0 {
		target = open[0]
		for _, is := range open[1:] {
			res.Duplicates = append(res.Duplicates, is.GetNumber())
		}
	} else {
		closed, err := r.markedIssues(ctx, bot, marker, "closed")
		if err != nil {
			return nil, err
		}
		if len(closed) > 0 {
			target, res.Reopened = closed[0], true
		}
	}
	if target == nil {
		is, _, err := r.client.Issues.Create(ctx, r.Owner, r.Name, &gogh.IssueRequest{Title: gogh.String(title), Body: gogh.String(body)})
		if err != nil {
			return nil, fmt.Errorf("open issue %q: %w", title, err)
		}
		res.Number, res.URL, res.Created = is.GetNumber(), is.GetHTMLURL(), true
		return res, nil
	}
	res.Number, res.URL = target.GetNumber(), target.GetHTMLURL()
	if !res.Reopened && target.GetBody() == body && target.GetTitle() == title {
		res.Unchanged = true
		return res, nil
	}
	req := &gogh.IssueRequest{Title: gogh.String(title), Body: gogh.String(body)}
	if res.Reopened {
		req.State = gogh.String("open")
	}
	if _, _, err := r.client.Issues.Edit(ctx, r.Owner, r.Name, target.GetNumber(), req); err != nil {
		return nil, fmt.Errorf("edit issue #%d: %w", target.GetNumber(), err)
	}
	return res, nil
}

// markedIssues lists the issues (not pull requests) in state that bot
// opened and whose body starts with marker, oldest first.
func (r *Repo) markedIssues(ctx context.Context, bot, marker, state string) ([]*gogh.Issue, error) {
	opts := &gogh.IssueListByRepoOptions{Creator: bot, State: state, Sort: "created", Direction: "asc",
		ListOptions: gogh.ListOptions{PerPage: 100}}
	var out []*gogh.Issue
	for {
		page, resp, err := r.client.Issues.ListByRepo(ctx, r.Owner, r.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s issues by %s: %w", state, bot, err)
		}
		for _, is := range page {
			// The creator filter is GitHub's; the author is checked here
			// too, so that nothing but the bot's own issue is ever edited.
			if is.IsPullRequest() || !strings.EqualFold(is.GetUser().GetLogin(), bot) {
				continue
			}
			if strings.HasPrefix(is.GetBody(), marker) {
				out = append(out, is)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// AuthenticatedLogin is the login the client's token acts as, read with
// GET /user. GitHub refuses it (403) to installation tokens, including
// Actions' GITHUB_TOKEN: their login is the App's "SLUG[bot]", and
// "github-actions[bot]" for GITHUB_TOKEN.
func (r *Repo) AuthenticatedLogin(ctx context.Context) (string, error) {
	u, _, err := r.client.Users.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("who is this token (GET /user): %w", err)
	}
	return u.GetLogin(), nil
}
