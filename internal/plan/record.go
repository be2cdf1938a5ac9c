package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The evidence record: apply writes one per promotion into the stage's
// artifact bucket (EvidenceKey), and the core reads them back to tell a
// rollback (rollback.go), the chain of custody (custody.go) and the
// regression baseline (baseline.go); status and history show them. Every
// reader decodes them with DecodeRecord and judges them with Untrusted:
// one format, one trust rule.

// RecordSchemaVersion is the evidence record format version.
const RecordSchemaVersion = 1

// MaxRecordBytes bounds one evidence record read back (records are a few
// KiB; one this large is not apply's).
const MaxRecordBytes = 4 << 20

// Record is the evidence record of one promotion: what was deployed where,
// from which source, approved by whom on which commit, on what evidence,
// and how it ended. It answers "what served in prod at time T, who approved
// it, on what evidence". Apply writes it to the target bucket, under a key
// fixed by the promotion and merge commit, so a rerun overwrites the same
// record instead of adding one.
type Record struct {
	SchemaVersion int `json:"schemaVersion"`

	Model       string `json:"model"`
	Stage       string `json:"stage"`
	FromVersion int    `json:"fromVersion"`
	ToVersion   int    `json:"toVersion"`

	PullRequest RecordPR `json:"pullRequest"`
	// Approvals are the reviews that counted, each with its commit.
	Approvals []ReviewVerdict `json:"approvals"`

	Source RecordPackage `json:"source"`
	Target RecordPackage `json:"target"`
	// Via is set when the stage is sourced from a registry-only stage:
	// the copy there the package was read from (Source stays the source
	// registry's package it stands for).
	Via *RecordPackage `json:"via,omitempty"`

	// Artifacts are every copied object with its SHA-256.
	Artifacts []RecordArtifact `json:"artifacts"`
	// Images are the inference images the target package holds and its
	// models run: the source reference, the digest the check bound, and
	// the reference deployed (the mirror's with an imageMirror).
	Images []DeployImage `json:"images,omitempty"`
	// Reports are the compliance reports as checked at apply time.
	Reports []ReportCheck `json:"reports"`

	// Endpoint is where the package was deployed; for a registry-only
	// stage (RegistryOnly), which deploys nothing, only its account and
	// region.
	Endpoint     RecordEndpoint `json:"endpoint"`
	RegistryOnly bool           `json:"registryOnly,omitempty"`

	// Rollback is set when the promotion returned the stage to a version it
	// ran before: that deployment, and the gates not applied.
	Rollback *Rollback `json:"rollback,omitempty"`
	// BreakGlass is set when the promotion went through on the stage's
	// break-glass path: who asked, what was waived, who approved.
	BreakGlass *BreakGlass `json:"breakGlass,omitempty"`

	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Outcome is "success" or "failure"; Error says why it failed.
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// RecordPR identifies the pull request and commits.
type RecordPR struct {
	Repo     string `json:"repo"`
	Number   int    `json:"number"`
	URL      string `json:"url"`
	Author   string `json:"author"`
	MergedBy string `json:"mergedBy"`
	HeadSHA  string `json:"headSha"`
	MergeSHA string `json:"mergeSha"`
}

// RecordPackage is a model package in one account.
type RecordPackage struct {
	Account    string `json:"account"`
	Region     string `json:"region"`
	Group      string `json:"group"`
	Version    int    `json:"version,omitempty"`
	PackageARN string `json:"packageArn"`
}

// RecordArtifact is one copied object.
type RecordArtifact struct {
	Source string `json:"source"`
	// SourceETag is the source object's ETag as the check bound it: a
	// later stage's check takes SHA256 from here, without reading the
	// source again, while the source still has that ETag and size.
	SourceETag string `json:"sourceEtag,omitempty"`
	Target     string `json:"target"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	// Parts is the composite SHA-256 of the object's canonical parts
	// the check bound beside SHA256 (the identity), when it bound one;
	// a later stage's check takes it with SHA256, so that its copy too
	// is made in parallel parts verified without reading the bytes.
	Parts *PartsDigest `json:"parts,omitempty"`
	// Path is how it was copied: server-side, server-side-multipart,
	// streamed, or skipped (already present with the right digest).
	Path string `json:"path"`
}

// RecordEndpoint is the endpoint before and after.
type RecordEndpoint struct {
	Name          string           `json:"name"`
	Account       string           `json:"account"`
	Region        string           `json:"region"`
	Rollout       manifest.Rollout `json:"rollout"`
	ConfigBefore  string           `json:"configBefore,omitempty"`
	ConfigAfter   string           `json:"configAfter,omitempty"`
	Model         string           `json:"model,omitempty"`
	Status        string           `json:"status,omitempty"`
	FailureReason string           `json:"failureReason,omitempty"`
	RolledBack    bool             `json:"rolledBack,omitempty"`
	CreatedNew    bool             `json:"createdNew,omitempty"`
	// Capacity says how the new fleet was sized when that was not simply
	// instanceCount (the running count kept on a model-only update, and
	// why not when it could not be), and what became of a scaling
	// registration taken down for the update.
	Capacity          string `json:"capacity,omitempty"`
	ConsoleURL        string `json:"consoleUrl,omitempty"`
	InstanceType      string `json:"instanceType"`
	InstanceCount     int    `json:"instanceCount"`
	ProductionVariant string `json:"variant"`
}

// DecodeRecord decodes the evidence record read from uri, refusing a
// schemaVersion this modelpromote does not read.
func DecodeRecord(uri string, data []byte) (*Record, error) {
	if len(data) > MaxRecordBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes: not an evidence record", uri, MaxRecordBytes)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s is not an evidence record: %w", uri, err)
	}
	if rec.SchemaVersion < 1 || rec.SchemaVersion > RecordSchemaVersion {
		return nil, fmt.Errorf("%s: evidence record schemaVersion %d is not one this modelpromote reads (1..%d)", uri, rec.SchemaVersion, RecordSchemaVersion)
	}
	return &rec, nil
}

// StoredRecord is one evidence record object as read back from a stage's
// bucket: where it is, what S3 said about the object (its server-side
// encryption above all), and the record, or why it could not be decoded.
type StoredRecord struct {
	URI    string
	Object ObjectInfo
	// Record is nil when Err says why the bytes are not a record.
	Record *Record
	Err    error
}

// SSE-KMS values of x-amz-server-side-encryption that name a KMS key.
const (
	SSEKMS     = "aws:kms"
	SSEKMSDSSE = "aws:kms:dsse"
)

// Untrusted says why a record read from env's artifact bucket is not one
// apply wrote, "" when it is. The rule:
//
//   - Who wrote it: the object is encrypted with SSE-KMS under env's key
//     (kmsKeyArn). That key's policy (docs/iam/key-policy.json) lets only
//     the deploy role encrypt with it (kms:GenerateDataKey, which S3 calls
//     as the writer on every SSE-KMS PutObject, CopyObject and multipart
//     upload), and denies it to every other principal of the account. So a
//     target-account writer with s3:PutObject on the bucket can put an
//     object there, but not one under that key, and cannot re-encrypt a
//     copy of an honest record under it either.
//   - Where it sits: its content agrees with its place. It is under the
//     key apply writes for its group, version and merge commit
//     (EvidenceKey) in env's bucket, names env as its stage and env's
//     account and region for its target and endpoint, and its source
//     package is the version it says it deployed. An honest record copied
//     by the deploy role's own bugs, or moved by an administrator, to
//     another place tells nothing about that place.
//
// Object Lock is not part of the rule: it says the object cannot change
// now, not who wrote it (`history --verify` reports it separately).
func (s StoredRecord) Untrusted(env manifest.Environment) string {
	if why := s.Object.notWrittenByDeployRole(env); why != "" {
		return why
	}
	switch {
	case s.Err != nil:
		return s.Err.Error()
	case s.Record == nil:
		return "it holds no record"
	}
	r := s.Record
	key := EvidenceKey(r.Source.Group, r.ToVersion, r.PullRequest.MergeSHA)
	switch {
	case r.Stage != env.Name:
		return fmt.Sprintf("it says stage %q, but it is in %s's bucket", r.Stage, env.Name)
	case r.PullRequest.MergeSHA == "" || strings.ContainsAny(r.PullRequest.MergeSHA, "/\\") || s.URI != "s3://"+env.ArtifactBucket+"/"+key:
		return fmt.Sprintf("it says %s version %d by merge %s, whose record apply writes at s3://%s/%s, not here", r.Source.Group, r.ToVersion, orNone(r.PullRequest.MergeSHA), env.ArtifactBucket, key)
	case r.Target.Account != env.Account || r.Endpoint.Account != env.Account:
		return fmt.Sprintf("it names account %s (target) and %s (endpoint), but %s is account %s", orNone(r.Target.Account), orNone(r.Endpoint.Account), env.Name, env.Account)
	case r.Target.Region != env.Region || r.Endpoint.Region != env.Region:
		return fmt.Sprintf("it names region %s (target) and %s (endpoint), but %s is in %s", orNone(r.Target.Region), orNone(r.Endpoint.Region), env.Name, env.Region)
	case r.Source.Version != r.ToVersion:
		return fmt.Sprintf("it says version %d, but its source package is version %d", r.ToVersion, r.Source.Version)
	}
	if r.Source.PackageARN != "" {
		if g, v, ok := PackageGroupVersion(r.Source.PackageARN); !ok || !strings.EqualFold(g, r.Source.Group) || v != r.ToVersion {
			return fmt.Sprintf("it says %s version %d, but its source package is %s", r.Source.Group, r.ToVersion, r.Source.PackageARN)
		}
	}
	return ""
}

// notWrittenByDeployRole is the first half of the trust rule, for every
// object apply writes into env's bucket and reads back to decide (evidence
// records, the scaling journal): why the object is not encrypted with
// SSE-KMS under env's key, which only the deploy role may use to encrypt
// (see Untrusted); "" when it is.
func (o ObjectInfo) notWrittenByDeployRole(env manifest.Environment) string {
	switch {
	case o.SSE != SSEKMS && o.SSE != SSEKMSDSSE:
		enc := o.SSE
		if enc == "" {
			enc = "no encryption"
		}
		return fmt.Sprintf("it is not encrypted with %s's KMS key %s (it has %s), which only modelpromote's deploy role may use: apply did not write it", env.Name, env.KMSKeyARN, enc)
	case !strings.EqualFold(o.KMSKeyID, env.KMSKeyARN):
		return fmt.Sprintf("it is encrypted with KMS key %s, not %s's key %s, which only modelpromote's deploy role may use: apply did not write it", orNone(o.KMSKeyID), env.Name, env.KMSKeyARN)
	}
	return ""
}

// writtenByDeployRole reports whether the object is under env's key, that
// is whether apply wrote it, whatever it holds.
func (s StoredRecord) writtenByDeployRole(env manifest.Environment) bool {
	return s.Object.notWrittenByDeployRole(env) == ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Past is the record as a past deployment, read from uri.
func (r *Record) Past(uri string) PastDeployment {
	d := PastDeployment{URI: uri, Model: r.Model, Stage: r.Stage, Version: r.ToVersion, SourcePackageARN: r.Source.PackageARN, TargetPackageARN: r.Target.PackageARN,
		Endpoint: r.Endpoint.Name, PullRequest: r.PullRequest.Number, PullRequestURL: r.PullRequest.URL, MergeSHA: r.PullRequest.MergeSHA,
		FinishedAt: r.FinishedAt, Outcome: r.Outcome}
	for _, a := range r.Artifacts {
		d.Artifacts = append(d.Artifacts, PastArtifact{Binding: Binding{URI: a.Source, ETag: a.SourceETag, Size: a.Size, SHA256: a.SHA256, Parts: a.Parts}, Target: a.Target})
	}
	return d
}

// stageRecords is what a stage's evidence records of one version say: the
// deployments apply recorded, and the objects under the records' prefix
// that are not apply's, each with why.
type stageRecords struct {
	trusted   []PastDeployment
	untrusted []string
}

// newest is the newest trusted record of a successful deployment to stage
// of version from the source package sourceARN that keep also accepts;
// nil when there is none. Rollback, custody, the baseline and a
// registry-only stage's copies all ask it this way.
func (s stageRecords) newest(stage string, version int, sourceARN string, keep func(PastDeployment) bool) *PastDeployment {
	var best *PastDeployment
	for i, r := range s.trusted {
		if r.Outcome != "success" || r.Stage != stage || r.Version != version || !strings.EqualFold(r.SourcePackageARN, sourceARN) || !keep(r) {
			continue
		}
		if best == nil || r.FinishedAt.After(best.FinishedAt) {
			best = &s.trusted[i]
		}
	}
	return best
}

// readStageRecords reads the evidence records of version of group in env
// and judges each (Untrusted). A record under env's key that this
// modelpromote cannot decode is an error: apply wrote it, and what it
// says is unknown.
func readStageRecords(ctx context.Context, h History, env manifest.Environment, group string, version int) (stageRecords, error) {
	var out stageRecords
	recs, err := h.Records(ctx, env, group, version)
	if err != nil {
		return out, err
	}
	for _, s := range recs {
		if s.Err != nil && s.writtenByDeployRole(env) {
			return stageRecords{}, s.Err
		}
		if why := s.Untrusted(env); why != "" {
			out.untrusted = append(out.untrusted, fmt.Sprintf("%s is not trusted: %s", s.URI, why))
			continue
		}
		out.trusted = append(out.trusted, s.Record.Past(s.URI))
	}
	return out, nil
}
