package attack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/check"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Bytes that were never reviewed (issue 12 §2, §6): the attacker can write
// in the dev account's artifact bucket, or register packages in a target
// account's registry.

// modelData returns the dev URI of a fraud-detector version's model data
// and its bytes.
func modelData(t *testing.T, w *world.World, version int) (artifacts.URI, []byte) {
	t.Helper()
	lin := w.Models["fraud-detector"][version]
	uri, err := artifacts.ParseURI(lin.Package.InferenceSpecification.Containers[0].ModelDataUrl)
	if err != nil {
		t.Fatal(err)
	}
	data, ok := lin.Objects[uri.String()]
	if !ok {
		t.Fatalf("%s was not seeded", uri)
	}
	return uri, data
}

// passedStagingTo13 opens the pull request promoting 13 to staging,
// approved by bob, and checks it: it must pass.
func passedStagingTo13(t *testing.T, w *world.World, branch string) (int, *check.Result) {
	t.Helper()
	n := openPR(t, w, branch, stagingTo13, ghemu.Change{})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("check verdict %s:\n%s", res.Verdict, findings(res.Plan))
	}
	return n, res
}

// TestAttackSwappedModelDataAfterApprovalIsRefused: someone with write
// access to the dev bucket overwrites version 13's model.tar.gz, with
// bytes of the same size, after the pull request was checked and
// approved. The check bound the model data (ETag, size, SHA-256) and said
// its digest on the pull request; apply compares the object with that
// binding before anything, refuses, says so on the pull request, and no
// account changes.
func TestAttackSwappedModelDataAfterApprovalIsRefused(t *testing.T) {
	w := newWorld(t)
	n, res := passedStagingTo13(t, w, "promote-13-swap")
	uri, data := modelData(t, w, 13)
	pr := res.Plan.Promotions[0]
	md := pr.ModelDataBindings()
	if len(md) != 1 || md[0].URI != uri.String() || md[0].SHA256 != sha256Hex(data) {
		t.Fatalf("the check bound model data %+v, want %s with SHA-256 %s", md, uri, sha256Hex(data))
	}
	if !saidOnPR(w, n, md[0].SHA256) {
		t.Error("the pull request's comment does not show the model data's digest")
	}

	swapped := bytes.Clone(data)
	swapped[len(swapped)/2] ^= 0xff
	if err := w.AWS.S3().PutObject(uri.Bucket, uri.Key, swapped); err != nil {
		t.Fatal(err)
	}
	mergeAnyway(t, w, n, uri.String()+" changed after the pull request's check")
	if !saidOnPR(w, n, uri.String()+" changed after the pull request's check") {
		t.Error("the pull request was not told why")
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAttackPlantedTargetPackageIsNotAdopted: someone who may register
// packages in staging's registry plants one whose metadata names version
// 13's source ARN but whose model data is theirs, before the promotion is
// applied. Apply would have adopted it on its metadata and deployed the
// planted bytes; now it refuses before copying anything, names the
// package on the pull request, and no account changes.
func TestAttackPlantedTargetPackageIsNotAdopted(t *testing.T) {
	w := newWorld(t)
	n, _ := passedStagingTo13(t, w, "promote-13-planted")
	env, _ := w.Config.Environment("staging")
	src := w.Models["fraud-detector"][13].Package
	planted := "s3://" + env.ArtifactBucket + "/planted/model.tar.gz"
	if err := w.AWS.S3().PutObject(env.ArtifactBucket, "planted/model.tar.gz", []byte("the attacker's model")); err != nil {
		t.Fatal(err)
	}
	sm := sagemaker.NewFromConfig(w.AdminAWS(world.StagingAccount))
	out, err := sm.CreateModelPackage(t.Context(), &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String("fraud-detector"),
		ModelApprovalStatus:   smtypes.ModelApprovalStatusApproved,
		InferenceSpecification: &smtypes.InferenceSpecification{
			Containers:            []smtypes.ModelPackageContainerDefinition{{Image: aws.String(src.InferenceSpecification.Containers[0].Image), ModelDataUrl: aws.String(planted)}},
			SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
		},
		CustomerMetadataProperties: map[string]string{plan.ProvenanceSourceARN: src.ModelPackageArn, plan.ProvenanceSourceAccount: world.DevAccount},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ModelPackageArn)
	mergeAnyway(t, w, n, "model package "+arn)
	if !saidOnPR(w, n, "refusing to adopt it") || !saidOnPR(w, n, arn) {
		t.Error("the pull request was not told which package was refused")
	}
}

// TestAttackProdCannotReceiveBytesThatNeverRanInStaging: version 13 is
// promoted to staging and applied (its evidence record lists every object
// with its SHA-256). Then someone with write access to the dev bucket
// swaps 13's model data, same size, and 13 is proposed for prod: the
// package and its metadata are unchanged, the check binds the new bytes,
// and every other gate passes. The chain of custody stops it: prod
// deploys only the bytes staging ran.
func TestAttackProdCannotReceiveBytesThatNeverRanInStaging(t *testing.T) {
	w := newWorld(t)
	n, _ := passedStagingTo13(t, w, "promote-13-staging")
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	if res, err := apply.Run(t.Context(), applyEnv(w), n); err != nil || res.Failed() {
		t.Fatalf("staging apply: %v %v %+v", err, res.Refused, res.Outcomes)
	}

	uri, data := modelData(t, w, 13)
	swapped := bytes.Clone(data)
	swapped[len(swapped)/2] ^= 0xff
	if err := w.AWS.S3().PutObject(uri.Bucket, uri.Key, swapped); err != nil {
		t.Fatal(err)
	}
	prodTo13 := edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n"}
	m := openPR(t, w, "promote-13-prod", prodTo13, ghemu.Change{})
	approve(t, w, m, world.Gina, world.Gus)
	res := runCheck(t, w, m)
	reason := "those bytes never ran in staging"
	stopped(t, w, m, res, prodKey, plan.GatePolicy, reason)
	mergeAnyway(t, w, m, reason)
}
