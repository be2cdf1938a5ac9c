// Package endpoints reads and deploys SageMaker endpoints in target
// accounts. Reading traces what an endpoint serves: endpoint → endpoint
// config → model → target model package → the provenance apply wrote
// into it (the source package ARN). Deploying ([Deployer]) creates a model
// and endpoint config per deployment, creates the endpoint or moves it to
// the new config with a blue/green update, and judges the rollout by the
// config that ends up serving, not by InService alone.
package endpoints

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Configs gives the aws.Config of an environment (accounts.Accounts does).
type Configs interface {
	Environment(env manifest.Environment) aws.Config
}

// Stages implements plan.Stages over every target environment.
type Stages struct {
	Configs Configs
	mu      sync.Mutex
	clients map[string]*sagemaker.Client
	// scaling are the Application Auto Scaling clients (Configured).
	scaling map[string]*applicationautoscaling.Client
}

// NewStages returns Stages reading with the environments' credentials.
func NewStages(c Configs) *Stages {
	return &Stages{Configs: c, clients: map[string]*sagemaker.Client{}, scaling: map[string]*applicationautoscaling.Client{}}
}

// Client returns the SageMaker client of an environment.
func (s *Stages) Client(env manifest.Environment) *sagemaker.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[env.Name]; ok {
		return c
	}
	c := sagemaker.NewFromConfig(s.Configs.Environment(env))
	s.clients[env.Name] = c
	return c
}

// Serving implements plan.Stages.
func (s *Stages) Serving(ctx context.Context, env manifest.Environment, endpoint string) (*plan.Serving, error) {
	return Trace(ctx, s.Client(env), endpoint)
}

// Registered implements plan.Stages: the copy a registry-only
// environment's registry holds of a source package.
func (s *Stages) Registered(ctx context.Context, env manifest.Environment, group, sourceARN string) (*plan.Live, error) {
	r := &registry.Registry{SM: s.Client(env), Account: env.Account, Region: env.Region}
	return r.Held(ctx, group, sourceARN)
}

// Trace follows an endpoint to the source package it serves. It returns
// nil when the endpoint does not exist. An endpoint modelpromote did not
// deploy is returned with SourceVersion 0.
func Trace(ctx context.Context, sm *sagemaker.Client, endpoint string) (*plan.Serving, error) {
	l, err := Inspect(ctx, sm, endpoint)
	if l == nil || err != nil {
		return nil, err
	}
	return &l.Serving, nil
}

// Live implements status's read of a stage: Inspect with env's client.
func (s *Stages) Live(ctx context.Context, env manifest.Environment, endpoint string) (*plan.Live, error) {
	return Inspect(ctx, s.Client(env), endpoint)
}

// Inspect is Trace with what it reads on the way kept: the variants of the
// serving config and the provenance of the target package. Four dependent
// calls: endpoint → config → model → package.
func Inspect(ctx context.Context, sm *sagemaker.Client, endpoint string) (*plan.Live, error) {
	l, _, err := inspect(ctx, sm, endpoint)
	return l, err
}

// described is what inspect read on the way: the endpoint, its serving
// config and that config's first model (nil when it has none).
type described struct {
	endpoint *sagemaker.DescribeEndpointOutput
	config   *sagemaker.DescribeEndpointConfigOutput
	model    *sagemaker.DescribeModelOutput
}

func inspect(ctx context.Context, sm *sagemaker.Client, endpoint string) (*plan.Live, *described, error) {
	ep, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	if awserr.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("describe endpoint %s: %w", endpoint, err)
	}
	l := &plan.Live{Serving: plan.Serving{
		Endpoint:       endpoint,
		EndpointStatus: string(ep.EndpointStatus),
		EndpointConfig: aws.ToString(ep.EndpointConfigName),
		Since:          aws.ToTime(ep.LastModifiedTime),
	}, FailureReason: aws.ToString(ep.FailureReason)}
	s := &l.Serving
	cfg, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: ep.EndpointConfigName})
	if err != nil {
		return nil, nil, fmt.Errorf("describe endpoint config %s: %w", s.EndpointConfig, err)
	}
	d := &described{endpoint: ep, config: cfg}
	l.Variants = variants(ep.ProductionVariants, cfg.ProductionVariants)
	if len(cfg.ProductionVariants) == 0 {
		return l, d, nil
	}
	model, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: cfg.ProductionVariants[0].ModelName})
	if err != nil {
		return nil, nil, fmt.Errorf("describe model %s: %w", aws.ToString(cfg.ProductionVariants[0].ModelName), err)
	}
	d.model = model
	pkgARN := ""
	if model.PrimaryContainer != nil {
		pkgARN = aws.ToString(model.PrimaryContainer.ModelPackageName)
	}
	for _, c := range model.Containers {
		if pkgARN == "" {
			pkgARN = aws.ToString(c.ModelPackageName)
		}
	}
	if pkgARN == "" {
		return l, d, nil // not deployed from a model package: not ours
	}
	pkg, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(pkgARN)})
	if err != nil {
		return nil, nil, fmt.Errorf("describe model package %s: %w", pkgARN, err)
	}
	s.TargetPackageARN = aws.ToString(pkg.ModelPackageArn)
	l.Provenance = plan.ProvenanceOf(pkg.CustomerMetadataProperties)
	src := pkg.CustomerMetadataProperties[plan.ProvenanceSourceARN]
	if src == "" {
		return l, d, nil
	}
	s.SourcePackageARN = src
	s.SourceVersion = VersionOf(src)
	return l, d, nil
}

// VersionOf returns the version of a versioned model package ARN, or 0.
func VersionOf(arn string) int {
	i := strings.LastIndexByte(arn, '/')
	if i < 0 {
		return 0
	}
	v, err := strconv.Atoi(arn[i+1:])
	if err != nil || v < 1 {
		return 0
	}
	return v
}

// variants joins the config's variants (type, serverless settings) with
// the endpoint's (the instance count running now).
func variants(running []types.ProductionVariantSummary, configured []types.ProductionVariant) []plan.LiveVariant {
	current := map[string]types.ProductionVariantSummary{}
	for _, r := range running {
		current[aws.ToString(r.VariantName)] = r
	}
	out := make([]plan.LiveVariant, 0, len(configured))
	for _, c := range configured {
		v := plan.LiveVariant{Name: aws.ToString(c.VariantName), InstanceType: string(c.InstanceType),
			CurrentInstanceCount: int(aws.ToInt32(c.InitialInstanceCount))}
		sc := c.ServerlessConfig
		if r, ok := current[v.Name]; ok {
			if r.CurrentInstanceCount != nil {
				v.CurrentInstanceCount = int(*r.CurrentInstanceCount)
			}
			if r.CurrentServerlessConfig != nil {
				sc = r.CurrentServerlessConfig
			}
		}
		if sc != nil {
			v.CurrentInstanceCount = 0
			v.Serverless = &plan.ServerlessSettings{MemorySizeMB: int(aws.ToInt32(sc.MemorySizeInMB)), MaxConcurrency: int(aws.ToInt32(sc.MaxConcurrency))}
		}
		out = append(out, v)
	}
	return out
}
