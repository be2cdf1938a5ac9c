// Package images reads container images and repository policies in Amazon
// ECR for the check: an image resolved to its digest in the source
// account's registry (DescribeImages, through the source read role), the
// source repository's policy (GetRepositoryPolicy), and the same digest in
// an environment's imageMirror (DescribeImages, through its read role).
package images

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Configs gives the aws.Config of an environment (accounts.Readers does).
type Configs interface {
	Environment(env manifest.Environment) aws.Config
}

// Registry implements plan.Images.
type Registry struct {
	source  *ecr.Client
	configs Configs

	mu      sync.Mutex
	clients map[string]*ecr.Client
}

// New reads the source registry with source and environments' registries
// with configs' read configurations.
func New(source aws.Config, configs Configs) *Registry {
	return &Registry{source: ecr.NewFromConfig(source), configs: configs, clients: map[string]*ecr.Client{}}
}

func (r *Registry) client(env *manifest.Environment) *ecr.Client {
	if env == nil {
		return r.source
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[env.Name]; ok {
		return c
	}
	c := ecr.NewFromConfig(r.configs.Environment(*env))
	r.clients[env.Name] = c
	return c
}

// Digest implements plan.Images with DescribeImages
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html):
// ImageNotFoundException and RepositoryNotFoundException are
// plan.ErrNotFound.
func (r *Registry) Digest(ctx context.Context, env *manifest.Environment, image plan.ImageRef) (string, error) {
	id := types.ImageIdentifier{}
	switch {
	case image.Digest != "":
		id.ImageDigest = aws.String(image.Digest)
	case image.Tag != "":
		id.ImageTag = aws.String(image.Tag)
	default:
		id.ImageTag = aws.String("latest")
	}
	out, err := r.client(env).DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: aws.String(image.Registry),
		RepositoryName: aws.String(image.Repository), ImageIds: []types.ImageIdentifier{id}})
	if err != nil {
		if notFound(err) {
			return "", fmt.Errorf("%s: %w", image, plan.ErrNotFound)
		}
		return "", fmt.Errorf("describe image %s: %w", image, err)
	}
	if len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) == "" {
		return "", fmt.Errorf("describe image %s: ECR answered %d images", image, len(out.ImageDetails))
	}
	return aws.ToString(out.ImageDetails[0].ImageDigest), nil
}

// RepositoryPolicy implements plan.Images with GetRepositoryPolicy
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRepositoryPolicy.html):
// RepositoryPolicyNotFoundException is plan.ErrNotFound.
func (r *Registry) RepositoryPolicy(ctx context.Context, env *manifest.Environment, image plan.ImageRef) (string, error) {
	out, err := r.client(env).GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RegistryId: aws.String(image.Registry),
		RepositoryName: aws.String(image.Repository)})
	if awserr.Code(err) == "RepositoryPolicyNotFoundException" {
		return "", fmt.Errorf("repository %s: %w", image.Repository, plan.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get the policy of repository %s in account %s: %w", image.Repository, image.Registry, err)
	}
	return aws.ToString(out.PolicyText), nil
}

func notFound(err error) bool {
	switch awserr.Code(err) {
	case "ImageNotFoundException", "RepositoryNotFoundException":
		return true
	}
	return false
}
