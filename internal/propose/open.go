package propose

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Env is what proposing needs to reach GitHub and AWS.
type Env struct {
	Repo *github.Repo
	// AWS is the ambient configuration; the source registry and the
	// stages' endpoints are read through the roles the configuration names.
	AWS aws.Config
	// Dir is the promotions directory (default "promotions").
	Dir string
	// Base is the branch proposals target (default: the repository's
	// default branch). Policy and manifests are read from its tip.
	Base string
	// Now is the clock (time.Now when nil); soak times are judged by it.
	Now func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) dir() string {
	if e.Dir == "" {
		return manifest.DefaultDir
	}
	return e.Dir
}

// sources are the AWS accounts a proposal reads.
type sources struct {
	registry *registry.Registry
	stages   *endpoints.Stages
	accts    *accounts.Accounts
	cfg      *manifest.Config
}

func (e Env) sources(cfg *manifest.Config) sources {
	accts := accounts.New(accounts.Options{Base: e.AWS, SessionName: "modelpromote-propose"})
	return sources{registry: registry.New(accts.Source(cfg.Source), cfg.Source.Account), stages: endpoints.NewStages(accts.Readers()), accts: accts, cfg: cfg}
}

// packages is the registry stage takes its packages from.
func (s sources) packages(stage string) Packages {
	return PackagesFor(s.accts, s.cfg, stage, s.registry)
}

// PackagesFor is the registry stage takes its packages from: source (the
// source registry), or the copies of the registry-only stage it is
// sourced from, read with its read credentials.
func PackagesFor(accts *accounts.Accounts, cfg *manifest.Config, stage string, source *registry.Registry) Packages {
	env, _ := cfg.Environment(stage)
	if central, ok := cfg.Upstream(env); ok {
		return registry.Copies{Registry: registry.Upstream(accts, central, env, false).Registry, Origin: cfg.Source}
	}
	return source
}

// Request asks for one promotion.
type Request struct {
	Model, Stage string
	// Version pins the version; with LatestApproved it is resolved from
	// the source registry instead (and then pinned).
	Version        int
	LatestApproved bool
	// Kind is why (default KindPromote); After, FailedVersion and FailedPR
	// fill in the pull request's explanation for the other kinds.
	Kind          Kind
	After         string
	FailedVersion int
	FailedPR      int
}

// Action says what proposing did.
type Action string

// The actions.
const (
	ActionOpened    Action = "opened"    // a new pull request
	ActionUpdated   Action = "updated"   // the open pull request got a commit or a new description
	ActionUnchanged Action = "unchanged" // the open pull request already proposes exactly this
	ActionNone      Action = "none"      // the base branch already names this version
)

// Result is a proposal made.
type Result struct {
	Proposal Proposal `json:"proposal"`
	Action   Action   `json:"action"`
	Branch   string   `json:"branch"`
	// Number and URL are the pull request (zero for ActionNone).
	Number int    `json:"pullRequest"`
	URL    string `json:"url"`
	// Commit is the commit made on the branch, "" when none was needed.
	Commit string `json:"commit"`
}

// snapshot is the base branch's tip and its promotions directory.
type snapshot struct {
	base, tip string
	set       *manifest.Set
}

func (e Env) snapshot(ctx context.Context) (*snapshot, error) {
	base := e.Base
	if base == "" {
		var err error
		if base, err = e.Repo.DefaultBranch(ctx); err != nil {
			return nil, err
		}
	}
	tip, err := e.Repo.BranchSHA(ctx, base)
	if err != nil {
		return nil, err
	}
	if tip == "" {
		return nil, fmt.Errorf("branch %s does not exist in %s", base, e.Repo.FullName())
	}
	tree, err := e.Repo.Tree(ctx, tip, e.dir())
	if err != nil {
		return nil, err
	}
	set := manifest.Load(tree, e.dir())
	if set.Config == nil {
		return nil, fmt.Errorf("%s has no valid %s on %s", e.Repo.FullName(), manifest.ConfigPath(e.dir()), base)
	}
	return &snapshot{base: base, tip: tip, set: set}, nil
}

// target finds the model file and checks that stage can be proposed.
func (s *snapshot) target(model, stage string) (*manifest.ModelDoc, error) {
	doc, ok := s.set.Models[model]
	if !ok {
		return nil, fmt.Errorf("no model %q in %s on %s", model, s.set.Dir, s.base)
	}
	if _, ok := s.set.Config.Environment(stage); !ok {
		return nil, fmt.Errorf("stage %q is not an environment of %s", stage, manifest.ConfigPath(s.set.Dir))
	}
	if _, ok := doc.Stages[stage]; !ok {
		return nil, fmt.Errorf("%s has no stage %q: add the stage with its endpoint by hand first", doc.File, stage)
	}
	return doc, nil
}

// Open proposes one promotion: it opens the pull request, or updates the
// one already open for the same promotion.
func Open(ctx context.Context, env Env, req Request) (*Result, error) {
	snap, err := env.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return open(ctx, env, snap, env.sources(snap.set.Config.Config), req)
}

func open(ctx context.Context, env Env, snap *snapshot, src sources, req Request) (*Result, error) {
	if req.Kind == "" {
		req.Kind = KindPromote
	}
	doc, err := snap.target(req.Model, req.Stage)
	if err != nil {
		return nil, err
	}
	p := Proposal{Kind: req.Kind, Model: req.Model, Stage: req.Stage, ModelPackageGroup: doc.ModelPackageGroup,
		Version: req.Version, FromVersion: doc.Stages[req.Stage].Version, File: doc.File,
		After: req.After, FailedVersion: req.FailedVersion, FailedPR: req.FailedPR}
	if req.LatestApproved {
		if p.Version, err = LatestApproved(ctx, src.packages(req.Stage), doc.ModelPackageGroup); err != nil {
			return nil, err
		}
		p.Resolved = "latest-approved"
	}
	if p.Version < 1 {
		return nil, errors.New("no version: give a version or ask for the latest approved one")
	}
	pkgs := src.packages(req.Stage)
	p.PackageARN = pkgs.PackageARN(p.ModelPackageGroup, p.Version)
	pkg, err := pkgs.ModelPackage(ctx, p.ModelPackageGroup, p.Version)
	switch {
	case err != nil && p.Kind == KindRevert:
		pkg = nil // what serves is what the revert names; the check reads the registry
	case err != nil:
		return nil, err
	case p.Kind != KindRevert && (pkg.ApprovalStatus != "Approved" || pkg.Status != "Completed"):
		return nil, fmt.Errorf("%s version %d is %s (%s) in the source registry: only Approved, Completed versions can be proposed",
			p.ModelPackageGroup, p.Version, pkg.ApprovalStatus, pkg.Status)
	}
	if p.FromVersion == p.Version {
		return &Result{Proposal: p, Action: ActionNone, Branch: p.Branch()}, nil
	}
	return publish(ctx, env, snap, &p, pkg)
}

// publish puts the edit on the proposal's branch and keeps one pull
// request for it.
func publish(ctx context.Context, env Env, snap *snapshot, p *Proposal, pkg *plan.ModelPackage) (*Result, error) {
	repo := env.Repo
	branch := p.Branch()
	res := &Result{Proposal: *p, Branch: branch}
	prs, err := repo.PullRequestsByHead(ctx, branch, "all")
	if err != nil {
		return nil, err
	}
	var pr *github.PullRequestRef
	for _, p := range prs {
		if p.State == "open" {
			pr = p
			break
		}
	}
	head, err := repo.BranchSHA(ctx, branch)
	if err != nil {
		return nil, err
	}
	switch {
	case head == "":
		if err := repo.CreateBranch(ctx, branch, snap.tip); err != nil && !errors.Is(err, github.ErrBranchExists) {
			return nil, err
		}
	case pr == nil && len(prs) > 0 && head != snap.tip:
		// Left over from an earlier proposal whose pull request was merged
		// or closed: start again from the base, or the new pull request
		// would carry stale versions of other stages. A branch that never
		// had a pull request is kept: someone (or an interrupted propose)
		// is working on it.
		if err := repo.ResetBranch(ctx, branch, snap.tip); err != nil {
			return nil, err
		}
	}
	f, err := repo.File(ctx, p.File, branch)
	if err != nil {
		return nil, err
	}
	edit, err := SetVersion(p.File, f.Content, p.Stage, p.Version)
	if err != nil {
		return nil, err
	}
	if edit.Changed() {
		res.Commit, err = repo.CommitFile(ctx, branch, p.File, f.SHA, edit.After, commitMessage(p, edit))
		if errors.Is(err, github.ErrConflict) {
			return nil, fmt.Errorf("%s changed on branch %s while modelpromote was editing it, and nothing was overwritten; propose again to start from its new content: %w", p.File, branch, err)
		}
		if err != nil {
			return nil, err
		}
	}
	title, body := p.Title(), p.Body(pkg)
	if pr == nil {
		created, err := repo.CreatePullRequest(ctx, snap.base, branch, title, body)
		if err == nil {
			res.Action, res.Number, res.URL = ActionOpened, created.Number, created.URL
			return res, nil
		}
		// Someone proposing the same promotion at the same time may have
		// opened it first: then update theirs.
		again, lerr := repo.PullRequestsByHead(ctx, branch, "open")
		if lerr != nil || len(again) == 0 {
			return nil, err
		}
		pr = again[0]
	}
	res.Number, res.URL = pr.Number, pr.URL
	res.Action = ActionUnchanged
	if res.Commit != "" {
		res.Action = ActionUpdated
	}
	if pr.Title != title || pr.Body != body {
		if _, err := repo.EditPullRequest(ctx, pr.Number, title, body); err != nil {
			return nil, err
		}
		res.Action = ActionUpdated
	}
	return res, nil
}

func commitMessage(p *Proposal, e *Edit) string {
	return fmt.Sprintf("%s\n\nmodelpromote propose: %s stages.%s.version %d -> %d (line %d).\n", p.Title(), p.File, p.Stage, e.From, e.To, e.Line)
}
