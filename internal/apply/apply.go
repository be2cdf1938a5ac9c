// Package apply carries out a merged pull request's promotions: for each,
// it copies the model's artifacts and reports into the target account,
// registers a model package there carrying the source's metadata and
// provenance, deploys it to the stage's endpoint with the manifest's
// rollout, writes an evidence record, and reports on GitHub.
//
// Before anything, it recomputes the plan at the merge commit (policy from
// the merge's first parent), re-verifies approvals on the pull request's
// final head commit, that the check passed, that the pull request is not
// from a fork, and every report's digest; any failure refuses the whole
// apply with its reasons, and nothing changes.
//
// Apply executes the plan's actions and nothing else: each kind of
// plan.Action has its step (step_*.go), which runs it or, for the preview
// (Plan), predicts it. What only apply knows, the merge and its approvers,
// and what one step hands the next (the target account's credentials, the
// copies, the registered package) travel in a per-promotion state.
//
// Every step looks for its own result first (a deployment for the merge
// commit, an object with the right digest, a package with the same source
// provenance, a model and config named after the deployment), so running
// apply twice does the work once, and a run stopped anywhere is finished by
// the next.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/images"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

// Env is what apply needs to reach GitHub and AWS.
type Env struct {
	Repo *github.Repo
	// AppID is the modelpromote GitHub App's ID: only a check run that App
	// created stands for the pull request's check. Any App with checks:
	// write can put a run named modelpromote on a commit (a pull request
	// workflow's GITHUB_TOKEN is the github-actions App's). Without it
	// (0) apply refuses, saying what to configure.
	AppID       int64
	AWS         aws.Config
	S3PathStyle bool
	// Dir is the promotions directory (default "promotions").
	Dir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Poll is the first polling interval for packages and endpoints
	// (default 5s; backs off).
	Poll time.Duration
	// EndpointTimeout bounds each endpoint rollout's wait (default from
	// the rollout).
	EndpointTimeout time.Duration
	// RecreateFailed deletes and recreates an endpoint found Failed.
	RecreateFailed bool
	// Progress receives progress lines (bytes copied, endpoint states), one
	// call at a time although promotions and copies run in parallel.
	Progress func(string)
	// Interrupt, when set, runs before each step of each promotion, with
	// the kind of the plan action the step carries out, and at the
	// boundaries inside the deploy step (DeployBoundary); an error stops
	// that promotion there, as a crash would. The crash-matrix tests use
	// it.
	Interrupt func(model, stage string, step plan.ActionKind) error
	Version   string
	// Notifier announces the outcomes to the configuration's
	// notification targets (nil: none). It never fails a promotion.
	Notifier *notify.Notifier
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// progress reports a line, one call at a time: the run's copies and
// promotions go on in parallel.
func (r *runner) progress(format string, args ...any) {
	if r.env.Progress != nil {
		r.progressMu.Lock()
		defer r.progressMu.Unlock()
		r.env.Progress(fmt.Sprintf(format, args...))
	}
}

// Result is a finished apply.
type Result struct {
	Plan  *plan.Plan
	Merge *github.Merge
	// Refused lists why nothing was applied; empty when apply went ahead.
	Refused  []string
	Outcomes []Outcome
	// CommentURL is the outcome comment on the pull request.
	CommentURL string
	// FollowUps are the next-stage and revert pull requests the policy
	// asked for after the promotions ran.
	FollowUps []FollowUp
}

// Failed reports whether apply refused or any promotion failed.
func (r *Result) Failed() bool {
	if len(r.Refused) > 0 {
		return true
	}
	for _, o := range r.Outcomes {
		if o.State == StateFailure {
			return true
		}
	}
	return false
}

// Promotion outcome states.
const (
	StateSuccess        = "success"
	StateFailure        = "failure"
	StateAlreadyApplied = "already-applied"
)

// Outcome is how one promotion ended.
type Outcome struct {
	Model, Stage string
	State        string
	Error        string
	RecordURI    string
	Record       *Record
}

// Run applies merged pull request number.
func Run(ctx context.Context, env Env, number int) (*Result, error) {
	m, err := env.Repo.MergedPullRequest(ctx, number)
	if err != nil {
		return nil, err
	}
	return RunMerge(ctx, env, m)
}

// RunMerge applies a pull request as the caller has just read it
// (github.Repo.MergedPullRequest), for a caller that needed it first: the
// server takes its apply lease on the merge commit. Everything Run decides
// is decided here.
func RunMerge(ctx context.Context, env Env, m *github.Merge) (*Result, error) {
	if env.Dir == "" {
		env.Dir = manifest.DefaultDir
	}
	number := m.Number
	res := &Result{Merge: m}
	def, refused, err := admit(ctx, env, m)
	if res.Refused = refused; err != nil || len(res.Refused) > 0 {
		if err == nil && m.Merged && !m.Fork {
			// Merged, in this repository, but outside the default branch:
			// the pull request is told why nothing happened.
			res.CommentURL, err = env.Repo.UpsertMarkedComment(ctx, number, ApplyMarker(m.MergeSHA), applyComment(res))
		}
		return res, err
	}
	run, err := preflight(ctx, env, m, res)
	if err != nil || len(res.Refused) > 0 {
		if err == nil {
			res.CommentURL, err = env.Repo.UpsertMarkedComment(ctx, number, ApplyMarker(m.MergeSHA), applyComment(res))
			if res.Plan != nil && res.Plan.Config != nil {
				env.Notifier.Send(ctx, res.Plan.Config.Notifications, frozen(res, env.Repo.FullName(), env.now())...)
			}
		}
		return res, err
	}
	if run.skip, err = superseded(ctx, env, def, m.MergeSHA, run.plan); err != nil {
		return res, err
	}
	res.Outcomes = run.all(ctx)
	res.FollowUps = followUps(ctx, env, res)
	if len(res.Outcomes) == 0 {
		return res, nil // a merge that promotes nothing gets no comment
	}
	res.CommentURL, err = env.Repo.UpsertMarkedComment(ctx, number, ApplyMarker(m.MergeSHA), applyComment(res))
	// Last: a slow or absent receiver delays nothing people rely on.
	env.Notifier.Send(ctx, run.plan.Config.Notifications, events(res, env.Repo.FullName(), env.now())...)
	return res, err
}

// admit says why a pull request must never be applied, whoever asks (the
// CLI, the Action on any event, the App server, reconciliation): it is not
// merged, it comes from a fork, or it was merged into a branch other than
// the default branch, whose history is the only source of policy. A merge
// into another branch would be judged by that branch's configuration, which
// anyone who can push a branch can loosen. It returns no reasons when the
// pull request may go on to preflight, with the default branch as read
// once: superseded judges the merge against that same tip.
func admit(ctx context.Context, env Env, m *github.Merge) (def defaultBranch, refused []string, err error) {
	switch {
	case !m.Merged:
		return def, []string{fmt.Sprintf("pull request #%d is not merged", m.Number)}, nil
	case m.Fork:
		return def, []string{fmt.Sprintf("pull request #%d comes from a fork: nothing from a fork is ever applied", m.Number)}, nil
	}
	if def.name, err = env.Repo.DefaultBranch(ctx); err != nil {
		return def, nil, err
	}
	if m.BaseRef != def.name {
		return def, []string{fmt.Sprintf("pull request #%d was merged into %s, not the default branch %s: only merges into %s are applied, with its policy", m.Number, m.BaseRef, def.name, def.name)}, nil
	}
	if def.tip, err = env.Repo.BranchSHA(ctx, def.name); err != nil {
		return def, nil, err
	}
	// The merge is the tip right after merging: in the history, without
	// asking GitHub to compare.
	in := def.tip != "" && def.tip == m.MergeSHA
	if !in && def.tip != "" {
		if in, err = env.Repo.InHistory(ctx, def.tip, m.MergeSHA); err != nil {
			return def, nil, err
		}
	}
	if !in {
		return def, []string{fmt.Sprintf("merge commit %s of pull request #%d is not in the history of %s (was it force-pushed away?): nothing outside the default branch's history is applied", gitsha.Short(m.MergeSHA), m.Number, def.name)}, nil
	}
	return def, nil, nil
}

// defaultBranch is the repository's default branch and the commit it
// pointed at when apply admitted the merge.
type defaultBranch struct{ name, tip string }

// judgedHere says why the pull request's check, as the modelpromote App
// (appID) recorded it on the final head, does not stand for this apply:
// apply does not know which App is modelpromote's; the App created no run
// there (runs named modelpromote by other Apps never count, and are named);
// the run is not the App's; it is not completed, or not a success; or it
// judged another pull request on the same head commit, or this one against
// another base branch (before a retarget), or did not say what it judged
// (a check run from before scopes were recorded: run /modelpromote recheck
// before merging).
func judgedHere(runs *github.CheckRuns, appID int64, m *github.Merge) []string {
	head := gitsha.Short(m.HeadSHA)
	if appID <= 0 {
		return []string{"apply cannot tell the modelpromote check from a planted one: the modelpromote GitHub App's ID is not configured " +
			"(the Action's app-id input, `modelpromote apply --app-id`, or $MODELPROMOTE_APP_ID): only a check run that App created counts"}
	}
	var cr *github.CheckRunState
	if runs != nil {
		cr = runs.Latest
	}
	switch {
	case cr == nil && runs != nil && len(runs.Others) > 0:
		return []string{fmt.Sprintf("the modelpromote check on the pull request's final head %s did not pass: the modelpromote App (ID %d) created no check run there, "+
			"and runs named modelpromote by %s do not count: only the App's own check runs do", head, appID, strings.Join(runs.Others, ", "))}
	case cr != nil && cr.AppID != appID:
		return []string{fmt.Sprintf("the modelpromote check run on %s was created by %s (ID %d), not the modelpromote App (ID %d): it does not count", head, cr.AppSlug, cr.AppID, appID)}
	case cr == nil || cr.Status != "completed":
		return []string{fmt.Sprintf("the modelpromote check on the pull request's final head %s did not pass (missing or not completed)", head)}
	case cr.Conclusion != "success":
		return []string{fmt.Sprintf("the modelpromote check on the pull request's final head %s did not pass (%s)", head, cr.Conclusion)}
	case !cr.ScopeOK:
		return []string{fmt.Sprintf("the modelpromote check on %s does not say which pull request and base branch it judged; re-run it (/modelpromote recheck)", head)}
	case cr.Scope.PR != m.Number:
		return []string{fmt.Sprintf("the passing modelpromote check on %s judged pull request #%d, not #%d: a check of another pull request on the same commit does not count", head, cr.Scope.PR, m.Number)}
	case cr.Scope.BaseRef != m.BaseRef:
		return []string{fmt.Sprintf("the passing modelpromote check on %s judged #%d against %s, but it was merged into %s: the check must judge the base it merges into", head, m.Number, cr.Scope.BaseRef, m.BaseRef)}
	}
	return nil
}

// RunForCommit applies the merged pull request a base-branch commit came
// from (a push event names only the commit).
func RunForCommit(ctx context.Context, env Env, sha string) (*Result, error) {
	n, err := env.Repo.PullRequestForCommit(ctx, sha)
	if err != nil {
		return nil, err
	}
	return Run(ctx, env, n)
}

// runner executes one merge's promotions.
type runner struct {
	env    Env
	plan   *plan.Plan
	merge  *github.Merge
	accts  *accounts.Accounts
	source *registry.Registry
	// approvers are the logins whose approvals counted, for provenance.
	approvers []string
	// skip holds the promotions a later merge superseded, with why; they
	// are reported, not applied.
	skip       map[string]string
	progressMu sync.Mutex
}

// preflight recomputes and re-verifies everything; reasons to refuse go
// into res.Refused.
func preflight(ctx context.Context, env Env, m *github.Merge, res *Result) (*runner, error) {
	parent, err := env.Repo.FirstParent(ctx, m.MergeSHA)
	if err != nil {
		return nil, err
	}
	var baseTree, headTree map[string][]byte
	var reviews []plan.Review
	var contributors *plan.Contributors
	var checkRuns *github.CheckRuns
	var errs []error
	var mu sync.Mutex
	fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
	var wg sync.WaitGroup
	wg.Go(func() {
		t, err := env.Repo.Tree(ctx, parent, env.Dir)
		if err != nil {
			fail(err)
		}
		baseTree = t
	})
	wg.Go(func() {
		t, err := env.Repo.Tree(ctx, m.MergeSHA, env.Dir)
		if err != nil {
			fail(err)
		}
		headTree = t
	})
	wg.Go(func() {
		r, err := env.Repo.Reviews(ctx, m.Number)
		if err != nil {
			fail(err)
		}
		reviews = r
	})
	wg.Go(func() {
		c, err := env.Repo.MergeContributors(ctx, m)
		if err != nil {
			fail(err)
		}
		contributors = c
	})
	var breakGlass *plan.BreakGlassRequest
	wg.Go(func() {
		bg, err := env.Repo.MergeBreakGlass(ctx, m)
		if err != nil {
			fail(err)
		}
		breakGlass = bg
	})
	if env.AppID > 0 { // else judgedHere refuses, saying what to configure
		wg.Go(func() {
			c, err := env.Repo.AppCheckRuns(ctx, m.HeadSHA, env.AppID)
			if err != nil {
				fail(err)
			}
			checkRuns = c
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	p := plan.Build(plan.Input{Base: parent, Head: m.MergeSHA, BaseTree: baseTree, HeadTree: headTree, Dir: env.Dir})
	p.PR = &plan.PullRequest{Repo: env.Repo.FullName(), Number: m.Number, URL: m.URL, Author: m.Author, BaseSHA: parent, HeadSHA: m.HeadSHA, Fork: m.Fork}
	res.Plan = p
	res.Refused = append(res.Refused, judgedHere(checkRuns, env.AppID, m)...)
	// What the pull request's check bound, read only from the App's own run;
	// none from a run that did not record any, so that nothing is bound
	// afresh here.
	reviewed := map[string]plan.Binding{}
	if cr := checkRuns.App(env.AppID); cr != nil && cr.Status == "completed" {
		reviewed = report.Bindings(cr.Text)
	}
	if p.Config == nil {
		res.Refused = append(res.Refused, "the merge's first parent has no valid configuration")
		return nil, nil
	}
	accts := accounts.New(accounts.Options{Base: env.AWS,
		SessionName:    fmt.Sprintf("modelpromote-pr-%d", m.Number),
		SourceIdentity: accounts.SessionName(orDefault(m.MergedBy, "modelpromote"))})
	srcCfg := accts.Source(p.Config.Source)
	r := &runner{env: env, plan: p, merge: m, accts: accts, source: registry.New(srcCfg, p.Config.Source.Account)}
	// The same checks as on the pull request, now at the merge commit: a
	// report or model data that changed since the pull request's check
	// bound it, an approval dismissed after the check, or a version no
	// longer live in the previous stage stop here.
	p.Check(ctx, plan.Sources{
		Source:   p.Config.Source,
		Reg:      r.source,
		Objects:  artifacts.New(srcCfg, p.Config.Source.Account, env.S3PathStyle),
		Stages:   endpoints.NewStages(accts.Readers()),
		Images:   images.New(srcCfg, accts.Readers()),
		History:  &artifacts.Evidence{Configs: accts.Readers(), PathStyle: env.S3PathStyle},
		Now:      env.now,
		Reviewed: reviewed,
		Upstream: registry.Upstreams(accts, p.Config.Source, env.S3PathStyle, true),
	}, plan.PullRequestFacts{Author: m.Author, HeadSHA: m.HeadSHA, Contributors: contributors, Reviews: reviews, BreakGlass: breakGlass}, github.Directory{Repo: env.Repo})
	if v := p.Verdict(); v != plan.StatusPass {
		for _, f := range p.Findings {
			if f.Severity == plan.SeverityError || f.Severity == plan.SeverityPending {
				subject := ""
				if f.Model != "" {
					subject = f.Model + "/" + f.Stage + ": "
				}
				res.Refused = append(res.Refused, fmt.Sprintf("%s%s (%s)", subject, f.Message, f.Gate))
			}
		}
		if len(res.Refused) == 0 {
			res.Refused = append(res.Refused, fmt.Sprintf("the plan at the merge commit is %s", v))
		}
	}
	seen := map[string]bool{}
	for _, pr := range p.Promotions {
		if a := pr.Details.Approvals; a != nil {
			for _, rv := range a.Reviews {
				if rv.Counted && !seen[rv.Login] {
					seen[rv.Login] = true
					r.approvers = append(r.approvers, rv.Login)
				}
			}
		}
	}
	sort.Strings(r.approvers)
	if len(res.Refused) == 0 {
		res.Refused = append(res.Refused, r.plantedPackages(ctx)...)
	}
	return r, nil
}

// all runs every promotion: promotions to one endpoint one after another
// in stage order, independent ones in parallel.
func (r *runner) all(ctx context.Context) []Outcome {
	groups := map[string][]int{}
	var order []string
	for i, pr := range r.plan.Promotions {
		key := pr.Environment.Account + "/" + pr.Environment.Region + "/" + pr.To.Name
		if pr.Environment.RegistryOnly {
			key = pr.Environment.Account + "/" + pr.Environment.Region + "/registry/" + pr.ModelPackageGroup
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	out := make([]Outcome, len(r.plan.Promotions))
	var wg sync.WaitGroup
	for _, key := range order {
		idx := groups[key]
		wg.Go(func() {
			for _, i := range idx {
				pr := &r.plan.Promotions[i]
				if why, ok := r.skip[pr.Key()]; ok {
					out[i] = r.supersededOutcome(ctx, pr, why)
					continue
				}
				out[i] = r.one(ctx, pr)
			}
		})
	}
	wg.Wait()
	return out
}

// errInterrupted marks a promotion stopped by Env.Interrupt.
var errInterrupted = errors.New("interrupted")

// interrupt runs Env.Interrupt before a promotion's step.
func (r *runner) interrupt(pr *plan.Promotion, kind plan.ActionKind) error {
	return r.interruptAt(pr.Model, pr.Stage, kind)
}

// interruptAt runs Env.Interrupt at a point of a promotion's apply.
func (r *runner) interruptAt(model, stage string, kind plan.ActionKind) error {
	if r.env.Interrupt == nil {
		return nil
	}
	if err := r.env.Interrupt(model, stage, kind); err != nil {
		return fmt.Errorf("%w at %s: %v", errInterrupted, kind, err)
	}
	return nil
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}
