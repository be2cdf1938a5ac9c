package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/propose"
)

func init() {
	register("propose", "open (or update) the pull request that promotes a model version to a stage", runPropose)
}

// proposeOptions are the flags of `modelpromote propose`.
type proposeOptions struct {
	conn           connection
	Model, Stage   string
	Version        int
	LatestApproved bool
	Local          bool
	Root           string
	Dir            string
	Base           string
	Due            bool
	Output         string
}

const proposeSynopsis = `propose --model M --stage S (--version V | --latest-approved) [--local [--root DIR]] [--repo owner/name] [--base BRANCH]
       modelpromote propose --due [--repo owner/name]`

func runPropose(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	o := proposeOptions{conn: connection{f: f}}
	fs := newFlagSet("propose", proposeSynopsis, s)
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	fs.StringVar(&o.Model, "model", "", "model name (promotions/<model>.yaml)")
	fs.StringVar(&o.Stage, "stage", "", "stage to promote to")
	fs.IntVar(&o.Version, "version", 0, "model package version to promote")
	fs.BoolVar(&o.LatestApproved, "latest-approved", false, "resolve the newest Approved version in the source registry and pin it")
	fs.BoolVar(&o.Local, "local", false, "edit the file in a local checkout and print the diff; no GitHub")
	fs.StringVar(&o.Root, "root", ".", "with --local: the checkout's root")
	dirFlag(fs, &o.Dir, "promotions directory")
	fs.StringVar(&o.Base, "base", "", "branch to propose into (default: the repository's default branch)")
	fs.BoolVar(&o.Due, "due", false, "propose every next-stage promotion that is due (autoPropose, soak passed), for a scheduled workflow")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, s, "unexpected argument %q: propose takes only flags", fs.Arg(0))
	}
	if p := o.problem(); p != "" {
		return usageError(fs, s, "%s", p)
	}
	if o.Local {
		latest := func(ctx context.Context, cfg *manifest.Config, stage, group string) (int, error) {
			awsCfg, err := o.conn.awsConfig(ctx)
			if err != nil {
				return 0, err
			}
			accts := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-propose"})
			source := registry.New(accts.Source(cfg.Source), cfg.Source.Account)
			return propose.LatestApproved(ctx, propose.PackagesFor(accts, cfg, stage, source), group)
		}
		return o.runLocal(ctx, s, latest)
	}
	repo, err := o.conn.gitHubRepo()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote propose: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote propose: %v\n", err)
		return ExitFail
	}
	env := propose.Env{Repo: repo, AWS: awsCfg, Dir: o.Dir, Base: o.Base}
	if o.Due {
		return o.runDue(ctx, s, env)
	}
	return o.runGitHub(ctx, s, env)
}

// problem checks the flag combination (--due alone, or a model, a stage
// and exactly one way to choose the version) and says what is wrong, or "".
func (o *proposeOptions) problem() string {
	if p := checkOutput(o.Output); p != "" {
		return p
	}
	if o.Due {
		if o.Model != "" || o.Stage != "" || o.Version != 0 || o.LatestApproved || o.Local {
			return "--due proposes every due promotion: give it without --model, --stage, --version, --latest-approved and --local"
		}
		return ""
	}
	switch {
	case o.Model == "" || o.Stage == "":
		return "--model and --stage are required (or --due)"
	case o.Version < 0:
		return fmt.Sprintf("--version %d: a model package version is 1 or more", o.Version)
	case o.Version == 0 && !o.LatestApproved:
		return "which version? give --version V or --latest-approved"
	case o.Version > 0 && o.LatestApproved:
		return "give --version or --latest-approved, not both"
	}
	return ""
}

// runGitHub opens or updates the promotion's pull request.
func (o *proposeOptions) runGitHub(ctx context.Context, s Streams, env propose.Env) int {
	res, err := propose.Open(ctx, env, propose.Request{Model: o.Model, Stage: o.Stage, Version: o.Version, LatestApproved: o.LatestApproved})
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote propose: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		return writeIndentedJSON(s.Out, res)
	}
	p := res.Proposal
	switch res.Action {
	case propose.ActionNone:
		fmt.Fprintf(s.Out, "%s already names v%d for %s on the base branch: nothing to propose.\n", p.File, p.Version, p.Stage)
	default:
		fmt.Fprintf(s.Out, "%s #%d: %s\n%s\nbranch %s\n", res.Action, res.Number, p.Title(), res.URL, res.Branch)
	}
	return ExitOK
}

// runDue proposes every next-stage promotion that is due.
func (o *proposeOptions) runDue(ctx context.Context, s Streams, env propose.Env) int {
	all, err := propose.Due(ctx, env)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote propose --due: %v\n", err)
		return ExitFail
	}
	type view struct {
		Model       string            `json:"model"`
		Stage       string            `json:"stage"`
		After       string            `json:"after"`
		Version     int               `json:"version"`
		State       propose.NextState `json:"state"`
		DueAt       string            `json:"dueAt,omitempty"`
		Detail      string            `json:"detail,omitempty"`
		PullRequest int               `json:"pullRequest,omitempty"`
		URL         string            `json:"url,omitempty"`
		Error       string            `json:"error,omitempty"`
	}
	views := make([]view, 0, len(all))
	code := ExitOK
	for _, n := range all {
		v := view{Model: n.Model, Stage: n.Stage, After: n.After, Version: n.Version, State: n.State, Detail: n.Detail}
		if !n.DueAt.IsZero() {
			v.DueAt = n.DueAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		if n.Result != nil {
			v.PullRequest, v.URL = n.Result.Number, n.Result.URL
		}
		if n.Err != nil {
			v.Error, code = n.Err.Error(), ExitFail
		}
		views = append(views, v)
	}
	if o.Output == "json" {
		if writeIndentedJSON(s.Out, views) != ExitOK {
			return ExitFail
		}
		return code
	}
	if len(views) == 0 {
		fmt.Fprintln(s.Out, "No next-stage promotions are waiting.")
	}
	for _, v := range views {
		line := fmt.Sprintf("%s v%d → %s: %s", v.Model, v.Version, v.Stage, v.State)
		switch {
		case v.PullRequest > 0:
			line += fmt.Sprintf(" #%d %s", v.PullRequest, v.URL)
		case v.Error != "":
			line += ": " + v.Error
		case v.State == propose.NextSoaking:
			line += " until " + v.DueAt
		case v.Detail != "":
			line += ": " + v.Detail
		}
		fmt.Fprintln(s.Out, line)
	}
	return code
}

// runLocal edits the model file in a checkout and prints the diff.
func (o *proposeOptions) runLocal(ctx context.Context, s Streams, latest func(ctx context.Context, cfg *manifest.Config, stage, group string) (int, error)) int {
	fail := func(err error) int {
		fmt.Fprintf(s.Err, "modelpromote propose: %v\n", err)
		return ExitFail
	}
	tree, err := manifest.ReadDir(o.Root, o.Dir)
	if err != nil {
		return fail(err)
	}
	set := manifest.Load(tree, o.Dir)
	if set.Config == nil {
		return fail(fmt.Errorf("%s: %w", manifest.ConfigPath(o.Dir), set.Problems))
	}
	doc, ok := set.Models[o.Model]
	if !ok {
		return fail(fmt.Errorf("no model %q in %s", o.Model, o.Dir))
	}
	if _, ok := set.Config.Environment(o.Stage); !ok {
		return fail(fmt.Errorf("stage %q is not an environment of %s", o.Stage, manifest.ConfigPath(o.Dir)))
	}
	version := o.Version
	if o.LatestApproved {
		if version, err = latest(ctx, set.Config.Config, o.Stage, doc.ModelPackageGroup); err != nil {
			return fail(err)
		}
	}
	edit, err := propose.SetVersion(doc.File, tree[doc.File], o.Stage, version)
	if err != nil {
		return fail(err)
	}
	diff := ""
	if edit.Changed() {
		path := filepath.Join(o.Root, filepath.FromSlash(doc.File))
		info, err := os.Stat(path)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(path, edit.After, info.Mode().Perm()); err != nil {
			return fail(err)
		}
		diff = propose.Diff(doc.File, edit.Before, edit.After)
	}
	switch {
	case o.Output == "json":
		return writeIndentedJSON(s.Out, localEditJSON{File: doc.File, Model: o.Model, Stage: o.Stage,
			FromVersion: edit.From, Version: version, Changed: edit.Changed(), Diff: diff})
	case !edit.Changed():
		fmt.Fprintf(s.Err, "%s already names v%d for %s: nothing changed.\n", doc.File, version, o.Stage)
	default:
		fmt.Fprint(s.Out, diff)
	}
	return ExitOK
}

// localEditJSON is `propose --local --output json`: the edit made.
type localEditJSON struct {
	File        string `json:"file"`
	Model       string `json:"model"`
	Stage       string `json:"stage"`
	FromVersion int    `json:"fromVersion"`
	Version     int    `json:"version"`
	// Changed is false when the file already named the version.
	Changed bool `json:"changed"`
	// Diff is the unified diff of the file ("" when unchanged).
	Diff string `json:"diff"`
}
