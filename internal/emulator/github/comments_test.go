package ghemu_test

import (
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// A comment's API URL, as the bot's comments and the demo's output carry
// it, can be read back by ID.
func TestGetIssueCommentByID(t *testing.T) {
	f := newFixture(t)
	n, _ := f.openPR(t, "promote", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\n"}})
	made, _, err := f.bot.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String("plan")})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := f.alice.Issues.GetComment(ctx, "acme", "models", made.GetID())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetBody() != "plan" || got.GetUser().GetLogin() != "modelpromote[bot]" || got.GetURL() != made.GetURL() || got.GetHTMLURL() != made.GetHTMLURL() {
		t.Errorf("got %s by %s at %s (%s), want the comment just made (%s)", got.GetBody(), got.GetUser().GetLogin(), got.GetURL(), got.GetHTMLURL(), made.GetURL())
	}
	if _, _, err := f.alice.Issues.GetComment(ctx, "acme", "models", made.GetID()+1000); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("a missing comment: %v, want 404", err)
	}
}

// GET /user answers a user token with its account and refuses an
// installation token, as GitHub does.
func TestGetAuthenticatedUser(t *testing.T) {
	f := newFixture(t)
	me, _, err := f.alice.Users.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if me.GetLogin() != "alice" || me.GetType() != "User" || me.GetCreatedAt().IsZero() {
		t.Errorf("alice's token is %s (%s, created %v)", me.GetLogin(), me.GetType(), me.GetCreatedAt())
	}
	if _, _, err := f.bot.Users.Get(ctx, ""); statusOf(t, err) != http.StatusForbidden {
		t.Errorf("an installation token: %v, want 403", err)
	}
}
