package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func record(from, to int, merge, finished, outcome string, rolledBack bool) *apply.Record {
	head := "h" + merge[1:]
	number := 40 + int(merge[1]-'0')
	return &apply.Record{SchemaVersion: 1, Model: "fraud-detector", Stage: "prod", FromVersion: from, ToVersion: to,
		PullRequest: apply.RecordPR{Repo: "acme/ml-promotions", Number: number, URL: "https://github.com/acme/ml-promotions/pull/" + itoa(number),
			Author: "alice", MergedBy: "pat", HeadSHA: head, MergeSHA: merge},
		Approvals: []plan.ReviewVerdict{{Login: "gina", State: "APPROVED", CommitID: head, At: at(finished).Add(-time.Hour), Counted: true, Via: "team:ml-governance"},
			{Login: "bob", State: "APPROVED", CommitID: head, At: at(finished).Add(-time.Hour), Counted: true}},
		Source: apply.RecordPackage{Account: "111111111111", Region: "eu-west-1", Group: "fraud-detector", Version: to,
			PackageARN: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector/" + itoa(to)},
		Target: apply.RecordPackage{Account: "333333333333", Region: "eu-west-1", Group: "fraud-detector", Version: 1,
			PackageARN: "arn:aws:sagemaker:eu-west-1:333333333333:model-package/fraud-detector/1"},
		Artifacts: []apply.RecordArtifact{{Source: "s3://dev/model.tar.gz", Target: "s3://prod/fraud-detector/" + itoa(to) + "/objects/1/model.tar.gz",
			SHA256: "941f6882f38da04bba01be47097584808c3010d23d74dd5cf7f5edf6a440b21c", Size: 57, Path: "server-side"}},
		Reports: []plan.ReportCheck{{ReportRef: plan.ReportRef{Kind: "modelQuality", Part: "statistics", S3URI: "s3://dev/statistics.json",
			Digest: "sha256:7aff4dcd41af523b4b0f6c74788fa2ee7fcbba29e5b7479d97b3e74e0c08e58c"},
			ComputedDigest: "sha256:7aff4dcd41af523b4b0f6c74788fa2ee7fcbba29e5b7479d97b3e74e0c08e58c", LastModified: at("2026-10-01T00:00:00Z"), Size: 1128, Status: plan.StatusPass}},
		Endpoint: apply.RecordEndpoint{Name: "fraud-detector", Account: "333333333333", Region: "eu-west-1",
			ConfigBefore: "fraud-detector-v" + itoa(from), ConfigAfter: "fraud-detector-v" + itoa(to), RolledBack: rolledBack, Status: "InService",
			InstanceType: "ml.m5.xlarge", InstanceCount: 2, ProductionVariant: "AllTraffic"},
		StartedAt: at(finished).Add(-10 * time.Minute), FinishedAt: at(finished), Outcome: outcome,
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// fixture: v11 promoted, v12's canary rolled back (a failure), v12
// promoted, then a rollback to v11.
func fixture() *Timeline {
	t := &Timeline{Model: "fraud-detector", Stage: "prod", Bucket: "acme-ml-artifacts-prod", Prefix: "fraud-detector/"}
	for _, r := range []*apply.Record{
		record(10, 11, "m1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-10-01T12:00:00Z", "success", false),
		record(11, 12, "m2bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "2026-10-20T12:00:00Z", "failure", true),
		record(11, 12, "m3cccccccccccccccccccccccccccccccccccccc", "2026-10-25T12:00:00Z", "success", false),
		record(12, 11, "m4dddddddddddddddddddddddddddddddddddddd", "2026-11-03T12:00:00Z", "success", false),
	} {
		t.Entries = append(t.Entries, Entry{URI: "s3://acme-ml-artifacts-prod/fraud-detector/" + itoa(r.ToVersion) + "/evidence/" + r.PullRequest.MergeSHA + ".json",
			Kind: kind(r), Record: r})
	}
	return t
}

func TestWhatServedAtSkipsFailuresAndFollowsRollbacks(t *testing.T) {
	for _, tc := range []struct {
		at      string
		version int // 0: no record says
		later   int
	}{
		{"2026-09-30T00:00:00Z", 0, 4},
		{"2026-10-01T12:00:00Z", 11, 3}, // the instant it finished counts
		{"2026-10-21T00:00:00Z", 11, 2}, // v12's rollout failed: v11 still served
		{"2026-11-01T12:00:00Z", 12, 1},
		{"2026-11-04T00:00:00Z", 11, 0}, // rolled back to v11
	} {
		s := fixture().At(at(tc.at))
		got := 0
		if s.Entry != nil {
			got = s.Entry.Record.ToVersion
		}
		if got != tc.version || s.Later != tc.later {
			t.Errorf("at %s: v%d (%d later), want v%d (%d later)", tc.at, got, s.Later, tc.version, tc.later)
		}
	}
}

func TestKinds(t *testing.T) {
	var got []string
	for _, e := range fixture().Entries {
		got = append(got, e.Kind)
	}
	if want := "promotion promotion promotion rollback"; strings.Join(got, " ") != want {
		t.Errorf("kinds %v, want %s", got, want)
	}
	if kind(&apply.Record{FromVersion: 3, ToVersion: 3}) != KindReconfig || kind(&apply.Record{ToVersion: 1}) != KindPromotion {
		t.Error("reconfiguration or first deploy misclassified")
	}
}

func TestRecordURIs(t *testing.T) {
	for uri, want := range map[string]bool{
		"s3://b/fraud-detector/13/evidence/abc.json":           true,
		"s3://b/fraud-detector/13/objects/1/statistics.json":   false,
		"s3://b/fraud-detector/13/evidence/abc.json.tmp":       false,
		"s3://b/fraud-detector/13/evidence/sub/evidence/x.txt": false,
	} {
		if got := IsRecordURI(uri); got != want {
			t.Errorf("IsRecordURI(%q) = %v", uri, got)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func verifiedFixture() *Timeline {
	t := fixture()
	for i := range t.Entries {
		v := &Verification{OK: true, Objects: []ObjectCheck{{URI: t.Entries[i].Record.Artifacts[0].Target, Recorded: t.Entries[i].Record.Artifacts[0].SHA256,
			Actual: t.Entries[i].Record.Artifacts[0].SHA256, Size: 57, Status: CheckOK}},
			Retention: &Retention{Mode: "COMPLIANCE", RetainUntil: t.Entries[i].Record.FinishedAt.AddDate(7, 0, 0)}}
		t.Entries[i].Verification = v
	}
	bad := &t.Entries[2].Verification.Objects[0]
	bad.Actual, bad.Status = "0000000000000000000000000000000000000000000000000000000000000000", CheckMismatch
	t.Entries[2].Verification.OK = false
	t.WriteOnce = &WriteOnce{WriteOnce: true, BucketLock: true, DefaultMode: "COMPLIANCE", DefaultYears: 7,
		Detail: "s3://acme-ml-artifacts-prod has Object Lock with a COMPLIANCE default retention, and all 4 records are under COMPLIANCE retention"}
	return t
}

func TestRenderingsMatchGoldenFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"timeline.txt", func(b *bytes.Buffer) error { return fixture().WriteText(b) }},
		{"timeline-verified.txt", func(b *bytes.Buffer) error { return verifiedFixture().WriteText(b) }},
		{"served.txt", func(b *bytes.Buffer) error {
			tl := fixture()
			return tl.WriteServed(b, tl.At(at("2026-11-01T12:00:00Z")))
		}},
		{"served-none.txt", func(b *bytes.Buffer) error {
			tl := fixture()
			return tl.WriteServed(b, tl.At(at("2026-09-01T12:00:00Z")))
		}},
		{"timeline.json", func(b *bytes.Buffer) error {
			enc := json.NewEncoder(b)
			enc.SetIndent("", "  ")
			return enc.Encode(verifiedFixture())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".golden", b.Bytes())
		})
	}
}

func TestJSONMatchesSchema(t *testing.T) {
	schema, err := jsonschema.Compile("../../docs/schema/history.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(verifiedFixture())
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("%#v", err)
	}
}

// lockStore answers Verify: every object matches its record; the lock
// reads answer lock or fail with err.
type lockStore struct {
	lock plan.ObjectLock
	err  error
}

func (lockStore) List(context.Context, manifest.Environment, string) ([]plan.ObjectInfo, error) {
	return nil, nil
}
func (lockStore) Record(context.Context, manifest.Environment, string) (plan.StoredRecord, error) {
	return plan.StoredRecord{}, nil
}
func (lockStore) SHA256(context.Context, manifest.Environment, string) (string, int64, error) {
	return "941f6882f38da04bba01be47097584808c3010d23d74dd5cf7f5edf6a440b21c", 57, nil
}
func (s lockStore) Lock(context.Context, manifest.Environment, string) (plan.ObjectLock, error) {
	return s.lock, s.err
}

// What verify says of the bucket's write-once state names the reason it
// has: when no retention could be read at all it says so, rather than that
// the bucket has no Object Lock.
func TestVerifyNamesWhyTheRecordsAreNotWriteOnce(t *testing.T) {
	locked := plan.ObjectLock{BucketEnabled: true, DefaultMode: "COMPLIANCE", DefaultYears: 7, Mode: "COMPLIANCE", RetainUntil: at("2033-01-01T00:00:00Z")}
	for _, tc := range []struct {
		name      string
		store     lockStore
		writeOnce bool
		detail    string
	}{
		{"locked", lockStore{lock: locked}, true, "has Object Lock with a COMPLIANCE default retention"},
		{"no lock", lockStore{}, false, "does not have Object Lock"},
		{"governance default", lockStore{lock: plan.ObjectLock{BucketEnabled: true, DefaultMode: "GOVERNANCE", Mode: "GOVERNANCE", RetainUntil: at("2033-01-01T00:00:00Z")}},
			false, `no COMPLIANCE default retention ("GOVERNANCE")`},
		{"every read fails", lockStore{err: errors.New("AccessDenied: s3:GetObjectRetention")}, false,
			"could not be read, so write-once is not confirmed: AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := fixture()
			Verify(t.Context(), tc.store, manifest.Environment{Name: "prod"}, tl, at("2026-12-01T00:00:00Z"))
			w := tl.WriteOnce
			if w.WriteOnce != tc.writeOnce || !strings.Contains(w.Detail, tc.detail) {
				t.Errorf("write-once %v %q, want %v and %q", w.WriteOnce, w.Detail, tc.writeOnce, tc.detail)
			}
			if tc.name == "every read fails" && strings.Contains(w.Detail, "does not have Object Lock") {
				t.Errorf("claims no Object Lock when nothing was read: %q", w.Detail)
			}
		})
	}
}
