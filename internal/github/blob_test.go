package github_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Trees read at once (a check reads the base, merge-base and head trees
// together) share their blobs' downloads: each blob SHA is fetched once.
func TestTreesReadAtOnceFetchEachBlobOnce(t *testing.T) {
	w := newWorld(t)
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("promotions/m-%02d.yaml", i)] = fmt.Sprintf("version: 1\nmodel: m-%02d\nmodelPackageGroup: m-%02d\nstages: {}\n", i, i)
	}
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "models", Author: world.Pat, Files: files}); err != nil {
		t.Fatal(err)
	}
	base, _ := w.GitHub.Branch(world.Repo, "main")
	if err := w.GitHub.CreateBranch(world.Repo, "next", "main"); err != nil {
		t.Fatal(err)
	}
	head, err := w.GitHub.Push(world.Repo, "next", ghemu.Change{Message: "one more", Author: world.Pat,
		Files: map[string]string{"promotions/m-99.yaml": "version: 1\nmodel: m-99\nmodelPackageGroup: m-99\nstages: {}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	repo := w.BotRepo()
	w.GitHub.SetLatency("", 20*time.Millisecond) // keep the downloads in flight together
	w.GitHub.ResetCalls()
	var wg sync.WaitGroup
	for _, sha := range []string{base, head, base} {
		wg.Go(func() {
			if _, err := repo.Tree(t.Context(), sha, "promotions"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	blobs := w.GitHub.CallCounts()["git/get-blob"]
	manifests := len(files) + 1 + 3 // the 30 above, m-99, and the example's own three
	t.Logf("%d blob downloads", blobs)
	if blobs > manifests+1 { // +1: the configuration
		t.Errorf("%d blob downloads for %d distinct manifests", blobs, manifests+1)
	}
}

// manyModels pushes n more manifests to main and returns the new tip.
func manyModels(t *testing.T, w *world.World, n int) string {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("promotions/other-%04d.yaml", i)] = fmt.Sprintf("version: 1\nmodel: other-%04d\nmodelPackageGroup: other-%04d\nstages: {}\n", i, i)
	}
	sha, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "other models", Author: world.Pat, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

// A repository of many models is read from one tarball of the commit, each
// file checked against the tree's blob SHA, not a blob call per manifest.
// A second tree sharing those blobs downloads only what differs.
func TestTreeOfManyManifestsReadsOneArchive(t *testing.T) {
	w := newWorld(t)
	base := manyModels(t, w, 300)
	if err := w.GitHub.CreateBranch(world.Repo, "next", "main"); err != nil {
		t.Fatal(err)
	}
	head, err := w.GitHub.Push(world.Repo, "next", ghemu.Change{Message: "one more", Author: world.Pat,
		Files: map[string]string{"promotions/m-99.yaml": "version: 1\nmodel: m-99\nmodelPackageGroup: m-99\nstages: {}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	repo := w.BotRepo()
	w.GitHub.ResetCalls()
	got, err := repo.Tree(t.Context(), head, "promotions")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Tree(t.Context(), base, "promotions"); err != nil {
		t.Fatal(err)
	}
	calls := w.GitHub.CallCounts()
	if calls["repos/download-tarball-archive"] != 1 || calls["git/get-blob"] > 2 {
		t.Errorf("%d archives and %d blob calls for 304 manifests over two trees, want 1 archive and at most the config's blob", calls["repos/download-tarball-archive"], calls["git/get-blob"])
	}
	if len(got) < 304 {
		t.Fatalf("%d manifests read", len(got))
	}
	for p, data := range got {
		want, ok := w.GitHub.File(world.Repo, head, p)
		if !ok || string(data) != want {
			t.Fatalf("%s read as %q, the commit holds %q", p, data, want)
		}
	}
}

// When the archive cannot be had, the blob API still answers, by SHA.
func TestTreeFallsBackToBlobsWhenTheArchiveFails(t *testing.T) {
	w := newWorld(t)
	head := manyModels(t, w, 40)
	w.GitHub.InjectFault("repos/download-tarball-archive", ghemu.Fault{Status: 404, Times: 5})
	w.GitHub.ResetCalls()
	got, err := w.BotRepo().Tree(t.Context(), head, "promotions")
	if err != nil {
		t.Fatal(err)
	}
	if n := w.GitHub.Calls("git/get-blob"); n < 40 {
		t.Errorf("%d blob calls after the archive failed, want the 40+ manifests each", n)
	}
	for p, data := range got {
		if want, _ := w.GitHub.File(world.Repo, head, p); string(data) != want {
			t.Fatalf("%s read as %q, the commit holds %q", p, data, want)
		}
	}
}
