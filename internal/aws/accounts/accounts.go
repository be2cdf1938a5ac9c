// Package accounts gives modelpromote an aws.Config per account it works
// in: the source account (to read the registry and artifacts) and each
// target environment (to copy, register and deploy). Target credentials come
// from AssumeRole with the environment's external ID, a session name that
// carries the pull request number (it lands in CloudTrail) and a source
// identity that survives role chaining. Credentials are cached and refreshed
// before they expire, so a long rollout outlives any one session.
package accounts

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ChainedSessionLimit is the longest session AWS grants a role assumed with
// credentials that are themselves from a role (role chaining).
const ChainedSessionLimit = time.Hour

// Options configure how accounts are reached.
type Options struct {
	// Base is the ambient configuration: the default chain, web identity
	// from GitHub OIDC, or an emulator's static credentials.
	Base aws.Config
	// SessionName is the RoleSessionName of assumed roles; it is cleaned to
	// STS's rules ([\w+=,.@-], 2–64 characters).
	SessionName string
	// SourceIdentity, when set, is passed on AssumeRole (the role's trust
	// policy must allow sts:SetSourceIdentity).
	SourceIdentity string
	// Duration of each assumed session; at most ChainedSessionLimit, since
	// the base credentials are often a role already. Default 1 hour.
	Duration time.Duration
}

// Accounts hands out configurations per account, caching credentials.
type Accounts struct {
	opts Options
	mu   sync.Mutex
	cfgs map[string]aws.Config
}

// New returns Accounts for opts.
func New(opts Options) *Accounts {
	if opts.Duration <= 0 || opts.Duration > ChainedSessionLimit {
		opts.Duration = ChainedSessionLimit
	}
	opts.SessionName = SessionName(opts.SessionName)
	return &Accounts{opts: opts, cfgs: map[string]aws.Config{}}
}

var sessionNameRE = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName cleans s into a valid RoleSessionName.
func SessionName(s string) string {
	s = sessionNameRE.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if len(s) < 2 {
		s = "modelpromote"
	}
	return s
}

// Source returns the configuration for the source account: the base
// credentials, or the source role when the configuration names one.
func (a *Accounts) Source(src manifest.Source) aws.Config {
	return a.config("source", src.RoleARN, src.ExternalID, src.Region)
}

// Environment returns the configuration for a target environment.
func (a *Accounts) Environment(env manifest.Environment) aws.Config {
	return a.config("env:"+env.Name, env.RoleARN, env.ExternalID, env.Region)
}

// Governance returns the configuration for the governance account, where
// the model cards are kept.
func (a *Accounts) Governance(g manifest.Governance) aws.Config {
	return a.config("governance", g.RoleARN, g.ExternalID, g.Region)
}

// Read returns the configuration for reading a target environment: its
// read-only role when the configuration names one, else its deploy role.
func (a *Accounts) Read(env manifest.Environment) aws.Config {
	if env.ReadRoleARN == "" {
		return a.Environment(env)
	}
	return a.config("read:"+env.Name, env.ReadRoleARN, env.ExternalID, env.Region)
}

// Readers is a view of a that hands out read configurations: pass it where
// an Environment(env) source only reads (the check, drift).
func (a *Accounts) Readers() Readers { return Readers{a} }

// Readers hands out Accounts.Read configurations as Environment.
type Readers struct{ a *Accounts }

// Environment returns the read configuration of env.
func (r Readers) Environment(env manifest.Environment) aws.Config { return r.a.Read(env) }

func (a *Accounts) config(key, roleARN, externalID, region string) aws.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cfg, ok := a.cfgs[key]; ok {
		return cfg
	}
	cfg := a.opts.Base.Copy()
	cfg.Region = region
	if roleARN != "" {
		client := sts.NewFromConfig(a.opts.Base, func(o *sts.Options) { o.Region = region })
		provider := stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = a.opts.SessionName
			o.Duration = a.opts.Duration
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
			if a.opts.SourceIdentity != "" {
				o.SourceIdentity = aws.String(a.opts.SourceIdentity)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = 5 * time.Minute // refresh well before a rollout's call fails
		})
	}
	a.cfgs[key] = cfg
	return cfg
}

// Verify assumes every role once and checks that each lands in the
// account the configuration says, so a misconfigured role fails before
// any work starts.
func (a *Accounts) Verify(ctx context.Context, cfg *manifest.Config) error {
	check := func(name string, c aws.Config, want string) error {
		out, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if got := aws.ToString(out.Account); got != want {
			return fmt.Errorf("%s: credentials are for account %s, but the configuration says %s", name, got, want)
		}
		return nil
	}
	var errs []string
	if err := check("source", a.Source(cfg.Source), cfg.Source.Account); err != nil {
		errs = append(errs, err.Error())
	}
	for _, env := range cfg.Environments {
		if err := check(env.Name, a.Environment(env), env.Account); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("account check failed: %s", strings.Join(errs, "; "))
	}
	return nil
}
