package plan

import "time"

// Live is what an endpoint runs, in the detail `modelpromote status` shows:
// the trace drift compares (Serving), how each variant runs, and the
// provenance apply wrote into the target package it serves.
type Live struct {
	Serving
	// FailureReason is the endpoint's last failure, if any.
	FailureReason string
	// Variants are the production variants of the serving config.
	Variants []LiveVariant
	// Provenance is the served target package's modelpromote:* metadata
	// (ProvenanceEvidence names its evidence record).
	Provenance map[string]string
}

// LiveVariant is one production variant as it runs.
type LiveVariant struct {
	Name         string
	InstanceType string
	// CurrentInstanceCount is what runs now (autoscaling may differ from
	// the config's initial count); 0 for serverless variants.
	CurrentInstanceCount int
	// Serverless is set for a serverless variant.
	Serverless *ServerlessSettings
}

// ServerlessSettings are a serverless variant's memory and concurrency.
type ServerlessSettings struct {
	MemorySizeMB   int
	MaxConcurrency int
}

// ObjectLock is whether an S3 object is write-once: its bucket's Object
// Lock configuration and the object's own retention.
type ObjectLock struct {
	// BucketEnabled is true when the bucket has Object Lock enabled.
	BucketEnabled bool
	// DefaultMode and DefaultDays/DefaultYears are the bucket's default
	// retention ("" when the bucket sets none).
	DefaultMode  string
	DefaultDays  int
	DefaultYears int
	// Mode and RetainUntil are the object's retention ("" when none).
	Mode        string
	RetainUntil time.Time
}

// ProvenancePrefix begins every provenance key modelpromote writes.
const ProvenancePrefix = "modelpromote:"
