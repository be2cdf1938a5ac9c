package plan

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ErrNotFound is returned (wrapped) by sources when a thing does not exist.
var ErrNotFound = errors.New("not found")

// ErrNotShared is returned (wrapped) by a shared registry-only stage's
// readers when its account refuses a read: the resource policy of its
// group (or its bucket's policy) does not grant the reading stage.
var ErrNotShared = errors.New("not shared with this stage")

// Registry reads the source account's model registry and the jobs that
// produced its packages.
type Registry interface {
	// ModelPackage returns version of group, or ErrNotFound.
	ModelPackage(ctx context.Context, group string, version int) (*ModelPackage, error)
	// PipelineExecution returns a pipeline execution and its steps.
	PipelineExecution(ctx context.Context, arn string) (*PipelineExecution, error)
	// TrainingJob returns a training job by name or ARN.
	TrainingJob(ctx context.Context, nameOrARN string) (*TrainingJob, error)
	// ModelCard returns the latest version of a model card, or ErrNotFound.
	ModelCard(ctx context.Context, name string) (*ModelCard, error)
}

// PipelineExecution is a SageMaker Pipelines execution.
type PipelineExecution struct {
	ARN    string
	Status string // Executing, Stopping, Stopped, Failed, Succeeded
	Steps  []PipelineStep
}

// PipelineStep is one step of a pipeline execution.
type PipelineStep struct {
	Name   string
	Status string // Starting, Executing, Stopping, Stopped, Failed, Succeeded
	// TrainingJobARN and ProcessingJobARN are set for those step types.
	TrainingJobARN   string
	ProcessingJobARN string
	// ModelPackageARN is set for a RegisterModel step.
	ModelPackageARN string
}

// TrainingJob is a SageMaker training job.
type TrainingJob struct {
	Name   string
	ARN    string
	Status string // InProgress, Completed, Failed, Stopping, Stopped
	// ModelArtifacts is ModelArtifacts.S3ModelArtifacts.
	ModelArtifacts string
	// Inputs are the input channels' S3 URIs, by channel name.
	Inputs map[string]string
}

// ModelCard is a SageMaker model card.
type ModelCard struct {
	Name    string
	Version int
	Status  string // Draft, PendingReview, Approved, Archived
	Content []byte // the card's JSON content
	// UpdatedAt is when this version was last modified.
	UpdatedAt time.Time
}

// ObjectInfo is what a HEAD (or the response of a GET) of an S3 object
// tells.
type ObjectInfo struct {
	URI          string
	Size         int64
	LastModified time.Time
	// ETag is S3's, quoted; VersionID is set in a versioned bucket.
	ETag, VersionID string
	// SHA256 is the lowercase hex full-object SHA-256 S3 keeps for the
	// object (ChecksumSHA256 of ChecksumType FULL_OBJECT), "" when it has
	// none: composite (multipart) checksums are not one.
	SHA256 string
	// SSE is the object's server-side encryption (x-amz-server-side-
	// encryption: AES256, aws:kms, aws:kms:dsse) and KMSKeyID the key
	// (x-amz-server-side-encryption-aws-kms-key-id, a key ARN), as S3
	// returns them on GET and HEAD: who may write under that key is what
	// tells an evidence record apply wrote (StoredRecord.Untrusted).
	SSE, KMSKeyID string
}

// Objects reads S3 objects.
type Objects interface {
	// Stat returns an object's size and modification time, or ErrNotFound.
	Stat(ctx context.Context, uri string) (ObjectInfo, error)
	// Open streams an object's bytes.
	Open(ctx context.Context, uri string) (io.ReadCloser, ObjectInfo, error)
}

// Stages tells what target environments serve.
type Stages interface {
	// Serving traces an endpoint to the source package it was promoted
	// from. It returns nil (and no error) when the endpoint does not exist.
	Serving(ctx context.Context, env manifest.Environment, endpoint string) (*Serving, error)
	// Registered finds the package a registry-only environment's registry
	// holds of a source package (by the provenance apply wrote into it):
	// its ARN, approval status and registration time, with Provenance. It
	// returns nil (and no error) when there is none.
	Registered(ctx context.Context, env manifest.Environment, group, sourceARN string) (*Live, error)
}

// Sources are where the AWS-backed checks read facts from.
type Sources struct {
	Source  manifest.Source
	Reg     Registry
	Objects Objects
	Stages  Stages
	// Images reads container images and repository policies in Amazon
	// ECR; nil shuts the lineage gate of every promotion with an image.
	Images Images
	// History reads what each stage ran before (its evidence records)
	// and the copies they list: to tell a rollback, to keep the chain of
	// custody and to read the regression baseline. Nil: no promotion is
	// judged a rollback, and custody and the baseline cannot be verified
	// (their gates shut).
	History History
	// Now is the clock (time.Now when nil), for report age and soak time.
	Now func() time.Time
	// MaxReportBytes bounds each report read (evidence's default when 0).
	MaxReportBytes int64
	// Reviewed, at apply, is what the pull request's check bound of each
	// object (by source URI): an object whose version, ETag or size now
	// differs, or that the check did not bind, shuts the lineage gate.
	// Nil on the pull request, where the check binds what it reads.
	Reviewed map[string]Binding
	// Upstream reads a registry-only stage (central) as the source of a
	// stage sourced from it; nil: such stages fail closed.
	Upstream func(central, stage manifest.Environment) (Upstream, error)
	// upstreamMemoized is set once memoized has wrapped Upstream.
	upstreamMemoized bool
	// via is the registry-only stage these sources read packages from
	// (forStage); nil for the configuration's source.
	via *manifest.Environment
}

func (s Sources) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
