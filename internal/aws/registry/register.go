package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// adoptScan bounds how many of a group's newest packages are described when
// looking for one registered from the same source.
const adoptScan = 100

// Registered is the target package a copy produced or found.
type Registered struct {
	ARN string
	// Adopted is true when an earlier run had already registered it.
	Adopted bool
}

// Register makes sure the target registry holds the copy of req.Source:
// the group exists; a package whose provenance names the same source ARN is
// adopted; otherwise one is created from CopyInput with req's deterministic
// client token. Either way it waits for Completed, then sets Approved.
func (r *Registry) Register(ctx context.Context, req CopyRequest, poll time.Duration) (Registered, error) {
	if poll <= 0 {
		poll = 2 * time.Second
	}
	sourceARN := aws.ToString(req.Source.ModelPackageArn)
	if err := r.ensureGroup(ctx, req.TargetGroup); err != nil {
		return Registered{}, err
	}
	found, err := r.FindBySource(ctx, req.TargetGroup, sourceARN)
	if err != nil {
		return Registered{}, err
	}
	reg := Registered{ARN: found, Adopted: found != ""}
	if found == "" {
		in, err := CopyInput(req)
		if err != nil {
			return Registered{}, err
		}
		out, err := r.SM.CreateModelPackage(ctx, in)
		if err != nil {
			return Registered{}, fmt.Errorf("create model package in %s: %w", req.TargetGroup, err)
		}
		reg.ARN = aws.ToString(out.ModelPackageArn)
	}
	desc, err := r.waitCompleted(ctx, reg.ARN, poll)
	if err != nil {
		return reg, err
	}
	if desc.ModelApprovalStatus != types.ModelApprovalStatusApproved {
		if _, err := r.SM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
			ModelPackageArn:     aws.String(reg.ARN),
			ModelApprovalStatus: types.ModelApprovalStatusApproved,
			ApprovalDescription: aws.String("Approved by modelpromote: " + req.Provenance[plan.ProvenancePullRequest]),
		}); err != nil {
			return reg, fmt.Errorf("approve %s: %w", reg.ARN, err)
		}
	}
	return reg, nil
}

func (r *Registry) ensureGroup(ctx context.Context, group string) error {
	_, err := r.SM.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	if err == nil {
		return nil
	}
	if !awserr.IsNotFound(err) {
		return fmt.Errorf("describe model package group %s: %w", group, err)
	}
	_, err = r.SM.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{
		ModelPackageGroupName:        aws.String(group),
		ModelPackageGroupDescription: aws.String("Promoted by modelpromote"),
	})
	if err != nil && awserr.Code(err) != "ResourceInUse" {
		return fmt.Errorf("create model package group %s: %w", group, err)
	}
	return nil
}

// FindBySource returns the ARN of the package in group whose provenance
// names sourceARN, or "".
func (r *Registry) FindBySource(ctx context.Context, group, sourceARN string) (string, error) {
	pages := sagemaker.NewListModelPackagesPaginator(r.SM, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group), ModelPackageType: types.ModelPackageTypeVersioned,
		SortBy: types.ModelPackageSortByCreationTime, SortOrder: types.SortOrderDescending, MaxResults: aws.Int32(50)})
	scanned := 0
	for pages.HasMorePages() && scanned < adoptScan {
		page, err := pages.NextPage(ctx)
		if awserr.IsNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("list model packages of %s: %w", group, err)
		}
		for _, s := range page.ModelPackageSummaryList {
			scanned++
			d, err := r.DescribeARN(ctx, aws.ToString(s.ModelPackageArn))
			if err != nil {
				return "", err
			}
			if d.CustomerMetadataProperties[plan.ProvenanceSourceARN] == sourceARN && d.ModelPackageStatus != types.ModelPackageStatusFailed {
				return aws.ToString(d.ModelPackageArn), nil
			}
		}
	}
	return "", nil
}

// waitCompleted polls a package until Completed (there is no SDK waiter
// for it), backing off, and fails on Failed.
func (r *Registry) waitCompleted(ctx context.Context, arn string, poll time.Duration) (*sagemaker.DescribeModelPackageOutput, error) {
	delay := poll
	for {
		d, err := r.DescribeARN(ctx, arn)
		if err != nil {
			return nil, err
		}
		switch d.ModelPackageStatus {
		case types.ModelPackageStatusCompleted:
			return d, nil
		case types.ModelPackageStatusFailed, types.ModelPackageStatusDeleting:
			reason := ""
			if sd := d.ModelPackageStatusDetails; sd != nil && len(sd.ValidationStatuses) > 0 {
				reason = ": " + aws.ToString(sd.ValidationStatuses[0].FailureReason)
			}
			return nil, fmt.Errorf("model package %s is %s%s", arn, d.ModelPackageStatus, reason)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s to complete: %w", arn, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}
