package apply

import (
	"fmt"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// The evidence record's format lives in the core (plan.Record), beside the
// one rule that says whether a record read back is apply's
// (plan.StoredRecord.Untrusted); apply writes it. The names below are
// apply's words for it.

// RecordSchemaVersion is the evidence record format version.
const RecordSchemaVersion = plan.RecordSchemaVersion

type (
	// Record is the evidence record of one promotion (plan.Record).
	Record = plan.Record
	// RecordPR identifies the pull request and commits.
	RecordPR = plan.RecordPR
	// RecordPackage is a model package in one account.
	RecordPackage = plan.RecordPackage
	// RecordArtifact is one copied object.
	RecordArtifact = plan.RecordArtifact
	// RecordEndpoint is the endpoint before and after.
	RecordEndpoint = plan.RecordEndpoint
)

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
