package cli

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/dashboard"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// `modelpromote dashboard` opens the issue once the configuration asks for
// it, with the applied stage, the open prod promotion and the gate holding
// it (from its check run), and then edits it in place.
func TestDashboardCommandKeepsOneIssue(t *testing.T) {
	a := newAuditWorld(t)
	gh := a.w.GitHub
	bot := gh.App().BotLogin
	// The prod promotion is checked: it waits for governance approvals and
	// for its soak in staging.
	if code, out, errOut := a.run(t, "check", "--pr", strconv.Itoa(a.open)); code != ExitOK || !strings.Contains(out, "Verdict: pending") {
		t.Fatalf("check of the prod promotion: exit %d\n%s%s", code, out, errOut)
	}

	// A passing run named modelpromote planted by a workflow (the
	// github-actions App) on the same head is not the check.
	pr, _ := gh.PullRequest(world.Repo, a.open)
	tok, err := gh.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Client(tok).Checks.CreateCheckRun(t.Context(), "acme", "ml-promotions", gogh.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: pr.HeadSHA,
		Status: gogh.String("completed"), Conclusion: gogh.String("success"), Output: &gogh.CheckRunOutput{Title: gogh.String("All gates pass"), Summary: gogh.String("planted")}}); err != nil {
		t.Fatal(err)
	}

	code, _, errOut := a.run(t, "dashboard")
	if code != ExitUsage || !strings.Contains(errOut, "--bot") {
		t.Errorf("an installation token without --bot: exit %d: %s", code, errOut)
	}
	code, out, _ := a.run(t, "dashboard", "--bot", bot)
	if code != ExitOK || !strings.Contains(out, "Dashboard not updated: the configuration does not ask for a dashboard") || len(gh.Issues(world.Repo)) != 0 {
		t.Fatalf("without dashboard: true: exit %d: %s", code, out)
	}

	const path = "promotions/modelpromote.yaml"
	cfg, _ := gh.File(world.Repo, "main", path)
	if _, err := gh.Push(world.Repo, "main", ghemu.Change{Message: "dashboard", Author: world.Pat, Files: map[string]string{path: cfg + "dashboard: true\n"}}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = a.run(t, "dashboard", "--bot", bot)
	issues := gh.Issues(world.Repo)
	if code != ExitOK || !strings.HasPrefix(out, "Dashboard opened: ") || len(issues) != 1 {
		t.Fatalf("exit %d: %s%s; issues %+v", code, out, errOut, issues)
	}
	is := issues[0]
	if is.Author != bot || is.Title != dashboard.Title || !strings.Contains(out, fmt.Sprintf("/issues/%d", is.Number)) {
		t.Errorf("issue %+v; printed %s", is, out)
	}
	if strings.Contains(is.Body, "All gates pass") {
		t.Errorf("the planted check run is on the dashboard:\n%s", is.Body)
	}
	for _, want := range []string{
		dashboard.Marker,
		"| fraud-detector | staging | v13 | v13 | InService | 1 × ml.m5.large |",
		fmt.Sprintf("[#%d](", a.merged),
		fmt.Sprintf("[#%d](", a.open),
		"fraud-detector/prod v11 → v13",
		"⏳ fraud-detector/prod governance",
		"⏳ fraud-detector/prod policy",
		"⏳ [Waiting for approvals",
	} {
		if !strings.Contains(is.Body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, is.Body)
		}
	}

	// Again: the same issue (unchanged, or updated when the minute in its
	// footer turned).
	code, out, _ = a.run(t, "dashboard", "--bot", bot)
	if code != ExitOK || !strings.Contains(out, fmt.Sprintf("/issues/%d", is.Number)) || len(gh.Issues(world.Repo)) != 1 {
		t.Errorf("second run: exit %d: %s", code, out)
	}
	code, out, _ = a.run(t, "dashboard", "--print")
	if code != ExitOK || !strings.HasPrefix(out, dashboard.Marker) {
		t.Errorf("--print: exit %d: %.200s", code, out)
	}
}
