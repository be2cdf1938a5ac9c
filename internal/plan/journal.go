package plan

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The scaling journal: SageMaker refuses to change the instance type of a
// variant registered with Application Auto Scaling, so the deploy step
// takes the registration down for the update and puts it back afterwards
// (internal/aws/endpoints/scaling.go). Until then the registration is
// kept here, so that a crash cannot lose it: one object per endpoint
// variant in the stage's artifact bucket (ScalingJournalKey), written by
// the deploy role under the stage's KMS key, and deleted once the scaling
// is settled. A later deploy registers what it keeps, so it is read back
// only when it passes the evidence records' trust rule (Untrusted below):
// a journal anyone else could write would let them choose the scaling
// bounds apply registers.

// ScalingJournalSchemaVersion is the scaling journal format version.
const ScalingJournalSchemaVersion = 1

// MaxScalingJournalBytes bounds a scaling journal read back (a target and
// a few policies: a few KiB).
const MaxScalingJournalBytes = 64 << 10

// ScalingJournalPrefix holds the scaling journals in a stage's artifact
// bucket. No model package group's objects are there (those are under
// "<group>/<version>/", and a version is a number), and the key policy
// (docs/iam/key-policy.json) lets no principal but the deploy role
// encrypt under it.
const ScalingJournalPrefix = "modelpromote/scaling-journal/"

// ScalingJournalKey is where the scaling journal of an endpoint's variant
// is kept in its stage's artifact bucket.
func ScalingJournalKey(endpoint, variant string) string {
	return ScalingJournalPrefix + endpoint + "/" + variant + ".json"
}

// ScalingJournal is a registration taken down for an instance-type change,
// with where it belongs: the stage, its account and region, the endpoint
// and the variant.
type ScalingJournal struct {
	SchemaVersion int    `json:"schemaVersion"`
	Stage         string `json:"stage"`
	Account       string `json:"account"`
	Region        string `json:"region"`
	Endpoint      string `json:"endpoint"`
	Variant       string `json:"variant"`
	// Registration is the scalable target and its policies as the
	// endpoints adapter keeps them (opaque here).
	Registration json.RawMessage `json:"registration"`
	WrittenAt    time.Time       `json:"writtenAt"`
}

// NewScalingJournal is the journal of reg, taken down from endpoint's
// variant in env.
func NewScalingJournal(env manifest.Environment, endpoint, variant string, reg []byte, now time.Time) ScalingJournal {
	return ScalingJournal{SchemaVersion: ScalingJournalSchemaVersion, Stage: env.Name, Account: env.Account, Region: env.Region,
		Endpoint: endpoint, Variant: variant, Registration: reg, WrittenAt: now.UTC()}
}

// DecodeScalingJournal decodes the scaling journal read from uri.
func DecodeScalingJournal(uri string, data []byte) (*ScalingJournal, error) {
	if len(data) > MaxScalingJournalBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a scaling journal", uri, MaxScalingJournalBytes)
	}
	var j ScalingJournal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s is not a scaling journal: %w", uri, err)
	}
	if j.SchemaVersion < 1 || j.SchemaVersion > ScalingJournalSchemaVersion {
		return nil, fmt.Errorf("%s: scaling journal schemaVersion %d is not one this modelpromote reads (1..%d)", uri, j.SchemaVersion, ScalingJournalSchemaVersion)
	}
	if len(j.Registration) == 0 {
		return nil, fmt.Errorf("%s: the scaling journal keeps no registration", uri)
	}
	return &j, nil
}

// StoredScalingJournal is a scaling journal object as read back from a
// stage's bucket: where it is, what S3 said about the object, and the
// journal, or why the bytes are not one.
type StoredScalingJournal struct {
	URI    string
	Object ObjectInfo
	// Journal is nil when Err says why the bytes are not a journal.
	Journal *ScalingJournal
	Err     error
}

// Untrusted says why a scaling journal read from env's bucket for
// endpoint's variant is not one apply wrote there for it, "" when it is.
// The evidence records' rule (StoredRecord.Untrusted): encrypted with
// SSE-KMS under env's key, which only the deploy role may use to encrypt;
// and its content agrees with its place: at ScalingJournalKey of this
// endpoint and variant in env's bucket, naming env, its account and
// region, this endpoint and this variant. A journal the deploy role wrote
// for another endpoint, variant or stage tells nothing about this one.
func (s StoredScalingJournal) Untrusted(env manifest.Environment, endpoint, variant string) string {
	if why := s.Object.notWrittenByDeployRole(env); why != "" {
		return why
	}
	switch {
	case s.Err != nil:
		return s.Err.Error()
	case s.Journal == nil:
		return "it holds no scaling journal"
	}
	j := s.Journal
	want := "s3://" + env.ArtifactBucket + "/" + ScalingJournalKey(endpoint, variant)
	switch {
	case s.URI != want:
		return fmt.Sprintf("it is at %s, but the scaling journal of endpoint %s variant %s is kept at %s", s.URI, endpoint, variant, want)
	case j.Endpoint != endpoint || j.Variant != variant:
		return fmt.Sprintf("it says endpoint %s variant %s, but it is kept for endpoint %s variant %s", orNone(j.Endpoint), orNone(j.Variant), endpoint, variant)
	case j.Stage != env.Name:
		return fmt.Sprintf("it says stage %s, but it is in %s's bucket", orNone(j.Stage), env.Name)
	case j.Account != env.Account:
		return fmt.Sprintf("it names account %s, but %s is account %s", orNone(j.Account), env.Name, env.Account)
	case j.Region != env.Region:
		return fmt.Sprintf("it names region %s, but %s is in %s", orNone(j.Region), env.Name, env.Region)
	}
	return ""
}
