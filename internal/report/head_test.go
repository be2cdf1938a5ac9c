package report

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// The heading names the package by the model file's version (the source
// registry's); a stage sourced from a registry-only stage also names that
// registry's copy by its own number, which differs.
func TestPromotionHeadNamesTheModelFilesVersion(t *testing.T) {
	pkg := &plan.ModelPackage{Group: "risk-score", Version: 1, ApprovalStatus: "Approved"}
	for _, c := range []struct {
		name    string
		details plan.Details
		want    string
	}{
		{name: "from the source registry", details: plan.Details{Package: &plan.ModelPackage{Group: "risk-score", Version: 3, ApprovalStatus: "Approved"}},
			want: " · package risk-score v3 (Approved)"},
		{name: "sourced from central", details: plan.Details{Package: pkg, Source: &plan.SourceDetail{Stage: "central", Account: "444444444444", Mode: plan.UpstreamShared}},
			want: " · package risk-score v3, central's copy v1 (Approved)"},
		{name: "not read", want: " · package risk-score v3\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pr := &plan.Promotion{Details: c.details}
			pr.Model, pr.Stage, pr.ModelPackageGroup, pr.FromVersion, pr.ToVersion = "risk-score", "staging", "risk-score", 2, 3
			got := (&renderer{p: &plan.Plan{}}).promotionHead(pr).head
			if !strings.Contains(got, c.want) {
				t.Errorf("heading %q lacks %q", got, c.want)
			}
		})
	}
}
