// Package registry reads (and, for apply, writes) a SageMaker Model
// Registry: model packages, what produced them, and model cards. It turns
// SDK shapes into plan's plain types.
package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Registry is one account's model registry.
type Registry struct {
	SM      *sagemaker.Client
	Account string
	Region  string
	// Shared is set when SM's credentials belong to another account, which
	// shares this registry's groups by their resource policies: groups are
	// then named by ARN, as SageMaker requires across accounts.
	Shared bool
}

// New returns the registry of the account cfg's credentials belong to.
func New(cfg aws.Config, account string) *Registry {
	return &Registry{SM: sagemaker.NewFromConfig(cfg), Account: account, Region: cfg.Region}
}

// PackageARN returns the ARN of a versioned model package. SageMaker
// writes resource names in ARNs in lower case.
func (r *Registry) PackageARN(group string, version int) string {
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:model-package/%s/%d", manifest.PartitionOf(r.Region), r.Region, r.Account, strings.ToLower(group), version)
}

// GroupARN returns the ARN of a model package group.
func (r *Registry) GroupARN(group string) string {
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:model-package-group/%s", manifest.PartitionOf(r.Region), r.Region, r.Account, strings.ToLower(group))
}

// groupRef names group in a request: by name, or by ARN in a shared
// registry.
func (r *Registry) groupRef(group string) string {
	if r.Shared {
		return r.GroupARN(group)
	}
	return group
}

// shareErr marks a refusal by a shared registry as plan.ErrNotShared:
// the group's resource policy does not grant the caller.
func (r *Registry) shareErr(err error) error {
	if r.Shared {
		return notShared(err)
	}
	return err
}

// notShared marks a refusal by another account's resource policy as
// plan.ErrNotShared.
func notShared(err error) error {
	if err != nil && awserr.IsAccessDenied(err) {
		return fmt.Errorf("%w: %w", plan.ErrNotShared, err)
	}
	return err
}

// Describe returns the full description of version of group, or an error
// wrapping plan.ErrNotFound.
func (r *Registry) Describe(ctx context.Context, group string, version int) (*sagemaker.DescribeModelPackageOutput, error) {
	return r.DescribeARN(ctx, r.PackageARN(group, version))
}

// DescribeARN describes a model package by ARN.
func (r *Registry) DescribeARN(ctx context.Context, arn string) (*sagemaker.DescribeModelPackageOutput, error) {
	out, err := r.SM.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if awserr.IsNotFound(err) {
		return nil, fmt.Errorf("model package %s: %w", arn, plan.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("describe model package %s: %w", arn, r.shareErr(err))
	}
	return out, nil
}

// ModelPackage implements plan.Registry.
func (r *Registry) ModelPackage(ctx context.Context, group string, version int) (*plan.ModelPackage, error) {
	out, err := r.Describe(ctx, group, version)
	if err != nil {
		return nil, err
	}
	p := Convert(out)
	if p.Group == "" {
		p.Group = group
	}
	return p, nil
}

// Convert turns a DescribeModelPackage output into plan's type.
func Convert(out *sagemaker.DescribeModelPackageOutput) *plan.ModelPackage {
	p := &plan.ModelPackage{
		ARN:              aws.ToString(out.ModelPackageArn),
		Group:            aws.ToString(out.ModelPackageGroupName),
		Version:          int(aws.ToInt32(out.ModelPackageVersion)),
		Status:           string(out.ModelPackageStatus),
		ApprovalStatus:   string(out.ModelApprovalStatus),
		CreatedAt:        aws.ToTime(out.CreationTime),
		Description:      aws.ToString(out.ModelPackageDescription),
		CustomerMetadata: out.CustomerMetadataProperties,
	}
	if spec := out.InferenceSpecification; spec != nil {
		for _, c := range spec.Containers {
			url := aws.ToString(c.ModelDataUrl)
			if url == "" && c.ModelDataSource != nil && c.ModelDataSource.S3DataSource != nil {
				url = aws.ToString(c.ModelDataSource.S3DataSource.S3Uri)
			}
			p.Containers = append(p.Containers, plan.Container{Image: aws.ToString(c.Image), ModelDataURL: url})
		}
	}
	if m := out.MetadataProperties; m != nil {
		p.CommitID, p.Repository = aws.ToString(m.CommitId), aws.ToString(m.Repository)
		p.GeneratedBy, p.ProjectID = aws.ToString(m.GeneratedBy), aws.ToString(m.ProjectId)
	}
	refs := described(out).refs()
	p.Objects, p.Reports = objects(refs), reports(refs)
	p.ModelCardName = out.CustomerMetadataProperties["ModelCardName"]
	return p
}

// PipelineExecution implements plan.Registry.
func (r *Registry) PipelineExecution(ctx context.Context, arn string) (*plan.PipelineExecution, error) {
	out, err := r.SM.DescribePipelineExecution(ctx, &sagemaker.DescribePipelineExecutionInput{PipelineExecutionArn: aws.String(arn)})
	if awserr.IsNotFound(err) {
		return nil, fmt.Errorf("pipeline execution %s: %w", arn, plan.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("describe pipeline execution: %w", err)
	}
	e := &plan.PipelineExecution{ARN: aws.ToString(out.PipelineExecutionArn), Status: string(out.PipelineExecutionStatus)}
	pages := sagemaker.NewListPipelineExecutionStepsPaginator(r.SM, &sagemaker.ListPipelineExecutionStepsInput{PipelineExecutionArn: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list pipeline execution steps: %w", err)
		}
		for _, s := range page.PipelineExecutionSteps {
			step := plan.PipelineStep{Name: aws.ToString(s.StepName), Status: string(s.StepStatus)}
			if md := s.Metadata; md != nil {
				if md.TrainingJob != nil {
					step.TrainingJobARN = aws.ToString(md.TrainingJob.Arn)
				}
				if md.ProcessingJob != nil {
					step.ProcessingJobARN = aws.ToString(md.ProcessingJob.Arn)
				}
				if md.RegisterModel != nil {
					step.ModelPackageARN = aws.ToString(md.RegisterModel.Arn)
				}
			}
			e.Steps = append(e.Steps, step)
		}
	}
	return e, nil
}

// TrainingJob implements plan.Registry.
func (r *Registry) TrainingJob(ctx context.Context, nameOrARN string) (*plan.TrainingJob, error) {
	name := nameOrARN
	if i := strings.LastIndex(nameOrARN, ":training-job/"); i >= 0 {
		name = nameOrARN[i+len(":training-job/"):]
	}
	out, err := r.SM.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String(name)})
	if awserr.IsNotFound(err) {
		return nil, fmt.Errorf("training job %s: %w", name, plan.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("describe training job %s: %w", name, err)
	}
	j := &plan.TrainingJob{Name: aws.ToString(out.TrainingJobName), ARN: aws.ToString(out.TrainingJobArn), Status: string(out.TrainingJobStatus), Inputs: map[string]string{}}
	if out.ModelArtifacts != nil {
		j.ModelArtifacts = aws.ToString(out.ModelArtifacts.S3ModelArtifacts)
	}
	for _, ch := range out.InputDataConfig {
		if ch.DataSource != nil && ch.DataSource.S3DataSource != nil {
			j.Inputs[aws.ToString(ch.ChannelName)] = aws.ToString(ch.DataSource.S3DataSource.S3Uri)
		}
	}
	return j, nil
}

// ModelCard implements plan.Registry.
func (r *Registry) ModelCard(ctx context.Context, name string) (*plan.ModelCard, error) {
	out, err := r.SM.DescribeModelCard(ctx, &sagemaker.DescribeModelCardInput{ModelCardName: aws.String(name)})
	if awserr.IsNotFound(err) {
		return nil, fmt.Errorf("model card %s: %w", name, plan.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("describe model card %s: %w", name, err)
	}
	return &plan.ModelCard{
		Name:      aws.ToString(out.ModelCardName),
		Version:   int(aws.ToInt32(out.ModelCardVersion)),
		Status:    string(out.ModelCardStatus),
		Content:   []byte(aws.ToString(out.Content)),
		UpdatedAt: aws.ToTime(out.LastModifiedTime),
	}, nil
}
