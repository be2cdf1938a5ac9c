package github_test

import (
	"slices"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/world"
)

const marker = "<!-- test:dashboard -->"

// The marked issue is only ever one the bot opened: anyone can open an
// issue carrying the marker (an outsider, another App such as Actions'
// github-actions[bot]), and such an issue is neither edited nor taken for
// the bot's. The bot's own is edited in place, not at all when unchanged,
// reopened when closed, and the oldest of several is the one kept.
func TestMarkedIssueIsOnlyTheBotsOwn(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	repo := w.BotRepo()
	gh := w.GitHub
	bot := gh.App().BotLogin
	gh.CreateUser("mallory")
	planted, err := gh.OpenIssue(world.Repo, "mallory", "Model promotions", marker+"\nplanted")
	if err != nil {
		t.Fatal(err)
	}
	actionsTok, err := gh.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := gh.Client(actionsTok).Issues.Create(ctx, "acme", "ml-promotions", &gogh.IssueRequest{Title: gogh.String("Model promotions"), Body: gogh.String(marker + "\nanother bot")})
	if err != nil {
		t.Fatal(err)
	}
	body := func(n int) (string, string) {
		for _, is := range gh.Issues(world.Repo) {
			if is.Number == n {
				return is.Body, is.State
			}
		}
		return "", ""
	}

	first, err := repo.UpsertMarkedIssue(ctx, bot, marker, "Model promotions", marker+"\none")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Number == planted || first.Number == other.GetNumber() {
		t.Fatalf("first upsert %+v (planted #%d, another bot's #%d)", first, planted, other.GetNumber())
	}
	gh.ResetCalls()
	again, err := repo.UpsertMarkedIssue(ctx, bot, marker, "Model promotions", marker+"\none")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Unchanged || again.Number != first.Number || gh.Calls("issues/update") != 0 || gh.Calls("issues/create") != 0 {
		t.Errorf("unchanged upsert %+v, %d updates, %d creates", again, gh.Calls("issues/update"), gh.Calls("issues/create"))
	}

	// A second marked issue of the bot's (a race of two replicas, say): the
	// oldest is edited, the other reported.
	botClient := gh.Client(w.BotToken)
	dup, _, err := botClient.Issues.Create(ctx, "acme", "ml-promotions", &gogh.IssueRequest{Title: gogh.String("Model promotions"), Body: gogh.String(marker + "\ndup")})
	if err != nil {
		t.Fatal(err)
	}
	two, err := repo.UpsertMarkedIssue(ctx, bot, marker, "Model promotions", marker+"\ntwo")
	if err != nil {
		t.Fatal(err)
	}
	if two.Number != first.Number || !slices.Equal(two.Duplicates, []int{dup.GetNumber()}) {
		t.Errorf("with a duplicate: %+v, want #%d edited and #%d reported", two, first.Number, dup.GetNumber())
	}
	if b, _ := body(first.Number); b != marker+"\ntwo" {
		t.Errorf("the dashboard reads %q", b)
	}

	// Closed by a person: reopened and brought up to date.
	for _, n := range []int{first.Number, dup.GetNumber()} {
		if _, _, err := botClient.Issues.Edit(ctx, "acme", "ml-promotions", n, &gogh.IssueRequest{State: gogh.String("closed")}); err != nil {
			t.Fatal(err)
		}
	}
	three, err := repo.UpsertMarkedIssue(ctx, bot, marker, "Model promotions", marker+"\nthree")
	if err != nil {
		t.Fatal(err)
	}
	if b, st := body(first.Number); !three.Reopened || three.Number != first.Number || b != marker+"\nthree" || st != "open" {
		t.Errorf("after closing: %+v, #%d reads %q (%s)", three, first.Number, b, st)
	}

	if b, _ := body(planted); b != marker+"\nplanted" {
		t.Errorf("the planted issue was edited: %q", b)
	}
	if b, _ := body(other.GetNumber()); b != marker+"\nanother bot" {
		t.Errorf("another bot's issue was edited: %q", b)
	}
}
