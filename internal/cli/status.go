package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/status"
)

func init() {
	register("status", "one table of every model × stage: manifest, serving, endpoint, last promotion, drift, open PRs", runStatus)
}

// statusOptions are the flags of `modelpromote status`.
type statusOptions struct {
	conn        connFlags
	Root        string
	Dir         string
	Output      string
	Offline     bool
	Concurrency int
}

func runStatus(ctx context.Context, args []string, s Streams) int {
	var o statusOptions
	fs := newFlagSet("status", "status [--root DIR] [--dir promotions] [--output text|json|markdown] [--repo owner/name | --offline]", s)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	fs.StringVar(&o.Dir, "dir", "promotions", "promotions directory")
	fs.StringVar(&o.Output, "output", "text", "what to print: text, json or markdown")
	fs.BoolVar(&o.Offline, "offline", false, "do not read open pull requests from GitHub")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "stages read at once")
	o.conn.register(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || (o.Output != "text" && o.Output != "json" && o.Output != "markdown") || o.Concurrency < 1 {
		fs.Usage()
		return ExitUsage
	}
	set, err := (&driftOptions{Root: o.Root, Dir: o.Dir}).load()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote status: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote status: %v\n", err)
		return ExitFail
	}
	readers := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-status"}).Readers()
	src := status.Sources{
		Stages:      endpoints.NewStages(readers),
		Records:     &artifacts.Evidence{Configs: readers, PathStyle: o.conn.S3PathStyle},
		Concurrency: o.Concurrency,
	}
	// Open pull requests need a repository and a token; without them
	// status works offline rather than failing.
	if !o.Offline && (o.conn.Repo != "" || s.Getenv("GITHUB_REPOSITORY") != "") && s.Getenv("GITHUB_TOKEN") != "" {
		repo, err := o.conn.githubRepo(s)
		if err != nil {
			fmt.Fprintf(s.Err, "modelpromote status: %v\n", err)
			return ExitUsage
		}
		src.Pulls = openPulls(repo, o.Dir)
	}
	return o.run(ctx, s, set, src)
}

// openPulls lists the open promotion pull requests of repo.
func openPulls(repo *github.Repo, dir string) func(ctx context.Context) ([]status.OpenPullRequest, error) {
	return func(ctx context.Context) ([]status.OpenPullRequest, error) {
		open, err := repo.OpenPromotions(ctx, dir)
		if err != nil {
			return nil, err
		}
		var out []status.OpenPullRequest
		for _, pr := range open {
			for _, p := range pr.Promotions {
				out = append(out, status.OpenPullRequest{Number: pr.Number, URL: pr.URL, Title: pr.Title, Author: pr.Author,
					Model: p.Model, Stage: p.Stage, FromVersion: p.FromVersion, ToVersion: p.ToVersion})
			}
		}
		return out, nil
	}
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
