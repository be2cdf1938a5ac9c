package plan

import "strings"

// Provenance keys apply writes into a target model package's
// CustomerMetadataProperties, and the check reads back to trace what an
// endpoint serves to the source package it was promoted from.
const (
	ProvenanceSourceARN     = "modelpromote:source-arn"
	ProvenanceSourceAccount = "modelpromote:source-account"
	ProvenancePullRequest   = "modelpromote:pull-request"
	ProvenanceMergeSHA      = "modelpromote:merge-sha"
	ProvenanceApprovers     = "modelpromote:approvers"
	ProvenanceEvidence      = "modelpromote:evidence"
	// ProvenanceGeneratedBy keeps the source's MetadataProperties.GeneratedBy
	// (a job in the source account) as provenance.
	ProvenanceGeneratedBy = "modelpromote:source-generated-by"
	// ProvenanceVia names, on a package of a stage sourced from a
	// registry-only stage, the copy there it was registered from; the
	// source ARN and account stay the source registry's.
	ProvenanceVia = "modelpromote:via"
)

// ProvenanceOf returns the modelpromote:* entries of a package's
// CustomerMetadataProperties; nil when it has none.
func ProvenanceOf(metadata map[string]string) map[string]string {
	var out map[string]string
	for k, v := range metadata {
		if strings.HasPrefix(k, ProvenancePrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
