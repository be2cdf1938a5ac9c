package github_test

import (
	"errors"
	"strings"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

func TestProposeAdapterAgainstTheEmulator(t *testing.T) {
	w, err := worldtest.New(t, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, repo := t.Context(), w.BotRepo()
	const path, branch = "promotions/fraud-detector.yaml", "modelpromote/fraud-detector/staging-v13"

	base, err := repo.DefaultBranch(ctx)
	if err != nil || base != "main" {
		t.Fatalf("default branch %q, %v", base, err)
	}
	tip, err := repo.BranchSHA(ctx, base)
	if err != nil || tip == "" {
		t.Fatalf("tip %q, %v", tip, err)
	}
	if sha, err := repo.BranchSHA(ctx, branch); sha != "" || err != nil {
		t.Fatalf("a missing branch: %q, %v", sha, err)
	}
	if err := repo.CreateBranch(ctx, branch, tip); err != nil {
		t.Fatal(err)
	}
	if err := repo.CreateBranch(ctx, branch, tip); !errors.Is(err, github.ErrBranchExists) {
		t.Fatalf("creating it again: %v", err)
	}

	f, err := repo.File(ctx, path, branch)
	if err != nil || !strings.Contains(string(f.Content), "model: fraud-detector") || f.SHA == "" {
		t.Fatalf("file %+v, %v", f, err)
	}
	edited := strings.Replace(string(f.Content), "version: 12", "version: 13", 1)
	if _, err := repo.CommitFile(ctx, branch, path, f.SHA, []byte(edited), "promote"); err != nil {
		t.Fatal(err)
	}
	// The blob SHA read before that commit is stale now: 409, not an overwrite.
	_, err = repo.CommitFile(ctx, branch, path, f.SHA, []byte("overwritten\n"), "stale")
	if !errors.Is(err, github.ErrConflict) {
		t.Fatalf("a stale blob SHA: %v", err)
	}
	if got, _ := w.GitHub.File(world.Repo, branch, path); got != edited {
		t.Errorf("the file was overwritten:\n%s", got)
	}

	pr, err := repo.CreatePullRequest(ctx, base, branch, "Promote", "body")
	if err != nil || pr.Number == 0 || pr.State != "open" {
		t.Fatalf("%+v, %v", pr, err)
	}
	open, err := repo.PullRequestsByHead(ctx, branch, "open")
	if err != nil || len(open) != 1 || open[0].Number != pr.Number {
		t.Fatalf("by head: %+v, %v", open, err)
	}
	if other, _ := repo.PullRequestsByHead(ctx, "elsewhere", "all"); len(other) != 0 {
		t.Errorf("another head: %+v", other)
	}
	if _, err := repo.EditPullRequest(ctx, pr.Number, "Promote again", "new body"); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.GitHub.PullRequest(world.Repo, pr.Number); got.Title != "Promote again" || got.Body != "new body" {
		t.Errorf("edited %+v", got)
	}

	// Resetting moves the branch back even though it is not a fast forward.
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "more", Files: map[string]string{"x": "y"}}); err != nil {
		t.Fatal(err)
	}
	if err := repo.ResetBranch(ctx, branch, tip); err != nil {
		t.Fatal(err)
	}
	if sha, _ := repo.BranchSHA(ctx, branch); sha != tip {
		t.Errorf("branch at %s, want %s", sha, tip)
	}
}
