package apply

import (
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// RecordSchemaVersion is the evidence record format version.
const RecordSchemaVersion = 1

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
	Approvals []plan.ReviewVerdict `json:"approvals"`

	Source RecordPackage `json:"source"`
	Target RecordPackage `json:"target"`

	// Artifacts are every copied object with its SHA-256.
	Artifacts []RecordArtifact `json:"artifacts"`
	// Reports are the compliance reports as checked at apply time.
	Reports []plan.ReportCheck `json:"reports"`

	Endpoint RecordEndpoint `json:"endpoint"`

	// Rollback is set when the promotion returned the stage to a version it
	// ran before: that deployment, and the gates not applied.
	Rollback *plan.Rollback `json:"rollback,omitempty"`
	// BreakGlass is set when the promotion went through on the stage's
	// break-glass path: who asked, what was waived, who approved.
	BreakGlass *plan.BreakGlass `json:"breakGlass,omitempty"`

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
	// Path is how it was copied: server-side, server-side-multipart,
	// streamed, or skipped (already present with the right digest).
	Path string `json:"path"`
}

// RecordEndpoint is the endpoint before and after.
type RecordEndpoint struct {
	Name              string           `json:"name"`
	Account           string           `json:"account"`
	Region            string           `json:"region"`
	Rollout           manifest.Rollout `json:"rollout"`
	ConfigBefore      string           `json:"configBefore,omitempty"`
	ConfigAfter       string           `json:"configAfter,omitempty"`
	Model             string           `json:"model,omitempty"`
	Status            string           `json:"status,omitempty"`
	FailureReason     string           `json:"failureReason,omitempty"`
	RolledBack        bool             `json:"rolledBack,omitempty"`
	CreatedNew        bool             `json:"createdNew,omitempty"`
	ConsoleURL        string           `json:"consoleUrl,omitempty"`
	InstanceType      string           `json:"instanceType"`
	InstanceCount     int              `json:"instanceCount"`
	ProductionVariant string           `json:"variant"`
}

// RecordKey is where a promotion's record lives in the target bucket.
func RecordKey(group string, version int, mergeSHA string) string {
	return plan.EvidenceKey(group, version, mergeSHA)
}

// ConsoleURL is the SageMaker console page of an endpoint.
func ConsoleURL(region, endpoint string) string {
	domain := "console.aws.amazon.com"
	switch manifest.PartitionOf(region) {
	case "aws-cn":
		domain = "console.amazonaws.cn"
	case "aws-us-gov":
		domain = "console.amazonaws-us-gov.com"
	}
	return fmt.Sprintf("https://%s.%s/sagemaker/home?region=%s#/endpoints/%s", region, domain, region, endpoint)
}
