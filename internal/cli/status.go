package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/status"
)

func init() {
	register("status", "one table of every model × stage: manifest, serving, endpoint, last promotion, drift, open PRs", runStatus)
}

// statusOptions are the flags of `modelpromote status`.
type statusOptions struct {
	conn        connection
	Root        string
	Dir         string
	Output      string
	Offline     bool
	Concurrency int
}

func runStatus(ctx context.Context, args []string, f *Factory) int {
	o := statusOptions{conn: connection{f: f}}
	fs := newFlagSet("status", "status [--root DIR] [--dir promotions] [--output text|json|markdown] [--repo owner/name | --offline] [--aws-region R] [--aws-endpoint-url URL]", f.Streams)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	dirFlag(fs, &o.Dir, "promotions directory, relative to --root")
	fs.StringVar(&o.Output, "output", "text", "what to print: text, json or markdown")
	fs.BoolVar(&o.Offline, "offline", false, "do not read open pull requests from GitHub (also when no repository or $GITHUB_TOKEN is given)")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "stages read at once in each AWS account")
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, f.Streams, "unexpected argument %q: status takes only flags", fs.Arg(0))
	}
	if o.Output != "markdown" {
		if p := checkOutput(o.Output); p != "" {
			return usageError(fs, f.Streams, "unknown --output %q (text, json or markdown)", o.Output)
		}
	}
	if o.Concurrency < 1 {
		return usageError(fs, f.Streams, "--concurrency must be at least 1")
	}
	set, err := (&driftOptions{Root: o.Root, Dir: o.Dir}).load()
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote status: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote status: %v\n", err)
		return ExitFail
	}
	readers := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-status"}).Readers()
	src := status.Sources{
		Stages:      endpoints.NewStages(readers),
		Records:     &artifacts.Evidence{Configs: readers, PathStyle: o.conn.s3PathStyle()},
		Concurrency: o.Concurrency,
	}
	// Open pull requests need a repository and a token; without them
	// status works offline rather than failing.
	if !o.Offline && (o.conn.Repo != "" || f.Getenv("GITHUB_REPOSITORY") != "") && f.Getenv("GITHUB_TOKEN") != "" {
		repo, err := o.conn.gitHubRepo()
		if err != nil {
			return usageError(fs, f.Streams, "%v", err)
		}
		src.Pulls = status.OpenPulls(repo, o.Dir)
	}
	return o.run(ctx, f.Streams, set, src)
}

// run collects and prints the table. The exit code is 1 when a stage could
// not be read (drift is shown, not judged: that is `drift`'s job).
func (o *statusOptions) run(ctx context.Context, s Streams, set *manifest.Set, src status.Sources) int {
	t := status.Collect(ctx, src, set.Config.Config, set.Models)
	var err error
	switch o.Output {
	case "json":
		if writeIndentedJSON(s.Out, t) != ExitOK {
			return ExitFail
		}
	case "markdown":
		err = t.WriteMarkdown(s.Out)
	default:
		err = t.WriteText(s.Out)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote status: %v\n", err)
		return ExitFail
	}
	if _, unread := t.Summary(); unread > 0 {
		return ExitFail
	}
	return ExitOK
}
