package cli

import (
	"context"
	"encoding/json"
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
	conn     connFlags
	PR       int
	Dir      string
	NoReport bool
	Output   string
}

func runCheck(ctx context.Context, args []string, s Streams) int {
	var o checkOptions
	fs := newFlagSet("check", "check --pr N [--repo owner/name] [--github-url URL] [--no-report]", s)
	o.conn.register(fs)
	fs.IntVar(&o.PR, "pr", 0, "pull request number")
	fs.StringVar(&o.Dir, "dir", "promotions", "promotions directory")
	fs.BoolVar(&o.NoReport, "no-report", false, "compute and print only: no comment, no check run")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if o.PR <= 0 || fs.NArg() > 0 || (o.Output != "text" && o.Output != "json") {
		fs.Usage()
		return ExitUsage
	}
	repo, err := o.conn.githubRepo(s)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitFail
	}
	res, err := check.Run(ctx, check.Env{Repo: repo, AWS: awsCfg, S3PathStyle: o.conn.S3PathStyle, Dir: o.Dir, Report: !o.NoReport, Version: Version}, o.PR)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote check: %v\n", err)
		return ExitFail
	}
	if o.Output == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.Plan); err != nil {
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
