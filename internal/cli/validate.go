package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

func init() {
	register("validate", "check the promotions manifests offline (for pre-commit, editors and CI)", runValidate)
}

// validateOptions are the flags of `modelpromote validate`.
type validateOptions struct {
	// Dir is the promotions directory.
	Dir string
	// Format is "text" (file:line:col: message) or "github" (workflow
	// commands that GitHub turns into annotations); "auto" picks github
	// inside GitHub Actions.
	Format string
}

func runValidate(ctx context.Context, args []string, s Streams) int {
	opts := validateOptions{Dir: "promotions"}
	fs := newFlagSet("validate", "validate [--format auto|text|github] [DIR]", s)
	fs.StringVar(&opts.Format, "format", "auto", "output format: auto, text or github")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	switch fs.NArg() {
	case 0:
	case 1:
		opts.Dir = fs.Arg(0)
	default:
		fs.Usage()
		return ExitUsage
	}
	return validate(opts, s)
}

func validate(opts validateOptions, s Streams) int {
	dir := filepath.ToSlash(filepath.Clean(opts.Dir))
	tree, err := manifest.ReadDir(".", dir)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote validate: %v\n", err)
		return ExitFail
	}
	set, problems := manifest.Validate(tree, dir)
	github := opts.Format == "github" || (opts.Format == "auto" && inActions(s))
	if opts.Format != "auto" && opts.Format != "text" && opts.Format != "github" {
		fmt.Fprintf(s.Err, "modelpromote validate: unknown --format %q (auto, text or github)\n", opts.Format)
		return ExitUsage
	}
	if github {
		a := githubactions.New(githubactions.WithWriter(s.Out))
		for _, p := range problems {
			fields := map[string]string{"file": p.File, "title": "modelpromote"}
			if p.Line > 0 {
				fields["line"] = strconv.Itoa(p.Line)
				fields["col"] = strconv.Itoa(p.Col)
			}
			a.WithFieldsMap(fields).Errorf("%s", p.Message)
		}
	}
	for _, p := range problems {
		fmt.Fprintln(s.Err, p.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(s.Err, "%d problem(s) in %s\n", len(problems), opts.Dir)
		return ExitFail
	}
	fmt.Fprintf(s.Out, "%s: %d model(s) and the configuration are valid\n", opts.Dir, len(set.Models))
	return ExitOK
}
