package attack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Evidence records that can be trusted (docs/SECURITY.md, "Planted evidence
// records"): someone who can write objects in a target account's artifact
// bucket, but not encrypt under the environment's KMS key (the key policy
// keeps that to the deploy role), plants evidence records.

// plant puts rec into stage's bucket at the key apply would write, as a
// target-account writer can: with s3:PutObject, under the bucket's default
// SSE-S3 encryption, not the environment's key. It returns the URI.
func plant(t *testing.T, w *world.World, stage string, rec *plan.Record) string {
	t.Helper()
	env, _ := w.Config.Environment(stage)
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	key := plan.EvidenceKey(rec.Source.Group, rec.ToVersion, rec.PullRequest.MergeSHA)
	if err := w.AWS.S3().PutObject(env.ArtifactBucket, key, data); err != nil {
		t.Fatal(err)
	}
	return "s3://" + env.ArtifactBucket + "/" + key
}

// A prod writer plants a record saying prod ran version 13 before. A
// promotion of prod to 13 would then be a rollback: stage order (13 is
// not live in staging), soak and regression bounds skipped, one approval
// instead of two. The record is not under prod's key: it does not count,
// every gate applies, and the pull request is told which object was not
// trusted.
func TestAttackPlantedEvidenceRecordMakesNoRollback(t *testing.T) {
	w := newWorld(t)
	env, _ := w.Config.Environment("prod")
	merge := strings.Repeat("d", 40)
	planted := plant(t, w, "prod", &plan.Record{SchemaVersion: plan.RecordSchemaVersion, Model: "fraud-detector", Stage: "prod", FromVersion: 10, ToVersion: 13,
		PullRequest: plan.RecordPR{Repo: world.Repo, Number: 3, MergeSHA: merge},
		Source:      plan.RecordPackage{Account: world.DevAccount, Region: world.Region, Group: "fraud-detector", Version: 13, PackageARN: world.PackageARN("fraud-detector", 13)},
		Target:      plan.RecordPackage{Account: env.Account, Region: env.Region, Group: "fraud-detector"},
		Endpoint:    plan.RecordEndpoint{Name: "fraud-detector", Account: env.Account, Region: env.Region, Status: "InService"},
		StartedAt:   w.Now().Add(-30 * 24 * time.Hour), FinishedAt: w.Now().Add(-30 * 24 * time.Hour), Outcome: apply.StateSuccess})

	prodTo13 := edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n"}
	n := openPR(t, w, "promote-13-prod-as-rollback", prodTo13, ghemu.Change{})
	approve(t, w, n, world.Gina) // prod's rollbackApprovals; a promotion needs 2
	res := runCheck(t, w, n)
	if rb := res.Plan.Promotions[0].Details.Rollback; rb != nil {
		t.Errorf("judged a rollback to %+v", rb.To)
	}
	stopped(t, w, n, res, prodKey, plan.GatePolicy, "version 13 is not live in staging")
	if want := "evidence record " + planted + " is not trusted: it is not encrypted with prod's KMS key"; !saidOnPR(w, n, want) {
		t.Errorf("the pull request is not told %q; findings:\n%s", want, findings(res.Plan))
	}
	mergeAnyway(t, w, n, "version 13 is not live in staging")
}

// Staging ran 13 (applied, with its record). A dev-bucket writer then
// swaps 13's model data, and a staging writer plants a newer record of 13
// listing the swapped bytes' digest and ETag, so that prod's chain of
// custody would find them "ran in staging". The planted record is not
// under staging's key: the custody gate shuts, naming it.
func TestAttackPlantedEvidenceRecordCannotChooseTheCustodyDigests(t *testing.T) {
	w := newWorld(t)
	n, _ := passedStagingTo13(t, w, "promote-13-staging")
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	res, err := apply.Run(t.Context(), applyEnv(w), n)
	if err != nil || res.Failed() {
		t.Fatalf("staging apply: %v %v %+v", err, res.Refused, res.Outcomes)
	}
	honest := *res.Outcomes[0].Record

	uri, data := modelData(t, w, 13)
	swapped := bytes.Clone(data)
	swapped[len(swapped)/2] ^= 0xff
	if err := w.AWS.S3().PutObject(uri.Bucket, uri.Key, swapped); err != nil {
		t.Fatal(err)
	}
	now, _ := w.AWS.S3().Object(uri.Bucket, uri.Key)
	forged := honest
	forged.PullRequest.MergeSHA = strings.Repeat("e", 40)
	forged.FinishedAt = honest.FinishedAt.Add(time.Minute)
	forged.Artifacts = nil
	for _, a := range honest.Artifacts {
		if a.Source == uri.String() {
			a.SourceETag, a.SHA256, a.Size = now.ETag, sha256Hex(swapped), int64(len(swapped))
		}
		forged.Artifacts = append(forged.Artifacts, a)
	}
	planted := plant(t, w, "staging", &forged)

	prodTo13 := edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n"}
	m := openPR(t, w, "promote-13-prod", prodTo13, ghemu.Change{})
	approve(t, w, m, world.Gina, world.Gus)
	check := runCheck(t, w, m)
	reason := fmt.Sprintf("staging's bucket holds evidence records of version 13 that apply did not write: %s is not trusted", planted)
	stopped(t, w, m, check, prodKey, plan.GatePolicy, reason)
	mergeAnyway(t, w, m, "that apply did not write")
}

// Staging runs 13, but no evidence record of it is there: deployed out of
// band, or the record deleted by someone who can delete in staging's
// bucket. Prod's chain of custody cannot be checked, and the gate used
// only to warn "the chain of custody is not checked": the bytes reaching
// prod need not be what ran in staging. Now it shuts.
func TestAttackNoEvidenceRecordInTheAfterStageShutsCustody(t *testing.T) {
	w := newWorld(t)
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	rec, err := artifacts.ParseURI(w.DeployedRecord("staging", "fraud-detector", 13, "fraud-detector-staging"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artifacts.Client(w.AdminAWS(world.StagingAccount), true).DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: &rec.Bucket, Key: &rec.Key}); err != nil {
		t.Fatal(err)
	}
	prodTo13 := edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n"}
	n := openPR(t, w, "promote-13-prod", prodTo13, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	res := runCheck(t, w, n)
	reason := "staging has no evidence record of a successful deployment of version 13 on fraud-detector-staging: the bytes to deploy cannot be shown to have run in staging"
	stopped(t, w, n, res, prodKey, plan.GatePolicy, reason)
	mergeAnyway(t, w, n, reason)
}
