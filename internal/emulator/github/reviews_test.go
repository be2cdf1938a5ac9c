package ghemu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func TestReviewsPaginateWithLinkHeaders(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote", promotionChange)
	for i := 0; i < 250; i++ {
		if _, err := f.e.Review(repoName, n, "bob", "COMMENT", fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var all []*github.PullRequestReview
	opts := &github.ListOptions{PerPage: 100}
	pages := 0
	for {
		page, resp, err := f.bot.PullRequests.ListReviews(ctx, "acme", "models", n, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if pages == 1 && (resp.LastPage != 3 || resp.NextPage != 2) {
			t.Errorf("first page: next %d last %d (Link %q)", resp.NextPage, resp.LastPage, resp.Header.Get("Link"))
		}
		if pages == 2 && (resp.PrevPage != 1 || resp.FirstPage != 1) {
			t.Errorf("second page: prev %d first %d", resp.PrevPage, resp.FirstPage)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if pages != 3 || len(all) != 250 || all[249].GetBody() != "note 249" || all[0].GetCommitID() != head {
		t.Errorf("pages %d reviews %d", pages, len(all))
	}
	// Default page size is 30.
	page, resp, err := f.bot.PullRequests.ListReviews(ctx, "acme", "models", n, nil)
	if err != nil || len(page) != 30 || resp.LastPage != 9 {
		t.Errorf("default page: %d reviews, last %d, %v", len(page), resp.LastPage, err)
	}
}

func TestReviewsRecordHeadAndDismissal(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote", promotionChange)

	tests := []struct {
		name   string
		client *github.Client
		event  string
		body   string
		want   int
		state  string
	}{
		{"reviewer approves", f.bob, "APPROVE", "", http.StatusOK, "APPROVED"},
		{"reviewer requests changes", f.bob, "REQUEST_CHANGES", "fix", http.StatusOK, "CHANGES_REQUESTED"},
		{"author cannot approve", f.alice, "APPROVE", "", http.StatusUnprocessableEntity, ""},
		{"comment needs a body", f.bob, "COMMENT", "", http.StatusUnprocessableEntity, ""},
	}
	var approval int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv, _, err := tt.client.PullRequests.CreateReview(ctx, "acme", "models", n, &github.PullRequestReviewRequest{Event: github.String(tt.event), Body: github.String(tt.body)})
			if got := statusOf(t, err); err != nil && got != tt.want {
				t.Fatalf("status %d, want %d: %v", got, tt.want, err)
			}
			if tt.want != http.StatusOK {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rv.GetState() != tt.state || rv.GetCommitID() != head || rv.GetUser().GetLogin() != "bob" {
				t.Errorf("review %s %s %s", rv.GetState(), rv.GetCommitID(), rv.GetUser().GetLogin())
			}
			if approval == 0 {
				approval = rv.GetID()
			}
		})
	}
	// A new push leaves the approval on the old head: it is stale.
	newHead, err := f.e.Push(repoName, "promote", ghemu.Change{Files: map[string]string{"x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	rv, _, err := f.bot.PullRequests.DismissReview(ctx, "acme", "models", n, approval, &github.PullRequestReviewDismissalRequest{Message: github.String("stale")})
	if err != nil {
		t.Fatal(err)
	}
	if rv.GetState() != "DISMISSED" {
		t.Errorf("state %s", rv.GetState())
	}
	reviews := f.e.Reviews(repoName, n)
	if len(reviews) != 2 || reviews[0].State != "DISMISSED" || reviews[0].CommitID != head || reviews[0].CommitID == newHead {
		t.Errorf("reviews = %+v", reviews)
	}
	_, _, err = f.bot.PullRequests.DismissReview(ctx, "acme", "models", n, approval, &github.PullRequestReviewDismissalRequest{Message: github.String("again")})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("dismissing twice: %v", err)
	}
}

func TestIssueCommentsLimitAndEditInPlace(t *testing.T) {
	f := newFixture(t)
	n, _ := f.openPR(t, "promote", promotionChange)
	marker := "<!-- modelpromote:report -->"

	cm, _, err := f.bot.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String(marker + "\nfirst")})
	if err != nil {
		t.Fatal(err)
	}
	if cm.GetUser().GetLogin() != "modelpromote[bot]" || cm.GetUser().GetType() != "Bot" {
		t.Errorf("comment by %s (%s)", cm.GetUser().GetLogin(), cm.GetUser().GetType())
	}
	tests := []struct {
		name string
		body string
		want int
	}{
		{"at the limit", marker + strings.Repeat("é", 65536-len(marker)), http.StatusOK},
		{"over the limit", strings.Repeat("x", 65537), http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.bot.Issues.EditComment(ctx, "acme", "models", cm.GetID(), &github.IssueComment{Body: github.String(tt.body)})
			if got := statusOf(t, err); err != nil && got != tt.want {
				t.Fatalf("status %d: %v", got, err)
			}
			if (err == nil) != (tt.want == http.StatusOK) {
				t.Fatalf("err = %v, want status %d", err, tt.want)
			}
			if err != nil {
				er := err.(*github.ErrorResponse)
				if len(er.Errors) != 1 || er.Errors[0].Message != "body is too long (maximum is 65536 characters)" {
					t.Errorf("errors = %+v", er.Errors)
				}
			}
		})
	}
	_, _, err = f.bot.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String(strings.Repeat("x", 70000))})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("create over the limit: %v", err)
	}
	for i := 0; i < 40; i++ {
		f.e.Comment(repoName, n, "bob", fmt.Sprint("chatter ", i))
	}
	list, resp, err := f.bot.Issues.ListComments(ctx, "acme", "models", n, &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 25, Page: 2}})
	if err != nil || len(list) != 16 || resp.NextPage != 0 || resp.PrevPage != 1 {
		t.Errorf("page 2: %d comments, %v", len(list), err)
	}
	got := f.e.Comments(repoName, n)
	if len(got) != 41 || !strings.HasPrefix(got[0].Body, marker) || got[0].User != "modelpromote[bot]" {
		t.Errorf("comments = %d, first %q", len(got), got[0].Body[:40])
	}
}

func TestTeamMembershipAndPermission(t *testing.T) {
	f := newFixture(t)
	f.e.CreateUser("carol")
	if err := f.e.AddTeamMember("acme", "ml-leads", "bob", "maintainer", "active"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.AddTeamMember("acme", "ml-leads", "carol", "member", "pending"); err != nil {
		t.Fatal(err)
	}
	f.e.SetPermission(repoName, "bob", "maintain")
	tests := []struct {
		user   string
		status int
		state  string
		perm   string
	}{
		{"bob", http.StatusOK, "active", "write"},
		{"carol", http.StatusOK, "pending", "none"},
		{"alice", http.StatusNotFound, "", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			m, _, err := f.bot.Teams.GetTeamMembershipBySlug(ctx, "acme", "ml-leads", tt.user)
			if got := statusOf(t, err); got != 0 && got != tt.status {
				t.Fatalf("status %d: %v", got, err)
			}
			if tt.status == http.StatusOK && m.GetState() != tt.state {
				t.Errorf("state %s, want %s", m.GetState(), tt.state)
			}
			if tt.status == http.StatusNotFound && err == nil {
				t.Error("non-member found")
			}
			p, _, err := f.bot.Repositories.GetPermissionLevel(ctx, "acme", "models", tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if p.GetPermission() != tt.perm {
				t.Errorf("permission %s, want %s", p.GetPermission(), tt.perm)
			}
		})
	}
}

func TestPaginationLinksKeepTheEnterprisePrefix(t *testing.T) {
	f := newFixture(t)
	n, _ := f.openPR(t, "promote", promotionChange)
	for i := 0; i < 5; i++ {
		f.e.Comment(repoName, n, "bob", fmt.Sprint("c", i))
	}
	c := f.e.EnterpriseClient(f.e.CreateUser("bob"))
	_, resp, err := c.Issues.ListComments(ctx, "acme", "models", n, &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.NextPage != 2 || resp.LastPage != 3 || !strings.Contains(resp.Header.Get("Link"), "/api/v3/repos/acme/models/issues/") {
		t.Errorf("Link = %q", resp.Header.Get("Link"))
	}
}
