package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/report"
)

// UpsertComment keeps the one report comment on a pull request, carrying
// report.CommentMarker, edited in place (not at all when unchanged). It
// returns the comment's URL.
func (r *Repo) UpsertComment(ctx context.Context, number int, body string) (string, error) {
	return r.UpsertMarkedComment(ctx, number, report.CommentMarker, body)
}

// findComment returns the bot's comment starting with marker, or nil. Only
// comments by a bot account count: a person quoting the marker must not
// capture it.
func (r *Repo) findComment(ctx context.Context, number int, marker string) (*gogh.IssueComment, error) {
	opts := &gogh.IssueListCommentsOptions{ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := r.client.Issues.ListComments(ctx, r.Owner, r.Name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list comments of #%d: %w", number, err)
		}
		for _, c := range page {
			if strings.HasPrefix(c.GetBody(), marker) && c.GetUser().GetType() == "Bot" {
				return c, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// CheckRun is a check run being reported.
type CheckRun struct {
	ID  int64
	URL string
}

// StartCheckRun creates the modelpromote check run on sha, in progress: from
// now until the result lands, branch protection sees it running.
func (r *Repo) StartCheckRun(ctx context.Context, sha string, scope CheckScope) (*CheckRun, error) {
	cr, _, err := r.client.Checks.CreateCheckRun(ctx, r.Owner, r.Name, gogh.CreateCheckRunOptions{
		Name:       report.CheckRunName,
		HeadSHA:    sha,
		ExternalID: gogh.String(scope.String()),
		Status:     gogh.String("in_progress"),
		StartedAt:  &gogh.Timestamp{Time: time.Now()},
		Output:     &gogh.CheckRunOutput{Title: gogh.String("Checking promotions…"), Summary: gogh.String("modelpromote is checking this pull request.")},
	})
	if err != nil {
		return nil, fmt.Errorf("create check run on %s: %w", gitsha.Short(sha), err)
	}
	return &CheckRun{ID: cr.GetID(), URL: cr.GetHTMLURL()}, nil
}

// FinishCheckRun completes a check run with out, sending annotations in
// batches of report.MaxAnnotationsPerRequest (each update appends): all
// but the last at once, then the last, which completes the run.
func (r *Repo) FinishCheckRun(ctx context.Context, run *CheckRun, out report.CheckRunOutput) error {
	batches := report.Batches(out.Annotations, report.MaxAnnotationsPerRequest)
	if len(batches) == 0 {
		batches = [][]report.Annotation{nil}
	}
	update := func(batch []report.Annotation, last bool) error {
		opts := gogh.UpdateCheckRunOptions{
			Name: report.CheckRunName,
			Output: &gogh.CheckRunOutput{
				Title:       gogh.String(out.Title),
				Summary:     gogh.String(out.Summary),
				Text:        gogh.String(out.Text),
				Annotations: annotations(batch),
			},
		}
		if last {
			opts.Status = gogh.String("completed")
			opts.Conclusion = gogh.String(string(out.Conclusion))
			opts.CompletedAt = &gogh.Timestamp{Time: time.Now()}
		}
		if _, _, err := r.client.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, run.ID, opts); err != nil {
			return fmt.Errorf("update check run %d: %w", run.ID, err)
		}
		return nil
	}
	// Every update appends its annotations, so all batches but the last go
	// at once (at most pageSlots in flight: a 500-promotion check has about
	// 20), and the last, which completes the run, only once they are in.
	slots := make(chan struct{}, pageSlots)
	errs := make([]error, len(batches)-1)
	var wg sync.WaitGroup
	for i, batch := range batches[:len(batches)-1] {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = update(batch, false)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return update(batches[len(batches)-1], true)
}

func annotations(as []report.Annotation) []*gogh.CheckRunAnnotation {
	out := make([]*gogh.CheckRunAnnotation, 0, len(as))
	for _, a := range as {
		ca := &gogh.CheckRunAnnotation{
			Path:            gogh.String(a.Path),
			StartLine:       gogh.Int(a.StartLine),
			EndLine:         gogh.Int(a.EndLine),
			AnnotationLevel: gogh.String(string(a.Level)),
			Message:         gogh.String(a.Message),
		}
		if a.Title != "" {
			ca.Title = gogh.String(a.Title)
		}
		if a.StartColumn > 0 && a.StartLine == a.EndLine {
			ca.StartColumn = gogh.Int(a.StartColumn)
			ca.EndColumn = gogh.Int(max(a.EndColumn, a.StartColumn))
		}
		out = append(out, ca)
	}
	return out
}
