package endpoints

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// owned is a model or endpoint config modelpromote created for an endpoint.
type owned struct {
	name    string
	created time.Time
}

// Cleanup deletes the endpoint configs and models modelpromote created for
// endpoint that have been superseded. It keeps the config serving and the
// keep-1 newest of ours created before it (keep 2: the current and the
// previous one, to roll back to), and anything created after the current
// config (a failed attempt a rerun would adopt, or a deployment under
// way). Only resources named after the endpoint and tagged TagEndpoint
// with its name are touched, and only while the endpoint is InService with
// no update in progress.
func (d *Deployer) Cleanup(ctx context.Context, endpoint string, keep int) error {
	if keep < 1 {
		return fmt.Errorf("clean up %s: keep must be at least 1 (the serving config), not %d", endpoint, keep)
	}
	ep, err := d.SM.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	if err != nil {
		return fmt.Errorf("clean up %s: describe endpoint: %w", endpoint, err)
	}
	if ep.EndpointStatus != types.EndpointStatusInService || ep.PendingDeploymentSummary != nil {
		return fmt.Errorf("clean up %s: endpoint is %s; clean up only after a deployment succeeded", endpoint, ep.EndpointStatus)
	}
	current := aws.ToString(ep.EndpointConfigName)
	configs, err := d.ownedConfigs(ctx, endpoint)
	if err != nil {
		return err
	}
	models, err := d.ownedModels(ctx, endpoint)
	if err != nil {
		return err
	}
	cur, err := d.SM.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(current)})
	if err != nil {
		return fmt.Errorf("clean up %s: describe serving config %s: %w", endpoint, current, err)
	}
	since := aws.ToTime(cur.CreationTime)

	// configs is newest first; older counts the ones kept from before the
	// current config, which counts as one.
	kept, drop, older := []string{current}, []string(nil), 1
	for _, c := range configs {
		switch {
		case c.name == current:
		case c.created.After(since):
			kept = append(kept, c.name)
		case older < keep:
			kept = append(kept, c.name)
			older++
		default:
			drop = append(drop, c.name)
		}
	}
	inUse := map[string]bool{}
	for _, name := range kept {
		c, err := d.SM.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("clean up %s: describe kept config %s: %w", endpoint, name, err)
		}
		for _, v := range c.ProductionVariants {
			inUse[aws.ToString(v.ModelName)] = true
		}
	}
	for _, name := range drop {
		if _, err := d.SM.DeleteEndpointConfig(ctx, &sagemaker.DeleteEndpointConfigInput{EndpointConfigName: aws.String(name)}); err != nil && !awserr.IsNotFound(err) {
			return fmt.Errorf("clean up %s: delete endpoint config %s: %w", endpoint, name, err)
		}
	}
	for _, m := range models {
		if inUse[m.name] || m.created.After(since) {
			continue
		}
		if _, err := d.SM.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String(m.name)}); err != nil && !awserr.IsNotFound(err) {
			return fmt.Errorf("clean up %s: delete model %s: %w", endpoint, m.name, err)
		}
	}
	return nil
}

// ownedConfigs lists the endpoint configs modelpromote created for
// endpoint, newest first.
func (d *Deployer) ownedConfigs(ctx context.Context, endpoint string) ([]owned, error) {
	var out []owned
	p := sagemaker.NewListEndpointConfigsPaginator(d.SM, &sagemaker.ListEndpointConfigsInput{
		NameContains: aws.String(namePrefix(endpoint)), SortBy: types.EndpointConfigSortKeyCreationTime, SortOrder: types.OrderKeyDescending})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("clean up %s: list endpoint configs: %w", endpoint, err)
		}
		for _, c := range page.EndpointConfigs {
			ok, err := d.ownedBy(ctx, aws.ToString(c.EndpointConfigArn), endpoint)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, owned{aws.ToString(c.EndpointConfigName), aws.ToTime(c.CreationTime)})
			}
		}
	}
	return sortNewest(out), nil
}

// ownedModels lists the models modelpromote created for endpoint.
func (d *Deployer) ownedModels(ctx context.Context, endpoint string) ([]owned, error) {
	var out []owned
	p := sagemaker.NewListModelsPaginator(d.SM, &sagemaker.ListModelsInput{NameContains: aws.String(namePrefix(endpoint))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("clean up %s: list models: %w", endpoint, err)
		}
		for _, m := range page.Models {
			ok, err := d.ownedBy(ctx, aws.ToString(m.ModelArn), endpoint)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, owned{aws.ToString(m.ModelName), aws.ToTime(m.CreationTime)})
			}
		}
	}
	return sortNewest(out), nil
}

// ownedBy reports whether a resource carries TagEndpoint = endpoint.
func (d *Deployer) ownedBy(ctx context.Context, arn, endpoint string) (bool, error) {
	p := sagemaker.NewListTagsPaginator(d.SM, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			if aws.ToString(t.Key) == TagEndpoint {
				return aws.ToString(t.Value) == endpoint, nil
			}
		}
	}
	return false, nil
}

func sortNewest(o []owned) []owned {
	slices.SortStableFunc(o, func(a, b owned) int { return b.created.Compare(a.created) })
	return o
}
