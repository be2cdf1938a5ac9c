package attack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
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

// TestAttackSwappedModelDataAfterApprovalIsRefused: someone with write
// access to the dev bucket overwrites version 13's model.tar.gz, with
// bytes of the same size, after the pull request was checked and
// approved. The check bound the model data (ETag, size, SHA-256) and said
// its digest on the pull request; apply compares the object with that
// binding before anything, refuses, says so on the pull request, and no
// account changes.
func TestAttackSwappedModelDataAfterApprovalIsRefused(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13-swap", stagingTo13, ghemu.Change{})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("check verdict %s:\n%s", res.Verdict, findings(res.Plan))
	}
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
	n := openPR(t, w, "promote-13-planted", stagingTo13, ghemu.Change{})
	approve(t, w, n, world.Bob)
	if res := runCheck(t, w, n); res.Verdict != plan.StatusPass {
		t.Fatalf("check verdict %s:\n%s", res.Verdict, findings(res.Plan))
	}
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
