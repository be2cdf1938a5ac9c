package plan

import (
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// Details is what the AWS- and GitHub-backed checks learned about one
// promotion: the evidence behind its gates, for reviewers and for the
// evidence record. Every field is nil or empty until its check has run.
type Details struct {
	// Package is the source model package being promoted.
	Package *ModelPackage `json:"package,omitempty"`
	// Lineage is what produced the package, from data to job.
	Lineage *Lineage `json:"lineage,omitempty"`
	// Live is what the target stage serves now (nil: nothing, a first
	// deployment), and PreviousStage what the `after` stage serves.
	Live          *Serving `json:"live,omitempty"`
	PreviousStage *Serving `json:"previousStage,omitempty"`
	// Reports are the compliance reports the stage requires, checked.
	Reports []ReportCheck `json:"reports,omitempty"`
	// Evaluation compares each metric of the candidate with the live
	// version's, with the policy's verdicts.
	Evaluation []MetricRow `json:"evaluation,omitempty"`
	// Bias lists bias metrics per facet group, candidate against live.
	Bias []MetricRow `json:"bias,omitempty"`
	// SHAP lists the candidate's most important features and their shift.
	SHAP []evidence.Shift `json:"shap,omitempty"`
	// Approvals is the governance gate's working.
	Approvals *Approvals `json:"approvals,omitempty"`
	// Rollback is set when the promotion returns the stage to a version it
	// ran before (rollback.go); BreakGlass when it is judged on the
	// break-glass path (breakglass.go); Freeze when a freeze holds the
	// stage (freeze.go).
	Rollback   *Rollback   `json:"rollback,omitempty"`
	BreakGlass *BreakGlass `json:"breakGlass,omitempty"`
	Freeze     *Freeze     `json:"freeze,omitempty"`
	// Objects are every object the package refers to, as the check saw
	// them: what apply copies is bound to them (see Binding).
	Objects []Binding `json:"objects,omitempty"`
	// Images are the package's container images, checked: their digests,
	// whether the target can pull them and what it runs.
	Images []ImageCheck `json:"images,omitempty"`
	// Source is set when the stage is sourced from a registry-only stage:
	// where the package was read, and how.
	Source *SourceDetail `json:"source,omitempty"`
	// IntendedUses are what the package's own model card says it is for,
	// when the stage requires the modelCard report and the card passed:
	// apply carries them to the card in the governance account.
	IntendedUses *IntendedUses `json:"intendedUses,omitempty"`
}

// IntendedUses are a model card's intended_uses.
type IntendedUses struct {
	Purpose         string `json:"purpose,omitempty"`
	Uses            string `json:"uses,omitempty"`
	Factors         string `json:"factors,omitempty"`
	RiskRating      string `json:"riskRating,omitempty"`
	RiskExplanation string `json:"riskExplanation,omitempty"`
}

// intendedUses are c's intended uses, nil when it states none.
func intendedUses(c *evidence.ModelCard) *IntendedUses {
	if c == nil {
		return nil
	}
	u := c.IntendedUses
	out := IntendedUses{Purpose: u.Purpose, Uses: u.Uses, Factors: u.FactorsAffectingEfficiency, RiskRating: u.RiskRating, RiskExplanation: u.RiskRatingExplanation}
	if out == (IntendedUses{}) {
		return nil
	}
	return &out
}

// ModelPackage is the part of a SageMaker model package the checks and
// apply use, free of SDK types.
type ModelPackage struct {
	ARN            string    `json:"arn"`
	Group          string    `json:"group"`
	Version        int       `json:"version"`
	Status         string    `json:"status"`         // ModelPackageStatus: Completed, …
	ApprovalStatus string    `json:"approvalStatus"` // Approved, PendingManualApproval, Rejected
	CreatedAt      time.Time `json:"createdAt"`
	Description    string    `json:"description,omitempty"`
	// Containers are the inference containers: image and model data.
	Containers []Container `json:"containers"`
	// Metadata is MetadataProperties.
	CommitID    string `json:"commitId,omitempty"`
	Repository  string `json:"repository,omitempty"`
	GeneratedBy string `json:"generatedBy,omitempty"`
	ProjectID   string `json:"projectId,omitempty"`
	// Reports are the ModelMetrics sources, by kind.
	Reports []ReportRef `json:"reports,omitempty"`
	// Objects are every S3 object the package refers to, where it does:
	// model data, metrics, drift baselines, sample payload. Apply copies
	// them all.
	Objects []ObjectRef `json:"objects,omitempty"`
	// ModelCardName names the model card that documents the package.
	ModelCardName string `json:"modelCardName,omitempty"`
	// CustomerMetadata is CustomerMetadataProperties.
	CustomerMetadata map[string]string `json:"customerMetadata,omitempty"`
	// Origin is set on a registry-only stage's copy: the source package
	// it was copied from (see Identity).
	Origin string `json:"origin,omitempty"`
}

// Container is one inference container of a model package.
type Container struct {
	Image        string `json:"image"`
	ModelDataURL string `json:"modelDataUrl,omitempty"`
}

// ReportRef is one ModelMetrics source: where a report is and what digest
// was recorded for it.
type ReportRef struct {
	Kind manifest.ReportKind `json:"kind"`
	// Part distinguishes the two files of a kind that has two: "statistics"
	// or "constraints" (model and data quality), "report" otherwise.
	Part        string `json:"part"`
	S3URI       string `json:"s3Uri"`
	ContentType string `json:"contentType,omitempty"`
	// Digest is the recorded ContentDigest, "" when none was recorded.
	Digest string `json:"digest,omitempty"`
}

// ObjectRef is one place a model package refers to an S3 object.
type ObjectRef struct {
	// Field names the place as the SageMaker API does
	// ("ModelMetrics.ModelQuality.Statistics").
	Field       string `json:"field"`
	URI         string `json:"uri"`
	ContentType string `json:"contentType,omitempty"`
	// Digest is the recorded ContentDigest, "" where none is recorded.
	Digest string `json:"digest,omitempty"`
}

// Lineage is the chain that produced a package.
type Lineage struct {
	// Steps go from the data to the package: datasets, jobs, the pipeline
	// execution, the package itself.
	Steps []LineageStep `json:"steps"`
}

// LineageStep is one node of the lineage graph.
type LineageStep struct {
	// Kind is "data", "pipeline-execution", "training-job",
	// "processing-job" or "model-package".
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	ARN    string `json:"arn,omitempty"`
	Status string `json:"status,omitempty"`
	// URI is set for data: an S3 location.
	URI string `json:"uri,omitempty"`
}

// Serving is what an endpoint in a target account runs, traced through
// endpoint → endpoint config → model → the provenance apply wrote.
type Serving struct {
	Endpoint       string `json:"endpoint"`
	EndpointStatus string `json:"endpointStatus"`
	EndpointConfig string `json:"endpointConfig"`
	// SourcePackageARN and SourceVersion identify the source package the
	// served model was promoted from ("" / 0 when not deployed by us).
	SourcePackageARN string `json:"sourcePackageArn,omitempty"`
	SourceVersion    int    `json:"sourceVersion,omitempty"`
	// TargetPackageARN is the package in the target registry.
	TargetPackageARN string `json:"targetPackageArn,omitempty"`
	// Since is when the endpoint started serving this config; for a
	// registry-only stage, when its copy was registered.
	Since time.Time `json:"since"`
	// ApprovalStatus is set for a registry-only stage, which serves
	// nothing: the status of its copy of the package (Approved once
	// apply is done with it).
	ApprovalStatus string `json:"approvalStatus,omitempty"`
}

// ReportCheck is one required report, checked.
type ReportCheck struct {
	ReportRef
	// ComputedDigest is the SHA-256 of the bytes read, "" when not read.
	ComputedDigest string `json:"computedDigest,omitempty"`
	// LastModified is the object's last modification time.
	LastModified time.Time `json:"lastModified"`
	Size         int64     `json:"size"`
	// Status is pass, pending or fail; Problem says why it is not pass.
	Status  Status `json:"status"`
	Problem string `json:"problem,omitempty"`
}

// MetricRow is one metric of the evaluation diff.
type MetricRow struct {
	evidence.Change
	// Thresholds are the policy's verdicts on this metric (none when the
	// policy sets no threshold on it).
	Thresholds []policy.Verdict `json:"thresholds,omitempty"`
}

// Approvals is how the governance gate counted reviews.
type Approvals struct {
	// Required is how many eligible approvals the stage needs.
	Required int `json:"required"`
	// Approvers is the policy's list ("team:x", users), empty for anyone.
	Approvers []string `json:"approvers,omitempty"`
	// HeadSHA is the commit approvals must be on.
	HeadSHA string `json:"headSha"`
	// Reviews is each reviewer's latest decisive review and whether it
	// counted.
	Reviews []ReviewVerdict `json:"reviews"`
	// Counted is the number of approvals that counted.
	Counted int `json:"counted"`
	// Problem says why no approval can count ("" when they can): the
	// pull request's contributors cannot all be known.
	Problem string `json:"problem,omitempty"`
	// Unresolved are co-authors no GitHub account could be tied to.
	Unresolved []CoAuthor `json:"unresolved,omitempty"`
	// Warnings are records of contributors that could not be read.
	Warnings []string `json:"warnings,omitempty"`
}

// ReviewVerdict is one reviewer's latest decisive review, judged.
type ReviewVerdict struct {
	Login    string    `json:"login"`
	State    string    `json:"state"` // APPROVED, CHANGES_REQUESTED, DISMISSED
	CommitID string    `json:"commitId"`
	At       time.Time `json:"at"`
	// Counted is true when the review counts towards Required.
	Counted bool `json:"counted"`
	// Reason says why it does not count (stale, author, not an approver…).
	Reason string `json:"reason,omitempty"`
	// Via names the approvers entry that made the reviewer eligible.
	Via string `json:"via,omitempty"`
	// DismissedBy is who dismissed a dismissed review, when recorded.
	DismissedBy string `json:"dismissedBy,omitempty"`
	// Blocking is true when a dismissed request for changes still blocks
	// (the dismissal was not an owner's).
	Blocking bool `json:"blocking,omitempty"`
}
