package apply

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/github"
)

// TestJudgedHereTakesOnlyTheAppsOwnCheckRun: the pull request's check is
// the modelpromote App's run on the final head and nothing else. Any App
// with checks: write (a pull request workflow's GITHUB_TOKEN is the
// github-actions App's) can put a green run named modelpromote there.
func TestJudgedHereTakesOnlyTheAppsOwnCheckRun(t *testing.T) {
	const app = 1000
	m := &github.Merge{Number: 7, HeadSHA: "0123456789abcdef0123456789abcdef01234567", BaseRef: "main", Merged: true}
	green := func(appID int64, slug string) *github.CheckRunState {
		return &github.CheckRunState{ID: 1, AppID: appID, AppSlug: slug, Status: "completed", Conclusion: "success",
			Scope: github.CheckScope{PR: 7, BaseRef: "main"}, ScopeOK: true}
	}
	tests := []struct {
		name  string
		appID int64
		runs  *github.CheckRuns
		want  string // "" passes
	}{
		{"the App's green run for this pull request and base", app, &github.CheckRuns{Latest: green(app, "modelpromote")}, ""},
		{"the App's ID is not configured", 0, &github.CheckRuns{Latest: green(app, "modelpromote")}, "the modelpromote GitHub App's ID is not configured"},
		{"only a github-actions run", app, &github.CheckRuns{Others: []string{"github-actions"}},
			"the modelpromote App (ID 1000) created no check run there, and runs named modelpromote by github-actions do not count"},
		{"a run of another App that came back anyway", app, &github.CheckRuns{Latest: green(github.ActionsAppID, "github-actions")},
			"was created by github-actions (ID 15368), not the modelpromote App (ID 1000)"},
		{"another App's run, not completed", app, &github.CheckRuns{Latest: &github.CheckRunState{AppID: 42, AppSlug: "ci", Status: "queued"}},
			"was created by ci (ID 42)"},
		{"no run at all", app, &github.CheckRuns{}, "did not pass (missing or not completed)"},
		{"nothing listed", app, nil, "did not pass (missing or not completed)"},
		{"the App's run failed", app, &github.CheckRuns{Latest: func() *github.CheckRunState { c := green(app, "modelpromote"); c.Conclusion = "failure"; return c }()}, "did not pass (failure)"},
		{"the App's run judged another base", app, &github.CheckRuns{Latest: func() *github.CheckRunState {
			c := green(app, "modelpromote")
			c.Scope.BaseRef = "release"
			return c
		}()}, "judged #7 against release"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(judgedHere(tt.runs, tt.appID, m), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("judgedHere = %q, want %q", got, tt.want)
			}
		})
	}
	// What apply reads the bindings from is the App's run only.
	if (&github.CheckRuns{Latest: green(github.ActionsAppID, "github-actions")}).App(app) != nil {
		t.Error("another App's run was read as the App's")
	}
	if (&github.CheckRuns{Latest: green(app, "modelpromote")}).App(0) != nil {
		t.Error("a run was read without knowing the App")
	}
}
