package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/report"
)

// CheckRunState is the latest modelpromote check run of a commit.
type CheckRunState struct {
	ID int64
	// AppID and AppSlug are the GitHub App that created the run (GitHub's
	// "app" of the run; only that App can update it).
	AppID   int64
	AppSlug string
	// Status is queued, in_progress or completed; Conclusion is set once
	// completed.
	Status, Conclusion string
	StartedAt          time.Time
	// Scope is what the run judged; ok false when it did not say (a run
	// from before scopes were recorded, or not modelpromote's).
	Scope   CheckScope
	ScopeOK bool
	// Text is the run's output.text, which records what the check bound
	// (report.Bindings).
	Text string
	// Title is the run's output.title (the verdict); URL its page.
	Title, URL string
}

// ActionsAppID is the github-actions App: every Actions GITHUB_TOKEN's
// check runs are its own, whichever workflow created them.
const ActionsAppID = 15368

// EnvAppID is the variable the modelpromote App's ID is read from when
// neither a flag (--app-id) nor the Action's input (app-id) gives it.
const EnvAppID = "MODELPROMOTE_APP_ID"

// ParseAppID parses a GitHub App ID, as a flag, an input or EnvAppID
// gives it: a positive integer.
func ParseAppID(v string) (int64, bool) {
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// CheckRuns are the modelpromote check runs of one commit, as far as the
// modelpromote App is concerned.
type CheckRuns struct {
	// Latest is the latest run the App created (highest ID), nil when it
	// created none.
	Latest *CheckRunState
	// Others are the apps (slug, or ID when GitHub gave none) of runs named
	// modelpromote that GitHub returned although another App created them:
	// a server that ignores app_id, or a filter GitHub does not apply. They
	// are never taken.
	Others []string
}

// LatestCheckRunState returns the latest modelpromote check run that the
// GitHub App appID created on sha (the one with the highest ID), or nil
// when there is none. A check run belongs to a commit, and any App with
// checks: write (an Actions workflow's GITHUB_TOKEN is the github-actions
// App's) can create one named modelpromote; only the App's own runs may
// stand for the check. The list asks GitHub for the App's runs only
// (app_id), and every run it returns is verified to be the App's as well:
// neither is trusted alone.
func (r *Repo) LatestCheckRunState(ctx context.Context, sha string, appID int64) (*CheckRunState, error) {
	runs, err := r.AppCheckRuns(ctx, sha, appID)
	if err != nil {
		return nil, err
	}
	return runs.Latest, nil
}

// AppCheckRuns lists the modelpromote check runs on sha that the GitHub
// App appID created (LatestCheckRunState). When the first list (app_id,
// latest) holds none of the App's, a second one lists every run named
// modelpromote (filter all, no app_id): it names the other Apps whose runs
// are there, so that a refusal can say they do not count, and it still
// finds the App's own run where a server ignored app_id and "latest" hid
// the App's run behind a newer one of another App.
func (r *Repo) AppCheckRuns(ctx context.Context, sha string, appID int64) (*CheckRuns, error) {
	if appID <= 0 {
		return nil, fmt.Errorf("list check runs of %s: the modelpromote GitHub App's ID is not known, so no check run can be told apart from a planted one", gitsha.Short(sha))
	}
	out := &CheckRuns{}
	runs, err := r.namedCheckRuns(ctx, sha, appID, "latest")
	if err != nil {
		return nil, err
	}
	latest := out.sort(runs, appID)
	if latest == nil {
		all, err := r.namedCheckRuns(ctx, sha, 0, "all")
		if err != nil {
			return nil, err
		}
		latest = out.sort(all, appID)
	}
	if latest == nil {
		return out, nil
	}
	st := &CheckRunState{ID: latest.GetID(), AppID: latest.GetApp().GetID(), AppSlug: latest.GetApp().GetSlug(),
		Status: latest.GetStatus(), Conclusion: latest.GetConclusion(), StartedAt: latest.GetStartedAt().Time,
		Text: latest.GetOutput().GetText(), Title: latest.GetOutput().GetTitle(), URL: latest.GetHTMLURL()}
	st.Scope, st.ScopeOK = ParseCheckScope(latest.GetExternalID())
	out.Latest = st
	return out, nil
}

// sort returns the App's latest run (highest ID) among runs, and notes the
// other Apps whose runs are there.
func (c *CheckRuns) sort(runs []*gogh.CheckRun, appID int64) *gogh.CheckRun {
	var latest *gogh.CheckRun
	for _, cr := range runs {
		if cr.GetApp().GetID() != appID {
			if n := appName(cr.GetApp()); !slices.Contains(c.Others, n) {
				c.Others = append(c.Others, n)
			}
			continue
		}
		if latest == nil || cr.GetID() > latest.GetID() {
			latest = cr
		}
	}
	return latest
}

// namedCheckRuns lists the check runs named modelpromote on sha (filter
// latest or all), of App appID only when it is not 0 (GitHub's app_id).
func (r *Repo) namedCheckRuns(ctx context.Context, sha string, appID int64, filter string) ([]*gogh.CheckRun, error) {
	opts := &gogh.ListCheckRunsOptions{CheckName: gogh.String(report.CheckRunName), Filter: gogh.String(filter), ListOptions: gogh.ListOptions{PerPage: 100}}
	if appID != 0 {
		opts.AppID = gogh.Int64(appID)
	}
	res, _, err := r.client.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, opts)
	if err != nil {
		return nil, fmt.Errorf("list check runs of %s: %w", gitsha.Short(sha), err)
	}
	var out []*gogh.CheckRun
	for _, cr := range res.CheckRuns {
		if cr.GetName() == report.CheckRunName {
			out = append(out, cr)
		}
	}
	return out, nil
}

// App is the latest run if App appID created it, else nil: what may be
// read from a run (its bindings) is read only from the App's own.
func (c *CheckRuns) App(appID int64) *CheckRunState {
	if c == nil || c.Latest == nil || appID <= 0 || c.Latest.AppID != appID {
		return nil
	}
	return c.Latest
}

func appName(a *gogh.App) string {
	switch {
	case a.GetSlug() != "":
		return a.GetSlug()
	case a.GetID() != 0:
		return fmt.Sprintf("app %d", a.GetID())
	}
	return "no app"
}

// CheckRunAnnotations lists a check run's annotations (every page).
func (r *Repo) CheckRunAnnotations(ctx context.Context, id int64) ([]report.Annotation, error) {
	opts := &gogh.ListOptions{PerPage: 100}
	var out []report.Annotation
	for {
		page, resp, err := r.client.Checks.ListCheckRunAnnotations(ctx, r.Owner, r.Name, id, opts)
		if err != nil {
			return nil, fmt.Errorf("list annotations of check run %d: %w", id, err)
		}
		for _, a := range page {
			out = append(out, report.Annotation{Path: a.GetPath(), StartLine: a.GetStartLine(), EndLine: a.GetEndLine(),
				Level: report.AnnotationLevel(a.GetAnnotationLevel()), Title: a.GetTitle(), Message: a.GetMessage()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}
