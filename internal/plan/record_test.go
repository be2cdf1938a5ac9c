package plan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The trust rule over evidence records read back, without S3: who wrote
// the object (its SSE-KMS key) and whether it says what its place says.
func TestRecordTrust(t *testing.T) {
	env := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1", ArtifactBucket: "ml-artifacts-staging",
		KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/1a2b3c4d-1111-2222-3333-444455556666"}
	merge := strings.Repeat("ab", 20)
	honest := func() StoredRecord {
		return written(env, PastDeployment{Model: fraud, Stage: "staging", Version: 13, SourcePackageARN: packageARN(13), Endpoint: "fraud-detector-staging",
			PullRequest: 7, MergeSHA: merge, Outcome: "success"})
	}
	cases := []struct {
		name   string
		change func(s *StoredRecord)
		want   string // "" trusted; else a part of the reason
	}{
		{"as apply wrote it", func(*StoredRecord) {}, ""},
		{"the key ARN in another case", func(s *StoredRecord) { s.Object.KMSKeyID = strings.ToUpper(env.KMSKeyARN[:3]) + env.KMSKeyARN[3:] }, ""},
		{"DSSE-KMS under the stage's key", func(s *StoredRecord) { s.Object.SSE = SSEKMSDSSE }, ""},
		{"SSE-S3 (a writer without the key, or S3's default)", func(s *StoredRecord) { s.Object.SSE, s.Object.KMSKeyID = "AES256", "" }, "not encrypted with staging's KMS key"},
		{"no encryption header", func(s *StoredRecord) { s.Object.SSE, s.Object.KMSKeyID = "", "" }, "it has no encryption"},
		{"the account's aws/s3 key", func(s *StoredRecord) { s.Object.KMSKeyID = "arn:aws:kms:eu-west-1:222222222222:alias/aws/s3" }, "encrypted with KMS key arn:aws:kms:eu-west-1:222222222222:alias/aws/s3, not staging's key"},
		{"another key of the account", func(s *StoredRecord) {
			s.Object.KMSKeyID = "arn:aws:kms:eu-west-1:222222222222:key/99999999-1111-2222-3333-444455556666"
		}, "not staging's key"},
		{"the prod key (a record copied from prod)", func(s *StoredRecord) {
			s.Object.KMSKeyID = "arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"
		}, "not staging's key"},
		{"SSE-KMS without a key id", func(s *StoredRecord) { s.Object.KMSKeyID = "" }, "encrypted with KMS key (none)"},
		{"under the key, but not a record", func(s *StoredRecord) { s.Record, s.Err = nil, errors.New("s3://x is not an evidence record") }, "is not an evidence record"},
		{"another stage", func(s *StoredRecord) { s.Record.Stage = "prod" }, `it says stage "prod", but it is in staging's bucket`},
		{"another version than its key", func(s *StoredRecord) { s.Record.ToVersion, s.Record.Source.Version = 12, 12 }, "whose record apply writes at s3://ml-artifacts-staging/fraud-detector/12/evidence/"},
		{"another merge than its key", func(s *StoredRecord) { s.Record.PullRequest.MergeSHA = strings.Repeat("cd", 20) }, "not here"},
		{"another group than its key", func(s *StoredRecord) { s.Record.Source.Group = "churn" }, "s3://ml-artifacts-staging/churn/13/evidence/"},
		{"no merge commit", func(s *StoredRecord) { s.Record.PullRequest.MergeSHA = "" }, "by merge (none)"},
		{"a merge climbing out of its prefix", func(s *StoredRecord) {
			s.Record.PullRequest.MergeSHA = "../../13/evidence/" + merge
		}, "not here"},
		{"another bucket", func(s *StoredRecord) { s.URI = strings.Replace(s.URI, env.ArtifactBucket, "other-bucket", 1) }, "not here"},
		{"another target account", func(s *StoredRecord) { s.Record.Target.Account = "333333333333" }, "names account 333333333333 (target)"},
		{"another endpoint account", func(s *StoredRecord) { s.Record.Endpoint.Account = "333333333333" }, "(endpoint), but staging is account 222222222222"},
		{"another region", func(s *StoredRecord) { s.Record.Endpoint.Region = "us-east-1" }, "region"},
		{"a source package of another version", func(s *StoredRecord) { s.Record.Source.PackageARN = packageARN(12) }, "its source package is arn:"},
		{"a source version unlike the version", func(s *StoredRecord) { s.Record.Source.Version = 12 }, "its source package is version 12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := honest()
			c.change(&s)
			got := s.Untrusted(env)
			switch {
			case c.want == "" && got != "":
				t.Errorf("untrusted: %s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("reason %q, want it to say %q", got, c.want)
			}
		})
	}
}

func TestDecodeRecord(t *testing.T) {
	for name, c := range map[string]struct {
		data, want string
	}{
		"a record":             {`{"schemaVersion":1,"model":"m"}`, ""},
		"no schemaVersion":     {`{"model":"m"}`, "schemaVersion 0 is not one this modelpromote reads (1..1)"},
		"a newer schema":       {`{"schemaVersion":2}`, "schemaVersion 2"},
		"not JSON":             {`<html>`, "is not an evidence record"},
		"larger than a record": {`{"schemaVersion":1,"error":"` + strings.Repeat("x", MaxRecordBytes) + `"}`, "larger than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeRecord("s3://b/k.json", []byte(c.data))
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A record the deploy role wrote (under the stage's key) that cannot be
// decoded is an error for every reader of the stage's records; a planted
// one is listed as untrusted beside the trusted ones.
func TestReadStageRecords(t *testing.T) {
	env := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1", ArtifactBucket: "ml-artifacts-staging",
		KMSKeyARN: "arn:aws:kms:eu-west-1:222222222222:key/1a2b3c4d-1111-2222-3333-444455556666"}
	prefix := "s3://ml-artifacts-staging/" + evidencePrefix(fraud, 13)
	d := ran("staging", 13, "success", worldNow)
	bad := errors.New("not an evidence record")
	for name, c := range map[string]struct {
		planted        StoredRecord
		trusted, wrong int
		err            bool
	}{
		"planted under SSE-S3":        {StoredRecord{URI: prefix + "x.json", Object: ObjectInfo{SSE: "AES256"}, Err: bad}, 1, 1, false},
		"undecodable under the key":   {StoredRecord{URI: prefix + "x.json", Object: ObjectInfo{SSE: SSEKMS, KMSKeyID: env.KMSKeyARN}, Err: bad}, 0, 0, true},
		"a copy of the honest record": {func() StoredRecord { s := written(env, d); s.URI = prefix + "copy.json"; return s }(), 1, 1, false},
	} {
		t.Run(name, func(t *testing.T) {
			recs, err := readStageRecords(context.Background(), memHistory{records: []PastDeployment{d}, planted: []StoredRecord{c.planted}}, env, fraud, 13)
			if (err != nil) != c.err || len(recs.trusted) != c.trusted || len(recs.untrusted) != c.wrong {
				t.Fatalf("trusted %d, untrusted %v, err %v", len(recs.trusted), recs.untrusted, err)
			}
			for _, u := range recs.untrusted {
				if !strings.HasPrefix(u, c.planted.URI+" is not trusted: ") {
					t.Errorf("untrusted %q does not name the object", u)
				}
			}
		})
	}
}
