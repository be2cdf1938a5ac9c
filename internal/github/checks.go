package github

import (
	"context"
	"fmt"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/report"
)

// CheckRunState is the latest modelpromote check run of a commit.
type CheckRunState struct {
	ID int64
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
}

// LatestCheckRunState returns the latest modelpromote check run on sha
// (the one with the highest ID), or nil when there is none.
func (r *Repo) LatestCheckRunState(ctx context.Context, sha string) (*CheckRunState, error) {
	res, _, err := r.client.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, &gogh.ListCheckRunsOptions{
		CheckName: gogh.String(report.CheckRunName), Filter: gogh.String("latest"), ListOptions: gogh.ListOptions{PerPage: 100}})
	if err != nil {
		return nil, fmt.Errorf("list check runs of %s: %w", short(sha), err)
	}
	var latest *gogh.CheckRun
	for _, cr := range res.CheckRuns {
		if latest == nil || cr.GetID() > latest.GetID() {
			latest = cr
		}
	}
	if latest == nil {
		return nil, nil
	}
	st := &CheckRunState{ID: latest.GetID(), Status: latest.GetStatus(), Conclusion: latest.GetConclusion(), StartedAt: latest.GetStartedAt().Time,
		Text: latest.GetOutput().GetText()}
	st.Scope, st.ScopeOK = ParseCheckScope(latest.GetExternalID())
	return st, nil
}
