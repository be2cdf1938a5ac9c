package action

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
)

// awsConfig returns the base AWS configuration the core assumes the source
// and environment roles from (package accounts):
//
//   - without role-to-assume, the default chain (environment variables left
//     by aws-actions/configure-aws-credentials, a profile, instance roles);
//   - with role-to-assume, GitHub OIDC: the job's ID token for audience
//     sts.amazonaws.com buys the role with AssumeRoleWithWebIdentity. The
//     credentials are cached and refreshed before they expire by fetching
//     a fresh ID token, so a long rollout outlives any one session, and
//     every chained session (at most an hour) is refreshed from them.
//
// Either way every credential is masked in the log as soon as it is known.
func awsConfig(ctx context.Context, env Env, a *githubactions.Action, in Inputs, gctx *githubactions.GitHubContext) (aws.Config, error) {
	cfg, err := env.LoadAWS(ctx, in.AWSRegion)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // STS is global; environments name their regions
	}
	if in.RoleToAssume == "" {
		if cfg.Credentials != nil {
			cfg.Credentials = aws.NewCredentialsCache(maskedProvider{cfg.Credentials, a.AddMask})
		}
		return cfg, nil
	}
	tokens := &idTokens{ctx: ctx, a: a, audience: in.Audience}
	// AssumeRoleWithWebIdentity is unsigned: the ID token is the credential.
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
	session := in.RoleSessionName
	if session == "" {
		session = "modelpromote-gha-" + orDefault(a.Getenv("GITHUB_RUN_ID"), "run")
	}
	provider := stscreds.NewWebIdentityRoleProvider(client, in.RoleToAssume, tokens, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = accounts.SessionName(session)
		o.Duration = in.RoleDuration
	})
	cfg.Credentials = aws.NewCredentialsCache(maskedProvider{provider, a.AddMask}, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 5 * time.Minute
	})
	// Assume the role now, so a trust policy that does not match this run
	// fails here, clearly, before any work starts.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, webIdentityError(err, in.RoleToAssume, tokens.subject(), gctx.EventName)
	}
	return cfg, nil
}

func webIdentityError(err error, role, subject, eventName string) error {
	var missing *githubactions.EnvMissingError
	if errors.As(err, &missing) {
		return fmt.Errorf("role-to-assume %s needs the job's OIDC token, but $%s is not set: give the job `permissions: id-token: write` (a pull request from a fork never gets one)", role, missing.Name)
	}
	if subject == "" {
		return fmt.Errorf("assume %s with GitHub OIDC: %w", role, err)
	}
	return fmt.Errorf("assume %s with GitHub OIDC: %w; this %s run's token has subject %q and audience sts.amazonaws.com: the role's trust policy must allow them (condition token.actions.githubusercontent.com:sub)",
		role, err, eventName, subject)
}

// idTokens fetches the job's GitHub OIDC token each time the web identity
// provider asks, so refreshed credentials never rest on an expired token
// (an ID token lives minutes; the job may run for hours).
type idTokens struct {
	// ctx is the run's context: the SDK's IdentityTokenRetriever
	// interface takes none.
	ctx      context.Context
	a        *githubactions.Action
	audience string

	mu  sync.Mutex
	sub string
}

// GetIdentityToken implements stscreds.IdentityTokenRetriever.
func (t *idTokens) GetIdentityToken() ([]byte, error) {
	ctx, cancel := context.WithTimeout(t.ctx, time.Minute)
	defer cancel()
	tok, err := t.a.GetIDToken(ctx, t.audience)
	if err != nil {
		return nil, fmt.Errorf("get the GitHub OIDC token: %w", err)
	}
	t.a.AddMask(tok)
	t.mu.Lock()
	t.sub = jwtSubject(tok)
	t.mu.Unlock()
	return []byte(tok), nil
}

// subject is the "sub" claim of the last token fetched, for error messages.
func (t *idTokens) subject() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sub
}

// jwtSubject reads a JWT's "sub" claim without verifying it (STS does).
func jwtSubject(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	_ = json.Unmarshal(b, &claims)
	return claims.Sub
}

// maskedProvider masks every credential its provider hands out, refreshes
// included, before the SDK uses it.
type maskedProvider struct {
	p    aws.CredentialsProvider
	mask func(string)
}

func (m maskedProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.p.Retrieve(ctx)
	if err != nil {
		return c, err
	}
	for _, s := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken} {
		if s != "" {
			m.mask(s)
		}
	}
	return c, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
