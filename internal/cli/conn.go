package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/modelpromote/modelpromote/internal/github"
)

// connFlags are how a command reaches GitHub and AWS.
type connFlags struct {
	Repo        string
	GitHubURL   string
	AWSRegion   string
	AWSEndpoint string
	S3PathStyle bool
}

func (c *connFlags) register(fs *flag.FlagSet) { c.registerAs(fs, "repo") }

// registerAs registers the flags, naming the repository flag repoFlag (the
// plan command's --repo is a local directory).
func (c *connFlags) registerAs(fs *flag.FlagSet, repoFlag string) {
	fs.StringVar(&c.Repo, repoFlag, "", "GitHub repository as owner/name (default $GITHUB_REPOSITORY)")
	fs.StringVar(&c.GitHubURL, "github-url", "", "GitHub API base URL, e.g. https://ghe.example.com/api/v3/ (default $GITHUB_API_URL or api.github.com)")
	fs.StringVar(&c.AWSRegion, "aws-region", "", "AWS region for STS (default from the AWS configuration)")
	fs.StringVar(&c.AWSEndpoint, "aws-endpoint-url", "", "send every AWS request to this endpoint (emulators, testing); the SDK also honours $AWS_ENDPOINT_URL")
	fs.BoolVar(&c.S3PathStyle, "s3-path-style", false, "use path-style S3 addressing (emulators, S3-compatible servers)")
}

// githubRepo builds the GitHub adapter. The token comes from $GITHUB_TOKEN
// only, never from a flag, so it stays out of process listings and logs.
func (c *connFlags) githubRepo(s Streams) (*github.Repo, error) {
	repo := c.Repo
	if repo == "" {
		repo = s.Getenv("GITHUB_REPOSITORY")
	}
	owner, name, err := github.ParseRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("--repo: %w", err)
	}
	token := s.Getenv("GITHUB_TOKEN")
	if token == "" {
		return nil, fmt.Errorf("$GITHUB_TOKEN is not set")
	}
	base := c.GitHubURL
	if base == "" {
		base = s.Getenv("GITHUB_API_URL")
	}
	gh, err := github.NewClient(base, token, nil)
	if err != nil {
		return nil, fmt.Errorf("--github-url: %w", err)
	}
	return github.NewRepo(gh, owner, name), nil
}

// awsConfig loads the ambient AWS configuration.
func (c *connFlags) awsConfig(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.AWSRegion != "" {
		opts = append(opts, config.WithRegion(c.AWSRegion))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if c.AWSEndpoint != "" {
		cfg.BaseEndpoint = aws.String(c.AWSEndpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // STS is global; environments name their regions
	}
	return cfg, nil
}
