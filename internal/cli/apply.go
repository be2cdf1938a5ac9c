package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/notify"
)

func init() {
	register("apply", "carry out a merged pull request's promotions: copy, register, deploy, record", runApply)
}

// applyOptions are the flags of `modelpromote apply`.
type applyOptions struct {
	IO             Streams
	conn           connection
	PR             int
	Commit         string
	Dir            string
	RecreateFailed bool
	AppID          int64
}

func runApply(ctx context.Context, args []string, f *Factory) int {
	o := applyOptions{IO: f.Streams, conn: connection{f: f}}
	fs := newFlagSet("apply", "apply (--pr N | --commit SHA) --app-id ID [--repo owner/name] [--github-url URL]", f.Streams)
	appIDFlag(fs, &o.AppID)
	fs.IntVar(&o.PR, "pr", 0, "merged pull request number")
	fs.StringVar(&o.Commit, "commit", "", "a merge commit on the base branch (the pull request is found from it)")
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	dirFlag(fs, &o.Dir, "promotions directory")
	fs.BoolVar(&o.RecreateFailed, "recreate-failed", false, "delete and recreate an endpoint found Failed (otherwise stop)")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	id, err := appID(f.Streams, o.AppID)
	if err != nil {
		return usageError(fs, f.Streams, "%v", err)
	}
	o.AppID = id
	switch {
	case o.PR <= 0 && o.Commit == "":
		return usageError(fs, f.Streams, "--pr N or --commit SHA is required: the merged pull request to apply")
	case o.PR > 0 && o.Commit != "":
		return usageError(fs, f.Streams, "give --pr or --commit, not both")
	case fs.NArg() > 0:
		return usageError(fs, f.Streams, "unexpected argument %q: apply takes only flags", fs.Arg(0))
	}
	return o.run(ctx)
}

func (o *applyOptions) run(ctx context.Context) int {
	s := o.IO
	repo, err := o.conn.gitHubRepo()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote apply: %v\n", err)
		return ExitUsage
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote apply: %v\n", err)
		return ExitFail
	}
	env := apply.Env{Repo: repo, AppID: o.AppID, AWS: awsCfg, S3PathStyle: o.conn.s3PathStyle(), Dir: o.Dir, RecreateFailed: o.RecreateFailed, Version: Version, Poll: o.conn.f.Poll,
		Progress: func(line string) { fmt.Fprintln(s.Err, line) }, Notifier: &notify.Notifier{Getenv: s.Getenv}}
	var res *apply.Result
	if o.PR > 0 {
		res, err = apply.Run(ctx, env, o.PR)
	} else {
		res, err = apply.RunForCommit(ctx, env, o.Commit)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote apply: %v\n", err)
		return ExitFail
	}
	printApply(s, res)
	if res.Failed() {
		return ExitFail
	}
	return ExitOK
}

func printApply(s Streams, res *apply.Result) {
	if len(res.Refused) > 0 {
		fmt.Fprintf(s.Out, "Apply refused for #%d; nothing was changed:\n", res.Merge.Number)
		for _, r := range res.Refused {
			fmt.Fprintf(s.Out, "  - %s\n", r)
		}
		return
	}
	if len(res.Outcomes) == 0 {
		fmt.Fprintf(s.Out, "#%d has no promotions to apply.\n", res.Merge.Number)
	}
	for _, o := range res.Outcomes {
		line := fmt.Sprintf("%s/%s: %s", o.Model, o.Stage, o.State)
		if o.Error != "" {
			line += ": " + o.Error
		}
		if o.RecordURI != "" && o.State != apply.StateFailure {
			line += " (evidence " + o.RecordURI + ")"
		}
		fmt.Fprintln(s.Out, line)
	}
	if res.CommentURL != "" {
		fmt.Fprintf(s.Out, "comment: %s\n", res.CommentURL)
	}
}
