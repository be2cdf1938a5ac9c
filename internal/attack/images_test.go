package attack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestAttackImageRetaggedAfterApprovalIsRefused: version 14 of
// fraud-detector names its inference image by tag. After the pull request
// promoting it was checked and approved, someone who can push to the dev
// registry pushes other bytes under the same tag (ECR's tags are mutable by
// default). The check bound the tag to its digest in the check run and
// showed the digest on the pull request; apply resolves the tag again,
// finds another digest, refuses, says so on the pull request, and no
// account changes.
func TestAttackImageRetaggedAfterApprovalIsRefused(t *testing.T) {
	w := newWorld(t)
	repo := "fraud-detector-inference"
	reviewed, planted := imageDigest("reviewed"), imageDigest("planted")
	if err := w.ECR.PutImage(world.DevAccount, world.Region, repo, reviewed, "v14"); err != nil {
		t.Fatal(err)
	}
	image := world.DevAccount + ".dkr.ecr." + world.Region + ".amazonaws.com/" + repo + ":v14"
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", Image: image})
	if err != nil || v != 14 {
		t.Fatalf("seeded version %d: %v", v, err)
	}
	n := openPR(t, w, "promote-14-retag", edit{"promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: 14\n"}, ghemu.Change{})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("check verdict %s:\n%s", res.Verdict, findings(res.Plan))
	}
	if !saidOnPR(w, n, reviewed) {
		t.Error("the pull request's comment does not show the digest the image's tag resolved to")
	}

	if err := w.ECR.PutImage(world.DevAccount, world.Region, repo, planted, "v14"); err != nil {
		t.Fatal(err)
	}
	reason := "image " + image + " is now " + planted + ", but the pull request's check saw " + reviewed
	mergeAnyway(t, w, n, reason)
	if !saidOnPR(w, n, "its tag moved after the review") {
		t.Error("the pull request was not told the image's tag moved")
	}
}

func imageDigest(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return "sha256:" + hex.EncodeToString(sum[:])
}
