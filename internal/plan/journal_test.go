package plan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The scaling journal is trusted by the evidence records' rule: under the
// stage's key (the same check, not a copy), and its content bound to its
// place (endpoint, variant, stage, account, region, key).
func TestScalingJournalTrust(t *testing.T) {
	env := manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1", ArtifactBucket: "ml-artifacts-prod",
		KMSKeyARN: "arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"}
	const ep, variant = "fraud-detector", "AllTraffic"
	honest := func() StoredScalingJournal {
		j := NewScalingJournal(env, ep, variant, []byte(`{"min":2,"max":8}`), time.Unix(0, 0))
		return StoredScalingJournal{URI: "s3://ml-artifacts-prod/modelpromote/scaling-journal/fraud-detector/AllTraffic.json",
			Object: ObjectInfo{SSE: SSEKMS, KMSKeyID: env.KMSKeyARN}, Journal: &j}
	}
	for _, c := range []struct {
		name   string
		change func(s *StoredScalingJournal)
		want   string // "" trusted; else a part of the reason
	}{
		{"as apply wrote it", func(*StoredScalingJournal) {}, ""},
		{"DSSE-KMS under the stage's key", func(s *StoredScalingJournal) { s.Object.SSE = SSEKMSDSSE }, ""},
		{"SSE-S3 (a writer without the key)", func(s *StoredScalingJournal) { s.Object.SSE, s.Object.KMSKeyID = "AES256", "" }, "not encrypted with prod's KMS key"},
		{"no encryption", func(s *StoredScalingJournal) { s.Object.SSE, s.Object.KMSKeyID = "", "" }, "it has no encryption"},
		{"another key", func(s *StoredScalingJournal) {
			s.Object.KMSKeyID = "arn:aws:kms:eu-west-1:333333333333:key/99999999-1111-2222-3333-444455556666"
		}, "not prod's key"},
		{"under the key, but not a journal", func(s *StoredScalingJournal) { s.Journal, s.Err = nil, errors.New("s3://x is not a scaling journal") }, "is not a scaling journal"},
		{"at another key of the bucket", func(s *StoredScalingJournal) {
			s.URI = "s3://ml-artifacts-prod/fraud-detector/13/evidence/scaling.json"
		}, "is kept at s3://ml-artifacts-prod/modelpromote/scaling-journal/fraud-detector/AllTraffic.json"},
		{"another endpoint's key", func(s *StoredScalingJournal) { s.URI = strings.Replace(s.URI, "fraud-detector", "churn", 1) }, "is kept at"},
		{"in another bucket", func(s *StoredScalingJournal) {
			s.URI = strings.Replace(s.URI, "ml-artifacts-prod", "ml-artifacts-staging", 1)
		}, "is kept at"},
		{"says another endpoint", func(s *StoredScalingJournal) { s.Journal.Endpoint = "churn" }, "it says endpoint churn variant AllTraffic, but it is kept for endpoint fraud-detector"},
		{"says another variant", func(s *StoredScalingJournal) { s.Journal.Variant = "Blue" }, "variant Blue"},
		{"says another stage", func(s *StoredScalingJournal) { s.Journal.Stage = "staging" }, "it says stage staging, but it is in prod's bucket"},
		{"names another account", func(s *StoredScalingJournal) { s.Journal.Account = "222222222222" }, "it names account 222222222222, but prod is account 333333333333"},
		{"names another region", func(s *StoredScalingJournal) { s.Journal.Region = "us-east-1" }, "it names region us-east-1, but prod is in eu-west-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := honest()
			c.change(&s)
			got := s.Untrusted(env, ep, variant)
			switch {
			case c.want == "" && got != "":
				t.Errorf("untrusted: %s", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("reason %q, want it to say %q", got, c.want)
			}
		})
	}
}

func TestDecodeScalingJournal(t *testing.T) {
	for name, c := range map[string]struct{ data, want string }{
		"a journal":             {`{"schemaVersion":1,"endpoint":"e","registration":{"min":1}}`, ""},
		"not JSON":              {`nope`, "is not a scaling journal"},
		"a newer format":        {`{"schemaVersion":2,"registration":{}}`, "schemaVersion 2 is not one this modelpromote reads"},
		"no schemaVersion":      {`{"registration":{}}`, "schemaVersion 0"},
		"no registration":       {`{"schemaVersion":1}`, "keeps no registration"},
		"larger than its bound": {`{"schemaVersion":1,"registration":"` + strings.Repeat("x", MaxScalingJournalBytes) + `"}`, "larger than"},
	} {
		_, err := DecodeScalingJournal("s3://b/k", []byte(c.data))
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
