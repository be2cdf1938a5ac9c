// Package action is modelpromote's GitHub Action entry point: a thin
// adapter that reads the step's inputs and the triggering event the way a
// runner provides them (INPUT_* variables, GITHUB_EVENT_NAME and the event
// file), decides which of the core jobs to run (check, plan or apply, in
// packages check and apply), and reports back to the workflow: outputs to
// GITHUB_OUTPUT, the report to the job summary, findings as annotations.
// It holds no business rules: what passes, what may be applied and why is
// decided by the core.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	gogh "github.com/google/go-github/v60/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/route"
)

// Env is what the action runs with: the runner's environment and streams,
// and the clients it builds. Tests replace the clients with the
// emulators'.
type Env struct {
	// Getenv reads the runner's environment (os.Getenv in main).
	Getenv func(string) string
	// Out is the step's standard output: log lines and workflow commands.
	Out io.Writer
	// HTTPClient reaches the GitHub API and the Actions OIDC endpoint
	// (default: a client with a 60-second timeout).
	HTTPClient *http.Client
	// LoadAWS loads the ambient AWS configuration for region ("" for the
	// configuration's own): `modelpromote action` passes the CLI factory's
	// loader (the SDK's default chain, which reads what
	// aws-actions/configure-aws-credentials leaves behind). Required.
	LoadAWS func(ctx context.Context, region string) (aws.Config, error)
	// S3PathStyle forces path-style S3 addressing (emulators).
	S3PathStyle bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Poll and EndpointTimeout tune apply's waits (apply's defaults when 0).
	Poll            time.Duration
	EndpointTimeout time.Duration
	// Version is the tool version shown in reports.
	Version string
}

// Result says what a run did.
type Result struct {
	// Job is what the event asked for, and why.
	Job Job
	// Failed is true when the job failed: a failing check verdict, a
	// refused apply or a failed promotion. The step should exit non-zero.
	Failed bool
}

// Run reads the inputs and the event, runs the job they ask for and
// reports it. An error means the action could not do its work (bad inputs,
// unreachable APIs, credentials refused); findings are not errors.
func Run(ctx context.Context, env Env) (*Result, error) {
	if env.HTTPClient == nil {
		env.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if env.LoadAWS == nil {
		return nil, errors.New("action: Env.LoadAWS is required")
	}
	// AWS credentials are masked from a refresh goroutine while the job
	// writes its own lines: one writer, serialized.
	out := &lockedWriter{w: env.Out}
	a := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(out), githubactions.WithHTTPClient(env.HTTPClient))

	in, err := readInputs(a)
	if err != nil {
		return nil, err
	}
	for _, secret := range []string{in.GitHubToken, a.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")} {
		if secret != "" {
			a.AddMask(secret)
		}
	}
	gctx, err := a.Context()
	if err != nil {
		return nil, fmt.Errorf("read the workflow context: %w", err)
	}
	if err := checkRunner(a, gctx); err != nil {
		return nil, err
	}
	if in.Command == CommandPropose || in.Command == CommandValidate {
		return runRepoCommand(ctx, env, a, in, gctx) // whatever the event: commands.go
	}
	job, err := routeEvent(gctx.EventName, gctx.Event, in)
	if err != nil {
		return nil, err
	}
	rep := reporter{a: a}
	switch job.Command {
	case "":
		a.Noticef("modelpromote: nothing to do: %s", job.Reason)
		rep.skipped(job)
		return &Result{Job: job}, nil
	case CommandRefuse:
		a.Errorf("modelpromote: apply refused: %s", job.Reason)
		rep.refused(job)
		return &Result{Job: job, Failed: true}, nil
	}
	a.Infof("modelpromote %s: %s", job.Command, job.Reason)

	repo, err := githubRepo(env.HTTPClient, gctx, in)
	if err != nil {
		return nil, err
	}
	if job, err = route.Resolve(ctx, github.Resolver{Repo: repo}, job); err != nil {
		return nil, err
	}
	if job.Command == "" {
		a.Warningf("modelpromote: nothing to do: %s", job.Reason)
		rep.skipped(job)
		return &Result{Job: job}, nil
	}
	awsCfg, err := awsConfig(ctx, env, a, in, gctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Job: job}
	switch job.Command {
	case CommandCheck, CommandPlan:
		c, err := runCheck(ctx, a, check.Env{Repo: repo, AWS: awsCfg, S3PathStyle: env.S3PathStyle, Dir: in.Dir,
			Report: job.Command == CommandCheck && !job.ReadOnly, Now: env.Now, Version: env.Version, Queue: check.QueueOf(job.Queue)}, job.PR)
		if err != nil {
			return nil, fmt.Errorf("check #%d: %w", job.PR, err)
		}
		res.Failed = rep.checked(job, c)
	case CommandApply:
		e := apply.Env{Repo: repo, AppID: in.AppID, AWS: awsCfg, S3PathStyle: env.S3PathStyle, Dir: in.Dir, Now: env.Now, Poll: env.Poll,
			EndpointTimeout: env.EndpointTimeout, RecreateFailed: in.RecreateFailed, Version: env.Version,
			Progress: func(line string) { a.Infof("%s", line) }, Notifier: &notify.Notifier{Getenv: a.Getenv}}
		r, err := apply.Run(ctx, e, job.PR)
		if err != nil {
			return nil, fmt.Errorf("apply: %w", err)
		}
		res.Failed = rep.applied(job, r)
	case CommandDrift:
		ref := orDefault(gctx.SHA, job.DefaultBranch)
		if ref == "" {
			return nil, fmt.Errorf("drift: neither $GITHUB_SHA nor the event names a commit to read the manifests at")
		}
		d, set, err := runDrift(ctx, repo, awsCfg, env.S3PathStyle, in.Dir, ref, &notify.Notifier{Getenv: a.Getenv})
		if err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
		res.Failed = rep.drifted(job, ref, d)
		refreshDashboard(ctx, a, repo, env, in, awsCfg, ref, set)
	}
	return res, nil
}

// runCheck runs the check; when the token turns out unable to report (a
// 403 on the comment or check run: a read-only token, or a workflow
// without the permissions), it checks again without reporting, so the
// result still reaches the job summary.
func runCheck(ctx context.Context, a *githubactions.Action, env check.Env, pr int) (*check.Result, error) {
	c, err := check.Run(ctx, env, pr)
	var apiErr *gogh.ErrorResponse
	if err == nil || !env.Report || !errors.As(err, &apiErr) || apiErr.Response == nil || apiErr.Response.StatusCode != http.StatusForbidden {
		return c, err
	}
	a.Warningf("modelpromote: the token cannot write the report to #%d (%v): the job needs permissions pull-requests: write and checks: write; reporting to the job summary only", pr, err)
	env.Report = false
	return check.Run(ctx, env, pr)
}

// githubRepo builds the adapter for the workflow's repository with the
// token input, on the configured API (GitHub Enterprise Server too).
func githubRepo(hc *http.Client, gctx *githubactions.GitHubContext, in Inputs) (*github.Repo, error) {
	if in.GitHubToken == "" {
		return nil, fmt.Errorf("no GitHub token: set the github-token input (default ${{ github.token }})")
	}
	owner, name := gctx.Repo()
	if owner == "" || name == "" {
		return nil, fmt.Errorf("$GITHUB_REPOSITORY is not set")
	}
	base := in.GitHubAPIURL
	if base == "" {
		base = gctx.APIURL
	}
	// The one constructor every entry point uses: retries on rate limits,
	// bounded by the job's context rather than a client timeout (which
	// would cut a Retry-After wait short).
	gh, err := github.NewClient(base, in.GitHubToken, hc.Transport)
	if err != nil {
		return nil, fmt.Errorf("github-api-url %q: %w", base, err)
	}
	return github.NewRepo(gh, owner, name), nil
}

// lockedWriter serializes writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
