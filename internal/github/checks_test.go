package github_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// dropAppID is a server that ignores app_id (a proxy that strips it, or a
// GitHub that does not know it): the runs it lists are every App's.
type dropAppID struct{ base http.RoundTripper }

func (d dropAppID) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	q := r.URL.Query()
	q.Del("app_id")
	r.URL.RawQuery = q.Encode()
	return d.base.RoundTrip(r)
}

// queries records the query of every check-run list.
type queries struct {
	base http.RoundTripper
	mu   sync.Mutex
	got  []string
}

func (q *queries) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/check-runs") && r.Method == http.MethodGet {
		q.mu.Lock()
		q.got = append(q.got, r.URL.RawQuery)
		q.mu.Unlock()
	}
	return q.base.RoundTrip(r)
}

// TestAppCheckRunsTakesOnlyTheAppsOwn: a run named modelpromote that
// another App created (an Actions GITHUB_TOKEN's, another App's) is never
// the check, whether GitHub leaves it out (app_id) or returns it anyway
// (the adapter verifies each run's app.id); it is named, so that a
// refusal can say why it does not count.
func TestAppCheckRunsTakesOnlyTheAppsOwn(t *testing.T) {
	w := newWorld(t)
	sha, _ := w.GitHub.Branch(world.Repo, "main")
	appID := w.GitHub.App().ID
	post := func(c *gogh.Client, conclusion string) int64 {
		t.Helper()
		cr, _, err := c.Checks.CreateCheckRun(t.Context(), "acme", "ml-promotions", gogh.CreateCheckRunOptions{Name: report.CheckRunName, HeadSHA: sha,
			Conclusion: gogh.String(conclusion), ExternalID: gogh.String("modelpromote/v1 pr=1 base=main")})
		if err != nil {
			t.Fatal(err)
		}
		return cr.GetID()
	}
	actionsTok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	actions := w.GitHub.Client(actionsTok)
	owner, name, _ := strings.Cut(world.Repo, "/")
	if owner != "acme" || name != "ml-promotions" {
		t.Fatalf("world repo %s", world.Repo)
	}
	honest := func(transport http.RoundTripper) *github.Repo {
		gh, err := github.NewClient(w.GitHub.URL(), w.BotToken, transport)
		if err != nil {
			t.Fatal(err)
		}
		return github.NewRepo(gh, owner, name)
	}
	asked := &queries{base: w.GitHub.HTTPClient().Transport}
	filtering, ignoring := honest(asked), honest(dropAppID{w.GitHub.HTTPClient().Transport})

	// Only a planted run: nothing of the App's, and the planter is named.
	post(actions, "success")
	for label, repo := range map[string]*github.Repo{"app_id honoured": filtering, "app_id ignored": ignoring} {
		runs, err := repo.AppCheckRuns(t.Context(), sha, appID)
		if err != nil {
			t.Fatal(err)
		}
		if runs.Latest != nil || len(runs.Others) != 1 || runs.Others[0] != "github-actions" {
			t.Errorf("%s, planted run only: latest %+v, others %v", label, runs.Latest, runs.Others)
		}
	}

	// The App's failing run, then a newer planted green one.
	bot := w.GitHub.Client(w.BotToken)
	own := post(bot, "failure")
	post(actions, "success")
	for label, repo := range map[string]*github.Repo{"app_id honoured": filtering, "app_id ignored": ignoring} {
		st, err := repo.LatestCheckRunState(t.Context(), sha, appID)
		if err != nil {
			t.Fatal(err)
		}
		if st == nil || st.ID != own || st.AppID != appID || st.Conclusion != "failure" {
			t.Errorf("%s: took %+v, want the App's run %d", label, st, own)
		}
	}

	// GitHub is asked for the App's runs (app_id) first, always.
	if len(asked.got) == 0 || !strings.Contains(asked.got[0], fmt.Sprintf("app_id=%d", appID)) {
		t.Errorf("the first list asked %v, want app_id=%d", asked.got, appID)
	}
	if _, err := filtering.AppCheckRuns(t.Context(), sha, 0); err == nil {
		t.Error("listed check runs without knowing the App")
	}
}
