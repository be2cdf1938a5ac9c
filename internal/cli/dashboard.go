package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/modelpromote/modelpromote/internal/dashboard"
	"github.com/modelpromote/modelpromote/internal/github"
)

func init() {
	register("dashboard", "update the \"Model promotions\" issue: every stage's status, pending promotions, recent failures, drift (dashboard: true)", runDashboard)
}

// dashboardOptions are the flags of `modelpromote dashboard`.
type dashboardOptions struct {
	conn  connection
	Dir   string
	Ref   string
	Bot   string
	AppID int64
	Print bool
}

func runDashboard(ctx context.Context, args []string, f *Factory) int {
	o := dashboardOptions{conn: connection{f: f}}
	fs := newFlagSet("dashboard", "dashboard [--repo owner/name] [--dir promotions] [--bot LOGIN] [--app-id ID] [--print] [--aws-region R] [--aws-endpoint-url URL]", f.Streams)
	dirFlag(fs, &o.Dir, "promotions directory in the repository")
	fs.StringVar(&o.Ref, "ref", "", "read the manifests at this commit (default the tip of the default branch)")
	fs.StringVar(&o.Bot, "bot", "", "the login $GITHUB_TOKEN acts as: only an issue it opened is the dashboard (default: asked of GitHub, which answers only for a user's token; SLUG[bot] for an App installation token, github-actions[bot] for Actions' GITHUB_TOKEN)")
	appIDFlag(fs, &o.AppID)
	fs.BoolVar(&o.Print, "print", false, "print the issue's body and write nothing (whatever the configuration says)")
	o.conn.registerGitHub(fs, true)
	o.conn.registerAWS(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, f.Streams, "unexpected argument %q: dashboard takes only flags", fs.Arg(0))
	}
	id, err := appID(f.Streams, o.AppID)
	if err != nil {
		return usageError(fs, f.Streams, "%v", err)
	}
	repo, err := o.conn.gitHubRepo()
	if err != nil {
		return usageError(fs, f.Streams, "%v", err)
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote dashboard: %v\n", err)
		return ExitFail
	}
	if o.Bot == "" && !o.Print {
		if o.Bot, err = repo.AuthenticatedLogin(ctx); err != nil {
			return usageError(fs, f.Streams, "%v: name the token's login with --bot", err)
		}
	}
	env := dashboard.Env{Repo: repo, Bot: o.Bot, AppID: id, Dir: o.Dir, Ref: o.Ref, AWS: awsCfg, S3PathStyle: o.conn.s3PathStyle(), DryRun: o.Print}
	return o.run(ctx, f.Streams, env)
}

func (o *dashboardOptions) run(ctx context.Context, s Streams, env dashboard.Env) int {
	res, err := dashboard.Refresh(ctx, env)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote dashboard: %v\n", err)
		return ExitFail
	}
	reportDashboard(s.Out, s.Err, res)
	return ExitOK
}

// reportDashboard says what Refresh did.
func reportDashboard(out, errw io.Writer, res *dashboard.Result) {
	switch {
	case res.Skipped != "":
		fmt.Fprintf(out, "Dashboard not updated: %s.\n", res.Skipped)
	case res.Issue == nil:
		io.WriteString(out, res.Body)
	default:
		fmt.Fprintf(out, "Dashboard %s: %s\n", verbOf(res.Issue), res.Issue.URL)
		if res.Note != "" {
			fmt.Fprintf(errw, "modelpromote dashboard: %s\n", res.Note)
		}
	}
}

func verbOf(is *github.MarkedIssue) string {
	switch {
	case is.Created:
		return "opened"
	case is.Reopened:
		return "reopened and updated"
	case is.Unchanged:
		return "unchanged"
	}
	return "updated"
}
