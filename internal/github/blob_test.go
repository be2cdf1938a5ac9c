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
