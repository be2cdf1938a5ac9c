package dashboard

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/report"
)

// OpenPending lists repo's open promotion pull requests (the promotions
// each makes in dir) with the latest modelpromote check run that the App
// appID created on each head: its verdict and, from its annotations, the
// gates that fail or wait. A run of any other App is not shown (anyone
// with checks: write can create one named modelpromote); without the App's
// ID no run is read and the dashboard says so.
func OpenPending(repo *github.Repo, dir string, appID int64) func(ctx context.Context) ([]Pending, error) {
	return func(ctx context.Context) ([]Pending, error) {
		open, err := repo.OpenPromotions(ctx, dir)
		if err != nil {
			return nil, err
		}
		var out []Pending
		for _, pr := range open {
			if len(pr.Promotions) == 0 {
				continue
			}
			p := Pending{Number: pr.Number, URL: pr.URL, Title: pr.Title, Author: pr.Author}
			for _, m := range pr.Promotions {
				p.Moves = append(p.Moves, Move{Model: m.Model, Stage: m.Stage, From: m.FromVersion, To: m.ToVersion})
			}
			out = append(out, p)
		}
		heads := map[int]string{}
		for _, pr := range open {
			heads[pr.Number] = pr.HeadSHA
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4) // GitHub's secondary limits: mostly serial
		for i := range out {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				readCheck(ctx, repo, heads[out[i].Number], appID, &out[i])
			})
		}
		wg.Wait()
		return out, nil
	}
}

// readCheck fills p's check from the App's latest modelpromote check run
// on sha.
func readCheck(ctx context.Context, repo *github.Repo, sha string, appID int64, p *Pending) {
	st, err := repo.LatestCheckRunState(ctx, sha, appID)
	if err != nil {
		p.Error = err.Error()
		return
	}
	if st == nil {
		return
	}
	p.Check, p.Verdict, p.CheckURL = st.Status, st.Title, st.URL
	if st.Status != "completed" {
		return
	}
	p.Check = st.Conclusion
	if st.Conclusion == string(report.ConclusionSuccess) {
		return
	}
	as, err := repo.CheckRunAnnotations(ctx, st.ID)
	if err != nil {
		p.Error = err.Error()
		return
	}
	p.Blocking = blocking(as)
}

// blocking are the distinct gates that annotations say fail or wait.
func blocking(as []report.Annotation) []Block {
	seen := map[Block]bool{}
	var out []Block
	for _, a := range as {
		model, stage, gate, sev, ok := report.AnnotationGate(a.Title)
		if !ok || (sev != "error" && sev != "pending") {
			continue
		}
		b := Block{Model: model, Stage: stage, Gate: gate, Severity: sev}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// Issues is where the dashboard is written (github.Repo).
type Issues interface {
	UpsertMarkedIssue(ctx context.Context, bot, marker, title, body string) (*github.MarkedIssue, error)
}

// Publish writes body to the dashboard issue opened by bot. The note says
// what a person should know (several dashboards).
func Publish(ctx context.Context, is Issues, bot, body string) (issue *github.MarkedIssue, note string, err error) {
	res, err := is.UpsertMarkedIssue(ctx, bot, Marker, Title, body)
	if err != nil {
		return nil, "", fmt.Errorf("dashboard: %w", err)
	}
	if len(res.Duplicates) > 0 {
		var ns []string
		for _, n := range res.Duplicates {
			ns = append(ns, fmt.Sprintf("#%d", n))
		}
		note = fmt.Sprintf("several open dashboard issues by %s: edited the oldest, #%d; close %s", bot, res.Number, strings.Join(ns, ", "))
	}
	return res, note, nil
}
