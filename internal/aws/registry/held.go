package registry

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// Held returns the package of group this registry holds of sourceARN (its
// provenance names it), as a registry-only stage's "live" state: nil when
// there is none. Since is when the copy was registered; ApprovalStatus is
// its approval.
func (r *Registry) Held(ctx context.Context, group, sourceARN string) (*plan.Live, error) {
	d, err := r.findBySource(ctx, group, sourceARN)
	if d == nil || err != nil {
		return nil, err
	}
	_, version, _ := plan.PackageGroupVersion(sourceARN)
	return &plan.Live{
		Serving: plan.Serving{
			SourcePackageARN: sourceARN,
			SourceVersion:    version,
			TargetPackageARN: aws.ToString(d.ModelPackageArn),
			ApprovalStatus:   string(d.ModelApprovalStatus),
			Since:            aws.ToTime(d.CreationTime),
		},
		Provenance: plan.ProvenanceOf(d.CustomerMetadataProperties),
	}, nil
}
