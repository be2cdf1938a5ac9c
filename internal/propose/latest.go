package propose

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// LatestApproved returns the newest Approved, Completed version of a model
// package group in the source registry. Proposals pin the number it
// returns: "latest" is resolved once, here, never left floating.
func LatestApproved(ctx context.Context, sm *sagemaker.Client, group string) (int, error) {
	pages := sagemaker.NewListModelPackagesPaginator(sm, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		ModelPackageType:      types.ModelPackageTypeVersioned,
		SortBy:                types.ModelPackageSortByCreationTime,
		SortOrder:             types.SortOrderDescending,
		MaxResults:            aws.Int32(20),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list approved versions of %s: %w", group, err)
		}
		for _, s := range page.ModelPackageSummaryList {
			if s.ModelPackageStatus == types.ModelPackageStatusCompleted && aws.ToInt32(s.ModelPackageVersion) > 0 {
				return int(aws.ToInt32(s.ModelPackageVersion)), nil
			}
		}
	}
	return 0, fmt.Errorf("model package group %s has no Approved, Completed version", group)
}
