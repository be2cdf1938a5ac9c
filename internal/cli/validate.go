package cli

import (
	"context"
	"fmt"
	"os"
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
	IO Streams
	// Paths are promotions directories or manifest files in them (default
	// the promotions directory). A file is checked against the
	// configuration beside it, and only its own problems are reported.
	Paths []string
	// Format is "text" (file:line:col: message) or "github" (workflow
	// commands that GitHub turns into annotations); "auto" picks github
	// inside GitHub Actions.
	Format string
}

func runValidate(ctx context.Context, args []string, f *Factory) int {
	opts := validateOptions{IO: f.Streams}
	fs := newFlagSet("validate", "validate [--format auto|text|github] [DIR | FILE.yaml ...]", f.Streams)
	fs.StringVar(&opts.Format, "format", "auto", "output format: auto, text or github")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if opts.Format != "auto" && opts.Format != "text" && opts.Format != "github" {
		return usageError(fs, f.Streams, "unknown --format %q (auto, text or github)", opts.Format)
	}
	opts.Paths = fs.Args()
	if len(opts.Paths) == 0 {
		opts.Paths = []string{manifest.DefaultDir}
	}
	return validate(opts)
}

func validate(opts validateOptions) int {
	s := opts.IO
	github := opts.Format == "github" || (opts.Format == "auto" && inActions(s))
	code := ExitOK
	for _, p := range opts.Paths {
		if c := validatePath(s, p, github); c != ExitOK {
			code = c
		}
	}
	return code
}

// validatePath validates one directory or one file, as given: absolute,
// relative, with "..". Problems name files by the path as given, so an
// editor or a terminal can open them.
func validatePath(s Streams, p string, github bool) int {
	fail := func(err error) int {
		fmt.Fprintf(s.Err, "modelpromote validate: %v\n", err)
		return ExitFail
	}
	info, err := os.Stat(p)
	if err != nil {
		return fail(err)
	}
	dir, file := filepath.Clean(p), ""
	if !info.IsDir() {
		dir, file = filepath.Dir(dir), filepath.ToSlash(filepath.Clean(p))
	}
	dir = filepath.ToSlash(dir)
	tree, err := manifest.ReadDir("", dir)
	if err != nil {
		return fail(err)
	}
	if file != "" {
		if _, ok := tree[file]; !ok {
			return fail(fmt.Errorf("%s is not a manifest (a .yaml or .yml file)", p))
		}
	}
	set, all := manifest.Validate(tree, dir)
	problems := all
	if file != "" {
		problems = nil
		for _, pr := range all {
			// The configuration's problems are the file's too: it is
			// checked against it.
			if pr.File == file || pr.File == manifest.ConfigPath(dir) {
				problems = append(problems, pr)
			}
		}
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
	switch {
	case len(problems) > 0:
		fmt.Fprintf(s.Err, "%d problem(s) in %s\n", len(problems), p)
		return ExitFail
	case file != "":
		fmt.Fprintf(s.Out, "%s is valid\n", p)
	default:
		fmt.Fprintf(s.Out, "%s: %d model(s) and the configuration are valid\n", p, len(set.Models))
	}
	return ExitOK
}
