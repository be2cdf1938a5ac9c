// Package check runs the pull-request check: for one pull request it reads
// the manifests at its merge base and head (and the policy at its base)
// through the GitHub API, builds the plan, runs every AWS- and
// GitHub-backed check, and reports the result on the pull request as one
// comment edited in place and a check run with annotations. The CLI, the
// GitHub Action and the App server all call Run.
package check

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/images"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

// Env is what a check needs to reach GitHub and AWS.
type Env struct {
	// Repo is the repository the pull request is in.
	Repo *github.Repo
	// AWS is the ambient AWS configuration (default chain, OIDC, or an
	// emulator's), from which the source and target roles are assumed.
	AWS aws.Config
	// S3PathStyle forces path-style S3 addressing (emulators).
	S3PathStyle bool
	// Dir is the promotions directory (default "promotions").
	Dir string
	// Report writes the comment and check run; false only computes.
	Report bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Version is the tool version shown in reports.
	Version string
	// Queue, when set, checks the pull request at a merge queue's commit
	// instead of its head (queue.go).
	Queue *Queue
}

// Result is a finished check.
type Result struct {
	Plan        *plan.Plan
	Verdict     plan.Status
	CommentURL  string
	CheckRunURL string
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Run checks pull request number and reports on it.
func Run(ctx context.Context, env Env, number int) (*Result, error) {
	if env.Dir == "" {
		env.Dir = manifest.DefaultDir
	}
	facts, raw, err := env.Repo.PullRequest(ctx, number)
	if err != nil {
		return nil, err
	}
	var run *github.CheckRun
	var runErr error
	var wg sync.WaitGroup
	if env.Report {
		// The run records what it judges, for apply: this pull request,
		// against this base branch (on a merge queue's commit too).
		scope := github.CheckScope{PR: number, BaseRef: facts.BaseRef}
		at := facts.HeadSHA
		if env.Queue != nil {
			at = env.Queue.HeadSHA // where the merge queue's required check must report
		}
		wg.Go(func() { run, runErr = env.Repo.StartCheckRun(ctx, at, scope) })
	}
	in, prFacts, qt, err := gather(ctx, env, facts, raw)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, runErr
	}
	p := plan.Build(in)
	p.PR = facts
	if p.Config != nil {
		accts := accounts.New(accounts.Options{Base: env.AWS, SessionName: fmt.Sprintf("modelpromote-check-pr-%d", number)})
		srcCfg := accts.Source(p.Config.Source)
		src := plan.Sources{
			Source:  p.Config.Source,
			Reg:     registry.New(srcCfg, p.Config.Source.Account),
			Objects: artifacts.New(srcCfg, p.Config.Source.Account, env.S3PathStyle),
			Stages:  endpoints.NewStages(accts.Readers()),
			Images:  images.New(srcCfg, accts.Readers()),
			History: &artifacts.Evidence{Configs: accts.Readers(), PathStyle: env.S3PathStyle},
			Now:     env.now,
			// A stage sourced from a registry-only stage reads it instead.
			Upstream: registry.Upstreams(accts, p.Config.Source, env.S3PathStyle, false),
		}
		p.Check(ctx, src, prFacts, github.Directory{Repo: env.Repo})
	}
	if env.Queue != nil {
		judgeQueue(p, env.Queue, qt, in)
	}
	res := &Result{Plan: p, Verdict: p.Verdict()}
	if !env.Report {
		return res, nil
	}
	res.CheckRunURL = run.URL
	out := report.CheckRun(p, report.CheckRunOptions{Now: env.now(), Version: env.Version})
	body := report.Comment(p, report.CommentOptions{CheckRunURL: run.URL, Now: env.now(), Version: env.Version})
	var commentErr, finishErr error
	wg.Go(func() { res.CommentURL, commentErr = env.Repo.UpsertComment(ctx, number, body) })
	wg.Go(func() { finishErr = env.Repo.FinishCheckRun(ctx, run, out) })
	wg.Wait()
	if commentErr != nil {
		return res, commentErr
	}
	return res, finishErr
}

// gather reads, in parallel, everything the plan needs from GitHub: the
// trees at the merge base, the base and the head, the reviews and GitHub's
// records of who contributed; for a merge queue's commit, its trees too,
// and the policy from the base branch's history instead of the base.
func gather(ctx context.Context, env Env, facts *plan.PullRequest, raw *gogh.PullRequest) (plan.Input, plan.PullRequestFacts, *queueTrees, error) {
	in := plan.Input{Dir: env.Dir, Base: facts.BaseSHA, Head: facts.HeadSHA}
	prFacts := plan.PullRequestFacts{Author: facts.Author, HeadSHA: facts.HeadSHA}
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	// One read per commit: a merge queue's commits and merge bases are
	// often the same commit (the queue's base is the branch's head, which
	// is the policy's commit and may be the pull request's merge base).
	// Nothing changes a tree once read, so one read serves every use.
	type treeRead struct {
		done chan struct{}
		t    manifest.Tree
		err  error
	}
	reads := map[string]*treeRead{}
	tree := func(sha string, dst *manifest.Tree) {
		mu.Lock()
		r, again := reads[sha]
		if !again {
			r = &treeRead{done: make(chan struct{})}
			reads[sha] = r
		}
		mu.Unlock()
		if again {
			<-r.done
		} else {
			r.t, r.err = env.Repo.Tree(ctx, sha, env.Dir)
			close(r.done)
		}
		if r.err != nil {
			fail(r.err)
			return
		}
		*dst = r.t
	}
	wg.Go(func() {
		mb, err := env.Repo.MergeBase(ctx, facts.BaseSHA, facts.HeadSHA)
		if err != nil {
			fail(err)
			return
		}
		if mb != facts.BaseSHA || env.Queue != nil {
			in.Base = mb
			tree(mb, &in.BaseTree)
		}
	})
	var qt *queueTrees
	if env.Queue != nil {
		var reads []func()
		qt, reads = gatherQueue(ctx, env, env.Queue, &in, fail, tree)
		for _, read := range reads {
			wg.Go(read)
		}
	} else {
		wg.Go(func() { tree(facts.BaseSHA, &in.PolicyTree) })
	}
	wg.Go(func() { tree(facts.HeadSHA, &in.HeadTree) })
	wg.Go(func() {
		rs, err := env.Repo.Reviews(ctx, facts.Number)
		if err != nil {
			fail(err)
			return
		}
		prFacts.Reviews = rs
	})
	wg.Go(func() {
		c, err := env.Repo.ContributorsOf(ctx, raw) // the pull request as read above, not again
		if err != nil {
			fail(err)
			return
		}
		prFacts.Contributors = c
	})
	wg.Go(func() {
		bg, err := env.Repo.BreakGlassOf(ctx, raw)
		if err != nil {
			fail(err)
			return
		}
		prFacts.BreakGlass = bg
	})
	wg.Wait()
	if len(errs) > 0 {
		return in, prFacts, nil, errs[0]
	}
	if in.BaseTree == nil {
		in.BaseTree = in.PolicyTree
	}
	return in, prFacts, qt, nil
}
