package ghemu_test

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// promotionChange edits, adds, removes and renames files in one commit.
var promotionChange = ghemu.Change{
	Message: "Promote churn to prod",
	Author:  "alice",
	Files: map[string]string{
		"promotions/churn.yaml": "model: churn\nstage: prod\nversion: 3\n",
		"promotions/new.yaml":   "model: new\n",
	},
	Delete: []string{"promotions/retired.yaml"},
	Rename: map[string]string{"docs/old-name.md": "docs/new-name.md"},
}

func TestPullRequestFilesListEveryKindOfChange(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote-churn", promotionChange)

	files, _, err := f.bot.PullRequests.ListFiles(ctx, "acme", "models", n, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*github.CommitFile{}
	for _, cf := range files {
		got[cf.GetFilename()] = cf
	}
	tests := []struct {
		file, status, previous string
		patchHas               string
	}{
		{"promotions/churn.yaml", "modified", "", "-stage: staging\n+stage: prod"},
		{"promotions/new.yaml", "added", "", "+model: new"},
		{"promotions/retired.yaml", "removed", "", "-model: retired"},
		{"docs/new-name.md", "renamed", "docs/old-name.md", ""},
	}
	for _, tt := range tests {
		cf := got[tt.file]
		if cf == nil {
			t.Errorf("%s missing from %d files", tt.file, len(files))
			continue
		}
		if cf.GetStatus() != tt.status || cf.GetPreviousFilename() != tt.previous {
			t.Errorf("%s: status %s previous %q, want %s %q", tt.file, cf.GetStatus(), cf.GetPreviousFilename(), tt.status, tt.previous)
		}
		if !strings.Contains(cf.GetPatch(), tt.patchHas) {
			t.Errorf("%s: patch %q lacks %q", tt.file, cf.GetPatch(), tt.patchHas)
		}
	}
	if len(files) != len(tests) {
		t.Errorf("got %d files, want %d", len(files), len(tests))
	}

	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetHead().GetSHA() != head || pr.GetBase().GetSHA() != f.mainSHA || pr.GetUser().GetLogin() != "alice" || pr.GetChangedFiles() != 4 {
		t.Errorf("pr head %s base %s user %s files %d", pr.GetHead().GetSHA(), pr.GetBase().GetSHA(), pr.GetUser().GetLogin(), pr.GetChangedFiles())
	}
	commits, _, err := f.bot.PullRequests.ListCommits(ctx, "acme", "models", n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 1 || commits[0].GetSHA() != head || commits[0].GetCommit().GetMessage() != "Promote churn to prod" {
		t.Errorf("commits = %v", commits)
	}
}

func TestCommitCompareAndGitObjects(t *testing.T) {
	f := newFixture(t)
	_, head := f.openPR(t, "promote-churn", promotionChange)

	c, _, err := f.bot.Repositories.GetCommit(ctx, "acme", "models", head, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Parents) != 1 || c.Parents[0].GetSHA() != f.mainSHA || len(c.Files) != 4 || c.GetAuthor().GetLogin() != "alice" {
		t.Errorf("commit parents %v files %d author %s", c.Parents, len(c.Files), c.GetAuthor().GetLogin())
	}
	cmp, _, err := f.bot.Repositories.CompareCommits(ctx, "acme", "models", "main", "promote-churn", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetStatus() != "ahead" || cmp.GetAheadBy() != 1 || len(cmp.Files) != 4 || cmp.GetMergeBaseCommit().GetSHA() != f.mainSHA {
		t.Errorf("compare status %s ahead %d files %d", cmp.GetStatus(), cmp.GetAheadBy(), len(cmp.Files))
	}

	ref, _, err := f.bot.Git.GetRef(ctx, "acme", "models", "heads/promote-churn")
	if err != nil || ref.GetObject().GetSHA() != head {
		t.Fatalf("GetRef = %v, %v", ref, err)
	}
	tree, _, err := f.bot.Git.GetTree(ctx, "acme", "models", head, true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var blob string
	for _, en := range tree.Entries {
		paths = append(paths, en.GetPath())
		if en.GetPath() == "promotions/new.yaml" {
			blob = en.GetSHA()
		}
	}
	if !sort.StringsAreSorted(paths) || blob != ghemu.BlobSHA([]byte("model: new\n")) || !contains(paths, "policy/nested/deep") {
		t.Errorf("tree paths %v blob %s", paths, blob)
	}
	b, _, err := f.bot.Git.GetBlob(ctx, "acme", "models", blob)
	if err != nil {
		t.Fatal(err)
	}
	if b.GetEncoding() != "base64" || b.GetSize() != len("model: new\n") {
		t.Errorf("blob %v", b)
	}

	// Create a branch by ref, then fast-forward and force it.
	if _, _, err := f.bot.Git.CreateRef(ctx, "acme", "models", &github.Reference{Ref: github.String("refs/heads/release"), Object: &github.GitObject{SHA: github.String(f.mainSHA)}}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.bot.Git.CreateRef(ctx, "acme", "models", &github.Reference{Ref: github.String("refs/heads/release"), Object: &github.GitObject{SHA: github.String(f.mainSHA)}})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("duplicate ref: %v", err)
	}
	if _, _, err := f.bot.Git.UpdateRef(ctx, "acme", "models", &github.Reference{Ref: github.String("refs/heads/release"), Object: &github.GitObject{SHA: github.String(head)}}, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.bot.Git.UpdateRef(ctx, "acme", "models", &github.Reference{Ref: github.String("refs/heads/release"), Object: &github.GitObject{SHA: github.String(f.mainSHA)}}, false)
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("non-fast-forward without force: %v", err)
	}
	if sha, _ := f.e.Branch(repoName, "release"); sha != head {
		t.Errorf("release at %s, want %s", sha, head)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPutContentsRejectsStaleBlobSHA(t *testing.T) {
	f := newFixture(t)
	path := "promotions/churn.yaml"
	fc, _, _, err := f.bot.Repositories.GetContents(ctx, "acme", "models", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sha  *string
		want int
	}{
		{"current sha updates", fc.SHA, http.StatusOK},
		{"stale sha conflicts", fc.SHA, http.StatusConflict}, // the same SHA is stale after the first update
		{"missing sha is refused", nil, http.StatusUnprocessableEntity},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, resp, err := f.bot.Repositories.UpdateFile(ctx, "acme", "models", path, &github.RepositoryContentFileOptions{
				Message: github.String("bump"), Content: []byte("model: churn\nversion: " + string(rune('4'+i)) + "\n"), SHA: tt.sha,
			})
			got := statusOf(t, err)
			if err == nil {
				got = resp.StatusCode
			}
			if got != tt.want {
				t.Fatalf("status %d, want %d (%v)", got, tt.want, err)
			}
			if err == nil && res.GetContent().GetSHA() == fc.GetSHA() {
				t.Errorf("blob sha unchanged")
			}
		})
	}
	created, resp, err := f.bot.Repositories.CreateFile(ctx, "acme", "models", "promotions/brand-new.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("add"), Content: []byte("model: x\n"), Branch: github.String("main"),
	})
	if err != nil || resp.StatusCode != http.StatusCreated || created.GetSHA() == "" {
		t.Fatalf("create file: %v %v", resp, err)
	}
	if got, _ := f.e.File(repoName, "main", "promotions/brand-new.yaml"); got != "model: x\n" {
		t.Errorf("file = %q", got)
	}
}

func TestForkPullRequest(t *testing.T) {
	f := newFixture(t)
	f.e.CreateUser("mallory")
	fork, err := f.e.Fork(repoName, "mallory")
	if err != nil {
		t.Fatal(err)
	}
	head, err := f.e.Push(fork, "evil", ghemu.Change{Author: "mallory", Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\n"}})
	if err != nil {
		t.Fatal(err)
	}
	mallory := f.e.Client(f.e.CreateUser("mallory"))
	pr, _, err := mallory.PullRequests.Create(ctx, "acme", "models", &github.NewPullRequest{Title: github.String("from fork"), Head: github.String("mallory:evil"), Base: github.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if !pr.GetHead().GetRepo().GetFork() || pr.GetHead().GetRepo().GetFullName() != "mallory/models" || pr.GetBase().GetRepo().GetFullName() != repoName || pr.GetHead().GetSHA() != head {
		t.Errorf("head repo %s fork %v base %s", pr.GetHead().GetRepo().GetFullName(), pr.GetHead().GetRepo().GetFork(), pr.GetBase().GetRepo().GetFullName())
	}
	list, _, err := f.bot.PullRequests.List(ctx, "acme", "models", &github.PullRequestListOptions{Head: "mallory:evil"})
	if err != nil || len(list) != 1 || list[0].GetNumber() != pr.GetNumber() {
		t.Errorf("list by head = %v, %v", list, err)
	}
}

func TestPullRequestListFiltersAndUpdate(t *testing.T) {
	f := newFixture(t)
	a, _ := f.openPR(t, "a", ghemu.Change{Files: map[string]string{"a": "1"}})
	b, _ := f.openPR(t, "b", ghemu.Change{Files: map[string]string{"b": "1"}})
	if _, _, err := f.alice.PullRequests.Edit(ctx, "acme", "models", a, &github.PullRequest{State: github.String("closed"), Title: github.String("renamed")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		opts *github.PullRequestListOptions
		want []int
	}{
		{&github.PullRequestListOptions{}, []int{b}},
		{&github.PullRequestListOptions{State: "closed"}, []int{a}},
		{&github.PullRequestListOptions{State: "all"}, []int{b, a}},
		{&github.PullRequestListOptions{State: "all", Base: "other"}, nil},
		{&github.PullRequestListOptions{State: "all", Head: "acme:a"}, []int{a}},
	}
	for _, tt := range tests {
		list, _, err := f.bot.PullRequests.List(ctx, "acme", "models", tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, p := range list {
			got = append(got, p.GetNumber())
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%+v: got %v, want %v", tt.opts, got, tt.want)
		}
	}
	if pr, _ := f.e.PullRequest(repoName, a); pr.Title != "renamed" || pr.State != "closed" {
		t.Errorf("pr = %+v", pr)
	}
	_, _, err := f.alice.PullRequests.Create(ctx, "acme", "models", &github.NewPullRequest{Title: github.String("dup"), Head: github.String("b"), Base: github.String("main")})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("duplicate PR: %v", err)
	}
	_, _, err = f.alice.PullRequests.Get(ctx, "acme", "models", 999)
	if statusOf(t, err) != http.StatusNotFound {
		t.Errorf("missing PR: %v", err)
	}
}

func TestMergeMakesTwoParentCommitAndFindsPullFromCommit(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote-churn", promotionChange)

	_, _, err := f.bob.PullRequests.Merge(ctx, "acme", "models", n, "", &github.PullRequestOptions{SHA: f.mainSHA})
	if statusOf(t, err) != http.StatusConflict {
		t.Errorf("merge with stale head sha: %v", err)
	}
	res, _, err := f.bob.PullRequests.Merge(ctx, "acme", "models", n, "", &github.PullRequestOptions{SHA: head})
	if err != nil {
		t.Fatal(err)
	}
	if !res.GetMerged() {
		t.Fatal("not merged")
	}
	mc, _, err := f.bot.Repositories.GetCommit(ctx, "acme", "models", res.GetSHA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mc.GetAuthor().GetLogin() != "bob" || mc.GetCommitter().GetLogin() != "web-flow" {
		t.Errorf("merge commit by %s, committed by %s", mc.GetAuthor().GetLogin(), mc.GetCommitter().GetLogin())
	}
	parents, _, _ := f.e.Commit(res.GetSHA())
	if len(parents) != 2 || parents[0] != f.mainSHA || parents[1] != head {
		t.Errorf("merge parents = %v", parents)
	}
	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n)
	if err != nil {
		t.Fatal(err)
	}
	if !pr.GetMerged() || pr.GetMergeCommitSHA() != res.GetSHA() || pr.GetState() != "closed" || pr.GetMergedBy().GetLogin() != "bob" {
		t.Errorf("merged %v sha %s state %s by %s", pr.GetMerged(), pr.GetMergeCommitSHA(), pr.GetState(), pr.GetMergedBy().GetLogin())
	}
	if got, _ := f.e.File(repoName, "main", "docs/new-name.md"); got != "rename me\n" {
		t.Errorf("merged tree lacks the rename: %q", got)
	}
	pulls, _, err := f.bot.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "models", res.GetSHA(), nil)
	if err != nil || len(pulls) != 1 || pulls[0].GetNumber() != n {
		t.Errorf("pulls for merge commit = %v, %v", pulls, err)
	}
	_, _, err = f.bob.PullRequests.Merge(ctx, "acme", "models", n, "", nil)
	if statusOf(t, err) != http.StatusMethodNotAllowed {
		t.Errorf("second merge: %v", err)
	}
}

func TestRawContentAndDownloads(t *testing.T) {
	f := newFixture(t)
	want := "model: churn\nstage: staging\nversion: 3\n"
	blob := ghemu.BlobSHA([]byte(want))
	got, _, err := f.bot.Git.GetBlobRaw(ctx, "acme", "models", blob)
	if err != nil || string(got) != want {
		t.Errorf("GetBlobRaw = %q, %v", got, err)
	}
	rc, _, err := f.bot.Repositories.DownloadContents(ctx, "acme", "models", "promotions/churn.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if string(b) != want {
		t.Errorf("DownloadContents = %q", b)
	}
}

func TestMergeMethodsAndConflicts(t *testing.T) {
	f := newFixture(t)
	a, _ := f.openPR(t, "a", ghemu.Change{Files: map[string]string{"promotions/churn.yaml": "a\n"}})
	b, _ := f.openPR(t, "b", ghemu.Change{Files: map[string]string{"promotions/churn.yaml": "b\n"}})
	c, _ := f.openPR(t, "c", ghemu.Change{Files: map[string]string{"promotions/other.yaml": "c\n"}})

	sha, err := f.e.Merge(repoName, a, "bob", "squash")
	if err != nil {
		t.Fatal(err)
	}
	if parents, msg, _ := f.e.Commit(sha); len(parents) != 1 || msg != "Promote a (#1)" {
		t.Errorf("squash commit parents %v message %q", parents, msg)
	}
	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", b)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetMergeable() || pr.GetMergeableState() != "dirty" {
		t.Errorf("conflicting PR mergeable %v (%s)", pr.GetMergeable(), pr.GetMergeableState())
	}
	_, _, err = f.bob.PullRequests.Merge(ctx, "acme", "models", b, "", nil)
	if statusOf(t, err) != http.StatusMethodNotAllowed {
		t.Errorf("merging a conflict: %v", err)
	}
	if _, _, err := f.bob.PullRequests.Merge(ctx, "acme", "models", c, "", &github.PullRequestOptions{MergeMethod: "merge"}); err != nil {
		t.Fatalf("merging an independent change: %v", err)
	}
	for path, want := range map[string]string{"promotions/churn.yaml": "a\n", "promotions/other.yaml": "c\n"} {
		if got, _ := f.e.File(repoName, "main", path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
}

func TestCommitByBranchNameWithSlash(t *testing.T) {
	f := newFixture(t)
	head, err := f.e.Push(repoName, "feature/churn", ghemu.Change{Files: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := f.bot.Repositories.GetCommit(ctx, "acme", "models", "feature/churn", nil)
	if err != nil || c.GetSHA() != head {
		t.Errorf("GetCommit(feature/churn) = %s, %v", c.GetSHA(), err)
	}
	runs, _, err := f.bot.Checks.ListCheckRunsForRef(ctx, "acme", "models", head, nil)
	if err != nil || runs.GetTotal() != 0 {
		t.Errorf("check runs = %v, %v", runs, err)
	}
}
