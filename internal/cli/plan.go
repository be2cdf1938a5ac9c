package cli

import (
	"context"
	"encoding/json"
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
	Base, Head       string // git revisions
	Repo             string // the git repository
	BaseDir, HeadDir string // or two directory trees instead of git
	Dir              string // the promotions directory within a tree
	Output           string // text or json
	// PR previews apply for a merged pull request instead (read-only).
	PR   int
	conn connFlags
}

func runPlan(ctx context.Context, args []string, s Streams) int {
	var o planOptions
	fs := newFlagSet("plan", "plan --base REF [--head REF] [--repo DIR] | --base-dir DIR --head-dir DIR | --pr N [--github-repo owner/name]", s)
	fs.IntVar(&o.PR, "pr", 0, "preview what apply would do for this merged pull request (reads GitHub and AWS, writes nothing)")
	o.conn.registerAs(fs, "github-repo")
	fs.StringVar(&o.Base, "base", "", "base git revision (the policy is read from here)")
	fs.StringVar(&o.Head, "head", "HEAD", "head git revision")
	fs.StringVar(&o.Repo, "repo", ".", "git repository")
	fs.StringVar(&o.BaseDir, "base-dir", "", "compare two directories instead: the base tree's root")
	fs.StringVar(&o.HeadDir, "head-dir", "", "the head tree's root (with --base-dir)")
	fs.StringVar(&o.Dir, "dir", "promotions", "promotions directory, relative to the tree root")
	fs.StringVar(&o.Output, "output", "text", "output format: text or json")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if o.PR > 0 {
		return previewApply(ctx, o, s)
	}
	if fs.NArg() > 0 || (o.Base == "") == (o.BaseDir == "") || (o.BaseDir == "") != (o.HeadDir == "") {
		fmt.Fprintln(s.Err, "modelpromote plan: give either --base REF (with --head, --repo) or both --base-dir and --head-dir")
		fs.Usage()
		return ExitUsage
	}
	if o.Output != "text" && o.Output != "json" {
		fmt.Fprintf(s.Err, "modelpromote plan: unknown --output %q (text or json)\n", o.Output)
		return ExitUsage
	}
	p, err := buildPlan(ctx, o)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(p)
	} else {
		err = report.Text(s.Out, p)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
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
	if in.BaseTree, err = manifest.ReadGit(ctx, o.Repo, o.Base, dir); err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if in.HeadTree, err = manifest.ReadGit(ctx, o.Repo, o.Head, dir); err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	return plan.Build(in), nil
}

// previewApply prints what apply would do for a merged pull request.
func previewApply(ctx context.Context, o planOptions, s Streams) int {
	repo, err := o.conn.githubRepo(s)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	pv, err := apply.Plan(ctx, apply.Env{Repo: repo, AWS: awsCfg, S3PathStyle: o.conn.S3PathStyle, Dir: o.Dir}, o.PR)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote plan: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(pv)
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
