package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/status"
)

// records is an in-memory evidence store: objects by bucket, then URI.
type records struct {
	objects  map[string][]plan.ObjectInfo // by bucket
	bodies   map[string][]byte
	infos    map[string]plan.ObjectInfo // by URI
	denied   map[string]bool            // buckets whose listing is refused
	mu       sync.Mutex
	readURIs []string
}

func (r *records) List(_ context.Context, env manifest.Environment, prefix string) ([]plan.ObjectInfo, error) {
	if r.denied[env.ArtifactBucket] {
		return nil, errors.New("AccessDenied")
	}
	var out []plan.ObjectInfo
	for _, o := range r.objects[env.ArtifactBucket] {
		if strings.HasPrefix(o.URI, "s3://"+env.ArtifactBucket+"/"+prefix) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (r *records) Record(_ context.Context, _ manifest.Environment, uri string) (plan.StoredRecord, error) {
	r.mu.Lock()
	r.readURIs = append(r.readURIs, uri)
	r.mu.Unlock()
	b, ok := r.bodies[uri]
	if !ok {
		return plan.StoredRecord{}, errors.New("NoSuchKey")
	}
	sr := plan.StoredRecord{URI: uri, Object: r.infos[uri], Record: &plan.Record{}}
	if err := json.Unmarshal(b, sr.Record); err != nil {
		sr.Record, sr.Err = nil, err
	}
	return sr, nil
}

func (r *records) SHA256(context.Context, manifest.Environment, string) (string, int64, error) {
	return "", 0, errors.New("not used")
}

func (r *records) Lock(context.Context, manifest.Environment, string) (plan.ObjectLock, error) {
	return plan.ObjectLock{}, errors.New("not used")
}

// put stores rec as apply writes it in env's bucket: under env's KMS key,
// unless planted.
func (r *records) put(t *testing.T, env manifest.Environment, rec apply.Record, modified time.Time, planted bool) string {
	t.Helper()
	rec.SchemaVersion = apply.RecordSchemaVersion
	rec.Source = apply.RecordPackage{Group: "fraud-detector", Version: rec.ToVersion}
	rec.Target = apply.RecordPackage{Account: env.Account, Region: env.Region, Group: "fraud-detector"}
	rec.Endpoint.Account, rec.Endpoint.Region = env.Account, env.Region
	uri := "s3://" + env.ArtifactBucket + "/" + apply.RecordKey("fraud-detector", rec.ToVersion, rec.PullRequest.MergeSHA)
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	o := plan.ObjectInfo{URI: uri, LastModified: modified, SSE: plan.SSEKMS, KMSKeyID: env.KMSKeyARN}
	if planted {
		o.SSE, o.KMSKeyID = "AES256", ""
	}
	r.objects[env.ArtifactBucket] = append(r.objects[env.ArtifactBucket], o)
	r.infos[uri] = o
	r.bodies[uri] = b
	return uri
}

// Failures are the failed records of each stage finished in the window,
// newest first; records written before it are not even read, a record
// apply did not write is not believed, and a stage whose records cannot be
// listed says so.
func TestRecentFailuresReadOnlyTheWindowsRecords(t *testing.T) {
	now := at("2026-11-02T09:00:00Z")
	env := func(name, account string) manifest.Environment {
		return manifest.Environment{Name: name, Account: account, Region: "eu-west-1", ArtifactBucket: name + "-bucket",
			KMSKeyARN: "arn:aws:kms:eu-west-1:" + account + ":key/" + name}
	}
	staging, prod := env("staging", "222222222222"), env("prod", "333333333333")
	cfg := &manifest.Config{Environments: []manifest.Environment{staging, prod, env("dev", "111111111111")}}
	models := map[string]*manifest.ModelDoc{"fraud-detector": {Model: &manifest.Model{Name: "fraud-detector", ModelPackageGroup: "fraud-detector",
		Stages: map[string]manifest.Stage{"staging": {}, "prod": {}, "dev": {}}}}}
	r := &records{objects: map[string][]plan.ObjectInfo{}, bodies: map[string][]byte{}, infos: map[string]plan.ObjectInfo{}, denied: map[string]bool{"dev-bucket": true}}
	rec := func(stage string, from, to int, merge, outcome string, finished time.Time) apply.Record {
		return apply.Record{Model: "fraud-detector", Stage: stage, FromVersion: from, ToVersion: to, Outcome: outcome, Error: map[bool]string{true: "rollout failed"}[outcome == "failure"],
			PullRequest: apply.RecordPR{Number: to * 10, MergeSHA: merge}, FinishedAt: finished}
	}
	old := r.put(t, prod, rec("prod", 10, 11, "a1", "failure", now.Add(-40*24*time.Hour)), now.Add(-40*24*time.Hour), false)
	r.put(t, prod, rec("prod", 11, 12, "b2", "failure", now.Add(-2*time.Hour)), now.Add(-2*time.Hour), false)
	r.put(t, prod, rec("prod", 11, 11, "c3", "success", now.Add(-time.Hour)), now.Add(-time.Hour), false)
	r.put(t, staging, rec("staging", 12, 13, "d4", "failure", now.Add(-time.Hour)), now.Add(-time.Hour), false)
	// Planted by someone who may write the bucket but not use the key.
	r.put(t, staging, rec("staging", 13, 14, "e5", "failure", now.Add(-time.Minute)), now.Add(-time.Minute), true)
	// Not a record: an artifact beside them.
	r.objects["prod-bucket"] = append(r.objects["prod-bucket"], plan.ObjectInfo{URI: "s3://prod-bucket/fraud-detector/12/model.tar.gz", LastModified: now})

	in := Collect(t.Context(), Sources{Status: statusSources(r, now)}, "acme/ml-promotions", cfg, models)
	if len(in.Failures) != 2 {
		t.Fatalf("failures %+v", in.Failures)
	}
	if f := in.Failures[0]; f.Stage != "staging" || f.To != 13 || f.PullRequest != 130 || f.Error != "rollout failed" {
		t.Errorf("newest failure %+v", f)
	}
	if f := in.Failures[1]; f.Stage != "prod" || f.From != 11 || f.To != 12 {
		t.Errorf("older failure %+v", f)
	}
	for _, u := range r.readURIs {
		if u == old || strings.HasSuffix(u, ".tar.gz") {
			t.Errorf("read %s, outside the window or not a record", u)
		}
	}
	if len(in.FailuresUnread) != 2 || !strings.Contains(in.FailuresUnread[0], "fraud-detector/dev: list evidence records: AccessDenied") ||
		!strings.Contains(in.FailuresUnread[1], "fraud-detector/staging: s3://staging-bucket/fraud-detector/14/evidence/e5.json is not believed: it is not encrypted with staging's KMS key") {
		t.Errorf("unread %q", in.FailuresUnread)
	}
	if !in.Since.Equal(now.Add(-DefaultWindow)) || !in.PendingOffline {
		t.Errorf("since %v, offline %v", in.Since, in.PendingOffline)
	}
}

// stages answers every stage as absent.
type stages struct{}

func (stages) Registered(context.Context, manifest.Environment, string, string) (*plan.Live, error) {
	return nil, nil
}

func (stages) Live(context.Context, manifest.Environment, string) (*plan.Live, error) {
	return nil, nil
}

func statusSources(r *records, now time.Time) status.Sources {
	return status.Sources{Stages: stages{}, Records: r, Now: func() time.Time { return now }}
}
