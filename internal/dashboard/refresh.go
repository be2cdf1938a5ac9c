package dashboard

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/status"
)

// Env is what Refresh works with: the App server, the Action and the CLI
// each fill it from their own inputs.
type Env struct {
	Repo *github.Repo
	// Bot is the login the token acts as ("SLUG[bot]" for an App,
	// "github-actions[bot]" for an Actions GITHUB_TOKEN): only an issue it
	// opened is the dashboard.
	Bot string
	// AppID is the modelpromote GitHub App's ID: only its check runs say
	// what holds a pending promotion.
	AppID int64
	// Dir is the promotions directory; the manifests are read at the tip
	// of the default branch (Ref overrides it).
	Dir, Ref string
	// Set, when not nil, is the manifests at Ref as the caller already
	// read them (the Action's drift run): they are not read again.
	Set *manifest.Set
	// AWS is the base configuration; stages and records are read through
	// each environment's read role.
	AWS         aws.Config
	S3PathStyle bool
	Version     string
	Now         func() time.Time
	// DryRun renders the body and writes nothing, whatever the
	// configuration says (`modelpromote dashboard --print`).
	DryRun bool
}

// Result is what Refresh did.
type Result struct {
	// Skipped says why nothing was written ("" when the issue was, or on a
	// dry run).
	Skipped string
	Issue   *github.MarkedIssue
	// Note is what a person should know (several dashboards).
	Note string
	// Body is what was written.
	Body string
}

// Refresh reads the manifests, collects every stage's status, the open
// promotion pull requests and recent failures, and writes the dashboard
// issue, when the configuration has `dashboard: true`.
func Refresh(ctx context.Context, env Env) (*Result, error) {
	set := env.Set
	switch {
	case set == nil:
		var err error
		if set, err = readManifests(ctx, env); err != nil {
			return nil, err
		}
	case len(set.Problems) > 0 || set.Config == nil:
		return nil, fmt.Errorf("the manifests at %.7s have problems (run modelpromote validate):\n%w", env.Ref, set.Problems)
	}
	cfg := set.Config.Config
	if !cfg.Dashboard && !env.DryRun {
		return &Result{Skipped: "the configuration does not ask for a dashboard (dashboard: true)"}, nil
	}
	readers := accounts.New(accounts.Options{Base: env.AWS, SessionName: "modelpromote-dashboard"}).Readers()
	src := Sources{
		Status: status.Sources{
			Stages:  endpoints.NewStages(readers),
			Records: &artifacts.Evidence{Configs: readers, PathStyle: env.S3PathStyle},
			Now:     env.Now,
		},
		Pending: OpenPending(env.Repo, env.Dir, env.AppID),
	}
	in := Collect(ctx, src, env.Repo.FullName(), cfg, set.Models)
	in.Version = env.Version
	body := Render(in, 0)
	if env.DryRun {
		return &Result{Body: body}, nil
	}
	issue, note, err := Publish(ctx, env.Repo, env.Bot, body)
	if err != nil {
		return nil, err
	}
	return &Result{Issue: issue, Note: note, Body: body}, nil
}

// readManifests reads the manifests at env.Ref, else at the tip of the
// default branch.
func readManifests(ctx context.Context, env Env) (*manifest.Set, error) {
	ref := env.Ref
	if ref == "" {
		branch, err := env.Repo.DefaultBranch(ctx)
		if err != nil {
			return nil, err
		}
		if ref, err = env.Repo.BranchSHA(ctx, branch); err != nil {
			return nil, err
		}
	}
	tree, err := env.Repo.Tree(ctx, ref, env.Dir)
	if err != nil {
		return nil, err
	}
	set := manifest.Load(tree, env.Dir)
	if len(set.Problems) > 0 || set.Config == nil {
		return nil, fmt.Errorf("the manifests at %.7s have problems (run modelpromote validate):\n%w", ref, set.Problems)
	}
	return set, nil
}
