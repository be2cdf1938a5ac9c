// Package dashboard keeps one issue per promotions repository, "Model
// promotions", up to date with what runs where: the status table of every
// model × stage (package status), the open promotion pull requests and the
// gates blocking them, recent failed promotions (from the evidence
// records) and drift. Like Renovate's Dependency Dashboard, it is edited in
// place: by the App server after every apply (a rollback is one), and by
// the drift workflow or `modelpromote dashboard`. It is opt-in
// (`dashboard: true` in modelpromote.yaml).
//
// Collect reads; Render is a pure function of what was read, within
// GitHub's limit on an issue body. The issue is only ever one the bot
// opened (github.Repo.UpsertMarkedIssue): anyone who can read the
// repository can open an issue carrying the marker.
package dashboard

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/history"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/status"
)

// Marker starts the body: with the bot's authorship, it is how the
// dashboard is found again.
const Marker = "<!-- modelpromote:dashboard -->"

// Title is the title.
const Title = "Model promotions"

// Pending is an open promotion pull request and what its check said.
type Pending struct {
	Number int
	URL    string
	Title  string
	Author string
	// Moves are the stages it promotes.
	Moves []Move
	// Check is the latest modelpromote check run's state: its conclusion
	// once completed (success, action_required, failure, …), else its
	// status (queued, in_progress); "" when there is none.
	Check string
	// Verdict is the check run's title; CheckURL its page.
	Verdict, CheckURL string
	// Blocking are the gates holding it, from the check run's annotations.
	Blocking []Block
	// Error says why the check could not be read.
	Error string
}

// Move is one stage a pull request promotes.
type Move struct {
	Model, Stage string
	From, To     int
}

// Block is a gate holding a promotion: severity "error" fails it,
// "pending" waits (for approvals).
type Block struct {
	Model, Stage, Gate, Severity string
}

// Failure is a failed promotion, from its evidence record.
type Failure struct {
	Model, Stage   string
	From, To       int
	PullRequest    int
	PullRequestURL string
	FinishedAt     time.Time
	Error          string
	// Record is the evidence record's URI.
	Record string
}

// Input is everything the dashboard shows.
type Input struct {
	// Repo is "owner/name".
	Repo string
	// Table is the status of every model × stage.
	Table *status.Table
	// Pending are the open promotion pull requests; PendingError says why
	// they could not be read, PendingOffline that nothing asked.
	Pending        []Pending
	PendingError   string
	PendingOffline bool
	// Failures are the failed promotions finished at or after Since,
	// newest first; FailuresUnread the record listings or reads that
	// failed.
	Failures       []Failure
	Since          time.Time
	FailuresUnread []string
	// Version is the tool's version, for the footer.
	Version string
}

// Sources are where Collect reads from.
type Sources struct {
	// Status reads the stages and records (its Pulls is replaced by what
	// Pending returns).
	Status status.Sources
	// Pending lists the open promotion pull requests; nil when offline.
	Pending func(ctx context.Context) ([]Pending, error)
	// Window is how far back failures are shown (default 30 days).
	Window time.Duration
}

// DefaultWindow is how far back failures are shown.
const DefaultWindow = 30 * 24 * time.Hour

// Collect reads the dashboard's input: the open pull requests once (their
// promotions also fill the table's open pull requests), every stage's
// status, and the failures of the window.
func Collect(ctx context.Context, src Sources, repo string, cfg *manifest.Config, models map[string]*manifest.ModelDoc) *Input {
	now := time.Now
	if src.Status.Now != nil {
		now = src.Status.Now
	}
	window := src.Window
	if window <= 0 {
		window = DefaultWindow
	}
	in := &Input{Repo: repo, Since: now().Add(-window).UTC(), PendingOffline: src.Pending == nil}
	st := src.Status
	st.Pulls = nil
	if src.Pending != nil {
		pending, err := src.Pending(ctx)
		if err != nil {
			in.PendingError = err.Error()
		}
		in.Pending = pending
		st.Pulls = func(context.Context) ([]status.OpenPullRequest, error) {
			if err != nil {
				return nil, err
			}
			return openPulls(pending), nil
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { in.Failures, in.FailuresUnread = recentFailures(ctx, st.Records, cfg, models, in.Since) })
	in.Table = status.Collect(ctx, st, cfg, models)
	wg.Wait()
	return in
}

func openPulls(ps []Pending) []status.OpenPullRequest {
	var out []status.OpenPullRequest
	for _, p := range ps {
		for _, m := range p.Moves {
			out = append(out, status.OpenPullRequest{Number: p.Number, URL: p.URL, Title: p.Title, Author: p.Author,
				Model: m.Model, Stage: m.Stage, FromVersion: m.From, ToVersion: m.To})
		}
	}
	return out
}

// recentFailures reads the failed promotions of every model × stage
// finished since. Each environment's records of a model are listed once;
// only records written since then are read, so the reads grow with recent
// activity, the listing with the prefix.
func recentFailures(ctx context.Context, s history.Store, cfg *manifest.Config, models map[string]*manifest.ModelDoc, since time.Time) ([]Failure, []string) {
	if s == nil {
		return nil, nil
	}
	jobs := cfg.StagesOf(models)
	var (
		mu       sync.Mutex
		failures []Failure
		unread   []string
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 8)
	)
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			fs, errs := stageFailures(ctx, s, j.Env, j.Model, j.Stage, since)
			mu.Lock()
			failures = append(failures, fs...)
			unread = append(unread, errs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(failures, func(i, k int) bool {
		if !failures[i].FinishedAt.Equal(failures[k].FinishedAt) {
			return failures[i].FinishedAt.After(failures[k].FinishedAt)
		}
		return failures[i].Record < failures[k].Record
	})
	sort.Strings(unread)
	return failures, unread
}

func stageFailures(ctx context.Context, s history.Store, env manifest.Environment, m *manifest.Model, stage string, since time.Time) ([]Failure, []string) {
	objs, err := s.List(ctx, env, m.ModelPackageGroup+"/")
	if err != nil {
		return nil, []string{m.Name + "/" + stage + ": list evidence records: " + err.Error()}
	}
	var out []Failure
	var unread []string
	for _, o := range objs {
		if !history.IsRecordURI(o.URI) || o.LastModified.Before(since) {
			continue
		}
		rec, untrusted, err := history.ReadRecord(ctx, s, env, o.URI)
		switch {
		case err != nil:
			unread = append(unread, m.Name+"/"+stage+": "+err.Error())
			continue
		case untrusted != "":
			// Not written by apply: a failure it claims is not shown.
			unread = append(unread, m.Name+"/"+stage+": "+o.URI+" is not believed: "+untrusted)
			continue
		}
		if rec.Model != m.Name || rec.Stage != stage || rec.Outcome != "failure" || rec.FinishedAt.Before(since) {
			continue
		}
		out = append(out, Failure{Model: rec.Model, Stage: rec.Stage, From: rec.FromVersion, To: rec.ToVersion,
			PullRequest: rec.PullRequest.Number, PullRequestURL: rec.PullRequest.URL, FinishedAt: rec.FinishedAt,
			Error: rec.Error, Record: o.URI})
	}
	return out, unread
}
