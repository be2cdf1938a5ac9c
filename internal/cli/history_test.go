package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

func (a *auditWorld) history(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out, errOut := a.run(t, append([]string{"history", "--root", a.root, "--model", "fraud-detector", "--stage", "staging"}, args...)...)
	if errOut != "" {
		t.Logf("stderr: %s", errOut)
	}
	return code, out
}

func TestHistoryTimelineAndWhatServedAt(t *testing.T) {
	a := newAuditWorld(t)
	code, out := a.history(t)
	if code != ExitOK || !strings.Contains(out, "promotion  v12→v13  success") || !strings.Contains(out, "bob (") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	code, out = a.history(t, "--output", "json", "--at", time.Now().Add(time.Second).UTC().Format(time.RFC3339))
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	validJSON(t, "history.schema.json", out)
	var v struct {
		Served struct {
			Record struct {
				ToVersion   int
				PullRequest struct {
					Number            int
					MergeSHA, HeadSHA string
				}
				Approvals []struct{ Login, CommitID string }
				Reports   []struct{ Digest, ComputedDigest string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	r := v.Served.Record
	if r.ToVersion != 13 || r.PullRequest.Number != a.merged || len(r.Approvals) != 1 || r.Approvals[0].Login != world.Bob ||
		r.Approvals[0].CommitID != r.PullRequest.HeadSHA || len(r.Reports) == 0 || !strings.HasPrefix(r.Reports[0].ComputedDigest, "sha256:") {
		t.Errorf("served at now: %+v", r)
	}

	code, out = a.history(t, "--at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	if code != ExitOK || !strings.HasPrefix(out, "No evidence record says what fraud-detector served in staging at ") {
		t.Errorf("before any record: exit %d\n%s", code, out)
	}
}

// --verify re-reads the copied objects: all verify after an apply; a
// changed object is a digest mismatch and exit 1. The prefix is reported
// write-once only under Object Lock in compliance mode.
func TestHistoryVerifyChecksDigestsAndWriteOnce(t *testing.T) {
	a := newAuditWorld(t)
	code, out := a.history(t, "--verify")
	if code != ExitOK || !strings.Contains(out, "ok") || !strings.Contains(out, ": not write-once: s3://acme-ml-artifacts-staging does not have Object Lock") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	// The platform team turns on Object Lock (compliance, a year) and
	// puts the existing record under retention.
	admin := artifacts.Client(a.w.AdminAWS(world.StagingAccount), true)
	if _, err := admin.PutObjectLockConfiguration(t.Context(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String("acme-ml-artifacts-staging"),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule: &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionModeCompliance, Years: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	code, out = a.history(t, "--verify", "--output", "json")
	var v struct {
		Entries []struct {
			URI          string
			Verification struct {
				Objects []struct{ URI, Status string }
			}
		}
		WriteOnce struct {
			WriteOnce   bool
			Unprotected int
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != ExitOK {
		t.Fatalf("exit %d, %v", code, err)
	}
	validJSON(t, "history.schema.json", out)
	// The records: world.Deploy's of 12 (as the apply that put it there
	// would have written it) and the apply's of 13.
	if len(v.Entries) != 2 || v.WriteOnce.WriteOnce || v.WriteOnce.Unprotected != 2 {
		t.Errorf("records written before the lock are not protected: %d entries, %+v", len(v.Entries), v.WriteOnce)
	}
	for _, e := range v.Entries {
		rec, _ := artifacts.ParseURI(e.URI)
		if _, err := admin.PutObjectRetention(t.Context(), &s3.PutObjectRetentionInput{Bucket: &rec.Bucket, Key: &rec.Key,
			Retention: &s3types.ObjectLockRetention{Mode: s3types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(time.Now().AddDate(1, 0, 0))}}); err != nil {
			t.Fatal(err)
		}
	}
	rec, _ := artifacts.ParseURI(v.Entries[len(v.Entries)-1].URI)
	if code, out = a.history(t, "--verify"); code != ExitOK || !strings.Contains(out, ": write-once: ") {
		t.Errorf("under compliance retention: exit %d\n%s", code, out)
	}
	if _, err := admin.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: &rec.Bucket, Key: &rec.Key}); err == nil {
		t.Error("a record under compliance retention was deleted")
	}

	// Someone swaps a copied object.
	obj, _ := artifacts.ParseURI(v.Entries[len(v.Entries)-1].Verification.Objects[0].URI)
	if err := a.w.AWS.S3().PutObject(obj.Bucket, obj.Key, []byte("swapped weights")); err != nil {
		t.Fatal(err)
	}
	code, out = a.history(t, "--verify")
	if code != ExitFail || !strings.Contains(out, "DIGEST MISMATCH: "+obj.String()) || !strings.Contains(out, "1 of ") {
		t.Errorf("after a swap: exit %d\n%s", code, out)
	}
}

// A record planted in the bucket by someone without the stage's KMS key
// (here a copy of the honest one, finished later, under another merge) is
// shown as untrusted, never as what served, and fails --verify.
func TestHistoryShowsAPlantedRecordAsUntrusted(t *testing.T) {
	a := newAuditWorld(t)
	code, out := a.history(t, "--output", "json")
	var v struct {
		Entries []struct {
			URI    string
			Record json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != ExitOK || len(v.Entries) == 0 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	honest := v.Entries[len(v.Entries)-1]
	var rec plan.Record
	if err := json.Unmarshal(honest.Record, &rec); err != nil {
		t.Fatal(err)
	}
	rec.PullRequest.MergeSHA, rec.PullRequest.Number = strings.Repeat("f", 40), 999
	rec.FinishedAt = rec.FinishedAt.Add(time.Minute)
	data, _ := json.Marshal(rec)
	key := plan.EvidenceKey(rec.Source.Group, rec.ToVersion, rec.PullRequest.MergeSHA)
	if err := a.w.AWS.S3().PutObject("acme-ml-artifacts-staging", key, data); err != nil {
		t.Fatal(err)
	}
	planted := "s3://acme-ml-artifacts-staging/" + key

	code, out = a.history(t)
	if code != ExitOK || !strings.Contains(out, "UNTRUSTED RECORD: "+planted+": it is not encrypted with staging's KMS key") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out = a.history(t, "--at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if code != ExitOK || !strings.Contains(out, "Evidence record: "+honest.URI) {
		t.Errorf("what served is the planted record's: exit %d\n%s", code, out)
	}
	_, out = a.history(t, "--output", "json")
	validJSON(t, "history.schema.json", out)
	if !strings.Contains(out, `"untrusted": "it is not encrypted with staging's KMS key`) {
		t.Errorf("json without untrusted:\n%s", out)
	}
	if code, out = a.history(t, "--verify"); code != ExitFail {
		t.Errorf("--verify with a planted record: exit %d\n%s", code, out)
	}
}
