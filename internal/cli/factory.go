package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Connection is how a command reaches GitHub and AWS: its flags, over the
// environment's defaults. Every command that reaches either takes the same
// flags with the same names (see registerConnection).
type Connection struct {
	// Repo is the GitHub repository, owner/name (default
	// $GITHUB_REPOSITORY).
	Repo string
	// GitHubURL is the API base URL (default $GITHUB_API_URL, else
	// api.github.com), for GitHub Enterprise Server.
	GitHubURL string
	// AWSRegion is STS's region (default the AWS configuration's).
	AWSRegion string
	// AWSEndpoint sends every AWS request to one endpoint (emulators).
	AWSEndpoint string
	// S3PathStyle forces path-style S3 addressing.
	S3PathStyle bool
}

// Factory builds what commands connect with; it is the one place that knows
// how modelpromote reaches GitHub and AWS, as the GitHub CLI's cmdutil.Factory
// is for gh. Main gets NewFactory's; tests point it at the emulators.
type Factory struct {
	Streams
	// GitHubTransport carries every GitHub API request (nil:
	// http.DefaultTransport). GitHub clients are built by
	// github.NewClient over it, with retries on rate limits.
	GitHubTransport http.RoundTripper
	// GitHubRepo builds the adapter for the repository a command works on,
	// with the token from $GITHUB_TOKEN (never a flag: flags show in
	// process listings).
	GitHubRepo func(c Connection) (*github.Repo, error)
	// GitHubApp builds the GitHub App client `serve` authenticates as.
	GitHubApp func(c Connection, id int64, key []byte) (*github.App, error)
	// AWSConfig loads the AWS configuration the accounts' roles are
	// assumed from.
	AWSConfig func(ctx context.Context, c Connection) (aws.Config, error)
	// S3PathStyle forces path-style S3 for every command, including
	// `action`, which takes no flags (emulators).
	S3PathStyle bool
	// Listen opens `serve`'s listener.
	Listen func(addr string) (net.Listener, error)
	// Poll is apply's first polling interval for packages and endpoints
	// (0: apply's default, paced for SageMaker; the emulators settle in
	// milliseconds).
	Poll time.Duration
}

// NewFactory returns the factory of the real world: GitHub over HTTPS with
// $GITHUB_TOKEN, AWS from the SDK's default chain.
func NewFactory(s Streams) *Factory {
	f := &Factory{Streams: s}
	f.GitHubRepo = f.gitHubRepo
	f.GitHubApp = f.gitHubApp
	f.AWSConfig = loadAWSConfig
	f.Listen = func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
	return f
}

// gitHubAPIURL is the API base URL: the flag, else $GITHUB_API_URL (set in
// Actions, also on GitHub Enterprise Server), else "" for api.github.com.
func (f *Factory) gitHubAPIURL(c Connection) string {
	if c.GitHubURL != "" {
		return c.GitHubURL
	}
	return f.Getenv("GITHUB_API_URL")
}

func (f *Factory) gitHubRepo(c Connection) (*github.Repo, error) {
	repo := c.Repo
	if repo == "" {
		repo = f.Getenv("GITHUB_REPOSITORY")
	}
	owner, name, err := github.ParseRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("--repo: %w", err)
	}
	token := f.Getenv("GITHUB_TOKEN")
	if token == "" {
		return nil, fmt.Errorf("$GITHUB_TOKEN is not set")
	}
	gh, err := github.NewClient(f.gitHubAPIURL(c), token, f.GitHubTransport)
	if err != nil {
		return nil, fmt.Errorf("--github-url: %w", err)
	}
	return github.NewRepo(gh, owner, name), nil
}

func (f *Factory) gitHubApp(c Connection, id int64, key []byte) (*github.App, error) {
	return github.NewApp(id, key, f.gitHubAPIURL(c), f.GitHubTransport)
}

// loadAWSConfig loads the ambient AWS configuration: the SDK's default
// chain (environment, profile, SSO, web identity, instance role).
func loadAWSConfig(ctx context.Context, c Connection) (aws.Config, error) {
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

// httpClient is the client `action` reaches GitHub and the Actions OIDC
// endpoint with.
func (f *Factory) httpClient() *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: f.GitHubTransport}
}

// connection is a command's Connection and the flags that set it.
type connection struct {
	Connection
	f *Factory
}

// registerGitHub adds the GitHub flags: --github-url, and --repo unless
// the command works on many repositories (serve).
func (c *connection) registerGitHub(fs *flag.FlagSet, repo bool) {
	if repo {
		fs.StringVar(&c.Repo, "repo", "", "GitHub repository as owner/name (default $GITHUB_REPOSITORY)")
	}
	fs.StringVar(&c.GitHubURL, "github-url", "", "GitHub API base URL, e.g. https://ghe.example.com/api/v3/ (default $GITHUB_API_URL or api.github.com)")
}

// registerAWS adds the AWS flags.
func (c *connection) registerAWS(fs *flag.FlagSet) {
	fs.StringVar(&c.AWSRegion, "aws-region", "", "AWS region for STS (default from the AWS configuration)")
	fs.StringVar(&c.AWSEndpoint, "aws-endpoint-url", "", "send every AWS request to this endpoint (emulators, testing); the SDK also honours $AWS_ENDPOINT_URL")
	fs.BoolVar(&c.S3PathStyle, "s3-path-style", false, "use path-style S3 addressing (emulators, S3-compatible servers)")
}

func (c *connection) gitHubRepo() (*github.Repo, error) { return c.f.GitHubRepo(c.Connection) }

func (c *connection) awsConfig(ctx context.Context) (aws.Config, error) {
	return c.f.AWSConfig(ctx, c.Connection)
}

func (c *connection) s3PathStyle() bool { return c.S3PathStyle || c.f.S3PathStyle }

// appIDFlag registers --app-id, the modelpromote GitHub App's ID: only
// check runs that App created stand for a pull request's check.
func appIDFlag(fs *flag.FlagSet, id *int64) {
	fs.Int64Var(id, "app-id", 0, "the modelpromote GitHub App's ID: apply accepts only check runs it created (default $"+github.EnvAppID+")")
}

// appID is the --app-id flag's value, else $MODELPROMOTE_APP_ID's (0 when
// neither is set).
func appID(s Streams, flagValue int64) (int64, error) {
	if flagValue != 0 {
		if flagValue < 0 {
			return 0, fmt.Errorf("--app-id %d is not an App ID", flagValue)
		}
		return flagValue, nil
	}
	v := s.Getenv(github.EnvAppID)
	if v == "" {
		return 0, nil
	}
	id, ok := github.ParseAppID(v)
	if !ok {
		return 0, fmt.Errorf("$%s: %q is not an App ID", github.EnvAppID, v)
	}
	return id, nil
}

// dirFlag registers --dir, the promotions directory.
func dirFlag(fs *flag.FlagSet, dir *string, usage string) {
	fs.StringVar(dir, "dir", manifest.DefaultDir, usage)
}

// deprecatedAlias registers old as another name of the flag now called
// name, saying so when it is used.
func deprecatedAlias(fs *flag.FlagSet, s Streams, old, name string) {
	target := fs.Lookup(name)
	fs.Func(old, "deprecated: use --"+name, func(v string) error {
		fmt.Fprintf(s.Err, "modelpromote %s: --%s is deprecated; use --%s\n", fs.Name(), old, name)
		return target.Value.Set(v)
	})
}
