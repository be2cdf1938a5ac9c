package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

func init() {
	register("check", "check a pull request's promotions and report on it (comment + check run)", runCheck)
}

// checkOptions are the flags of `modelpromote check`.
type checkOptions struct {
	IO       Streams
	conn     connection
	PR       int
	Dir      string
	NoReport bool
	Output   string
}

func runCheck(ctx context.Context, args []string, f *Factory) int {
	o := checkOptions{IO: f.Streams, conn: connection{f: f}}
	fs := newFlagSet("check", "check --pr N [--repo owner/name] [--github-url URL] [--no-report] [--output text|json]", f.Streams)
	fs.IntVar(&o.PR, "pr", 0, "pull request number")
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	dirFlag(fs, &o.Dir, "promotions directory")
	fs.BoolVar(&o.NoReport, "no-report", false, "compute and print only: no comment, no check run")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	switch {
	case o.PR <= 0:
		return usageError(fs, f.Streams, "--pr N is required: the pull request to check")
	case fs.NArg() > 0:
		return usageError(fs, f.Streams, "unexpected argument %q: check takes only flags", fs.Arg(0))
	case checkOutput(o.Output) != "":
		return usageError(fs, f.Streams, "%s", checkOutput(o.Output))
	}
	return o.run(ctx)
}

func (o *checkOptions) run(ctx context.Context) int {
	s := o.IO
	repo, err := o.conn.gitHubRepo()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitFail
	}
	res, err := check.Run(ctx, check.Env{Repo: repo, AWS: awsCfg, S3PathStyle: o.conn.s3PathStyle(), Dir: o.Dir, Report: !o.NoReport, Version: Version}, o.PR)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		v := newPlanJSON(res.Plan)
		v.CommentURL, v.CheckRunURL = res.CommentURL, res.CheckRunURL
		if writeIndentedJSON(s.Out, v) != ExitOK {
			return ExitFail
		}
	} else if err := report.Text(s.Out, res.Plan); err != nil {
		return ExitFail
	}
	if res.CommentURL != "" {
		fmt.Fprintf(s.Err, "comment: %s\ncheck run: %s\n", res.CommentURL, res.CheckRunURL)
	}
	if res.Verdict == plan.StatusFail {
		return ExitFail
	}
	return ExitOK
}
