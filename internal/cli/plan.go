package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

func init() {
	register("plan", "show what a change would promote and what apply would do, touching nothing", runPlan)
}

// planOptions are the flags of `modelpromote plan`.
type planOptions struct {
	IO               Streams
	Base, Head       string // git revisions
	Root             string // the git checkout
	BaseDir, HeadDir string // or two directory trees instead of git
	Dir              string // the promotions directory within a tree
	Output           string // text or json
	// PR previews apply for a merged pull request instead (read-only).
	PR int
	// AppID is the modelpromote App, whose check runs the preview takes.
	AppID int64
	conn  connection
}

const planSynopsis = `plan --base REF [--head REF] [--root DIR] [--output text|json]
       modelpromote plan --base-dir DIR --head-dir DIR [--output text|json]
       modelpromote plan --pr N [--repo owner/name] [--output text|json]`

func runPlan(ctx context.Context, args []string, f *Factory) int {
	o := planOptions{IO: f.Streams, conn: connection{f: f}}
	fs := newFlagSet("plan", planSynopsis, f.Streams)
	fs.IntVar(&o.PR, "pr", 0, "preview what apply would do for this merged pull request (reads GitHub and AWS, writes nothing)")
	appIDFlag(fs, &o.AppID)
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	deprecatedAlias(fs, f.Streams, "github-repo", "repo")
	fs.StringVar(&o.Base, "base", "", "base git revision (the policy is read from here)")
	fs.StringVar(&o.Head, "head", "HEAD", "head git revision")
	fs.StringVar(&o.Root, "root", ".", "the git checkout (with --base)")
	fs.StringVar(&o.BaseDir, "base-dir", "", "compare two directories instead: the base tree's root")
	fs.StringVar(&o.HeadDir, "head-dir", "", "the head tree's root (with --base-dir)")
	dirFlag(fs, &o.Dir, "promotions directory, relative to the tree root")
	fs.StringVar(&o.Output, "output", "text", "output format: text or json")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if p := checkOutput(o.Output); p != "" {
		return usageError(fs, f.Streams, "%s", p)
	}
	if fs.NArg() > 0 {
		return usageError(fs, f.Streams, "unexpected argument %q: plan takes only flags", fs.Arg(0))
	}
	if o.PR > 0 {
		return o.previewApply(ctx)
	}
	if o.conn.Repo != "" && o.Base != "" {
		// Before --repo named the GitHub repository everywhere, plan's
		// --repo was the git checkout.
		fmt.Fprintf(f.Err, "modelpromote plan: --repo DIR for the git checkout is deprecated; use --root DIR\n")
		o.Root = o.conn.Repo
	}
	if (o.Base == "") == (o.BaseDir == "") || (o.BaseDir == "") != (o.HeadDir == "") {
		return usageError(fs, f.Streams, "give --base REF (with --head, --root), both --base-dir and --head-dir, or --pr N")
	}
	p, err := buildPlan(ctx, o)
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		if writeIndentedJSON(f.Out, newPlanJSON(p)) != ExitOK {
			return ExitFail
		}
	} else if err := report.Text(f.Out, p); err != nil {
		fmt.Fprintf(f.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	if p.Verdict() == plan.StatusFail {
		return ExitFail
	}
	return ExitOK
}

func buildPlan(ctx context.Context, o planOptions) (*plan.Plan, error) {
	dir := filepath.ToSlash(filepath.Clean(o.Dir))
	in := plan.Input{Dir: dir}
	var err error
	if o.BaseDir != "" {
		in.Base, in.Head = o.BaseDir, o.HeadDir
		if in.BaseTree, err = manifest.ReadDir(o.BaseDir, dir); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
		if in.HeadTree, err = manifest.ReadDir(o.HeadDir, dir); err != nil {
			return nil, fmt.Errorf("head: %w", err)
		}
		return plan.Build(in), nil
	}
	in.Base, in.Head = o.Base, o.Head
	if in.BaseTree, err = manifest.ReadGit(ctx, o.Root, o.Base, dir); err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if in.HeadTree, err = manifest.ReadGit(ctx, o.Root, o.Head, dir); err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	return plan.Build(in), nil
}

// previewApply prints what apply would do for a merged pull request.
func (o *planOptions) previewApply(ctx context.Context) int {
	s := o.IO
	repo, err := o.conn.gitHubRepo()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	id, err := appID(s, o.AppID)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitUsage
	}
	pv, err := apply.Plan(ctx, apply.Env{Repo: repo, AppID: id, AWS: awsCfg, S3PathStyle: o.conn.s3PathStyle(), Dir: o.Dir}, o.PR)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		if writeIndentedJSON(s.Out, newPreviewJSON(pv)) != ExitOK {
			return ExitFail
		}
	} else {
		printPreview(s, pv)
	}
	if len(pv.Refused) > 0 {
		return ExitFail
	}
	return ExitOK
}

func printPreview(s Streams, pv *apply.Preview) {
	if len(pv.Refused) > 0 {
		fmt.Fprintf(s.Out, "Apply of #%d would be refused:\n", pv.Merge.Number)
		for _, r := range pv.Refused {
			fmt.Fprintf(s.Out, "  - %s\n", r)
		}
		return
	}
	fmt.Fprintf(s.Out, "Apply of #%d (merge %.7s) would:\n", pv.Merge.Number, pv.Merge.MergeSHA)
	for _, p := range pv.Promotions {
		fmt.Fprintf(s.Out, "\n%s/%s:\n", p.Model, p.Stage)
		switch {
		case p.AlreadyApplied:
			fmt.Fprintln(s.Out, "  nothing: already applied")
			continue
		case p.Problem != "":
			fmt.Fprintf(s.Out, "  (could not look further: %s)\n", p.Problem)
			continue
		}
		for _, c := range p.Copies {
			fmt.Fprintf(s.Out, "  copy %s → %s (%d bytes, %s)\n", c.Source, c.Target, c.Size, c.Path)
		}
		fmt.Fprintf(s.Out, "  %s\n  %s\n", p.Package, p.Endpoint)
	}
}
