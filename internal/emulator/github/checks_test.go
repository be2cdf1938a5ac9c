package ghemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func annotations(n int) []*github.CheckRunAnnotation {
	var out []*github.CheckRunAnnotation
	for i := 0; i < n; i++ {
		out = append(out, &github.CheckRunAnnotation{
			Path: github.String("promotions/churn.yaml"), StartLine: github.Int(i + 1), EndLine: github.Int(i + 1),
			AnnotationLevel: github.String("warning"), Message: github.String("check this"),
		})
	}
	return out
}

func TestCheckRunLifecycleAppendsAnnotations(t *testing.T) {
	f := newFixture(t)
	_, head := f.openPR(t, "promote", promotionChange)

	cr, _, err := f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{
		Name: "modelpromote", HeadSHA: head, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Checking"), Summary: github.String("…"), Annotations: annotations(50)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cr.GetStatus() != "in_progress" || cr.GetApp().GetID() != f.e.App().ID || len(cr.PullRequests) != 1 {
		t.Errorf("check run %s app %d prs %d", cr.GetStatus(), cr.GetApp().GetID(), len(cr.PullRequests))
	}
	_, _, err = f.bot.Checks.UpdateCheckRun(ctx, "acme", "models", cr.GetID(), github.UpdateCheckRunOptions{
		Name: "modelpromote", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("2 findings"), Summary: github.String("bad"), Annotations: annotations(30)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := f.bot.Checks.GetCheckRun(ctx, "acme", "models", cr.GetID())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetStatus() != "completed" || got.GetConclusion() != "failure" || got.GetOutput().GetAnnotationsCount() != 80 || got.CompletedAt == nil {
		t.Errorf("status %s conclusion %s annotations %d", got.GetStatus(), got.GetConclusion(), got.GetOutput().GetAnnotationsCount())
	}
	var all []*github.CheckRunAnnotation
	opts := &github.ListOptions{PerPage: 50}
	for {
		page, resp, err := f.bot.Checks.ListCheckRunAnnotations(ctx, "acme", "models", cr.GetID(), opts)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(all) != 80 {
		t.Errorf("listed %d annotations", len(all))
	}
	runs := f.e.CheckRuns(repoName, head)
	if len(runs) != 1 || len(runs[0].Annotations) != 80 || runs[0].Title != "2 findings" {
		t.Errorf("inspected runs = %+v", runs)
	}

	// A re-run creates a second run; "latest" lists one per name.
	f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head})
	for filter, want := range map[string]int{"latest": 1, "all": 2} {
		list, _, err := f.bot.Checks.ListCheckRunsForRef(ctx, "acme", "models", head, &github.ListCheckRunsOptions{Filter: github.String(filter)})
		if err != nil {
			t.Fatal(err)
		}
		if list.GetTotal() != want || len(list.CheckRuns) != want {
			t.Errorf("filter %s: total %d", filter, list.GetTotal())
		}
	}
}

func TestCheckRunLimits(t *testing.T) {
	f := newFixture(t)
	_, head := f.openPR(t, "promote", promotionChange)
	tests := []struct {
		name    string
		opts    github.CreateCheckRunOptions
		message string
	}{
		{"51 annotations", github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Annotations: annotations(51)}},
			"No more than 50 items are allowed; 51 were supplied."},
		{"summary too long", github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(strings.Repeat("s", 65536))}},
			"Only 65535 characters are allowed; 65536 were supplied."},
		{"text too long", github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String("s"), Text: github.String(strings.Repeat("t", 70000))}},
			"Only 65535 characters are allowed; 70000 were supplied."},
		{"summary over the byte size", github.CreateCheckRunOptions{Name: "x", HeadSHA: head, Output: &github.CheckRunOutput{
			Title: github.String("t"), Summary: github.String(strings.Repeat("é", 40000))}},
			"Validation Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.bot.Checks.CreateCheckRun(ctx, "acme", "models", tt.opts)
			if statusOf(t, err) != http.StatusUnprocessableEntity {
				t.Fatalf("err = %v", err)
			}
			if msg := err.(*github.ErrorResponse).Message; !strings.Contains(msg, tt.message) {
				t.Errorf("message %q lacks %q", msg, tt.message)
			}
		})
	}
	// Schema violations are the client's fault: they are recorded.
	if got := f.e.TakeValidationErrors(); len(got) != 3 {
		for _, v := range got {
			t.Log(v)
		}
		t.Errorf("%d validation errors recorded, want 3", len(got))
	}
	if runs := f.e.CheckRuns(repoName, ""); len(runs) != 0 {
		t.Errorf("refused requests created %d runs", len(runs))
	}
	_, _, err := f.alice.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "x", HeadSHA: head})
	if statusOf(t, err) != http.StatusForbidden {
		t.Errorf("user token creating a check run: %v", err)
	}
}

func TestCommitStatusesAndCombinedState(t *testing.T) {
	f := newFixture(t)
	sha := f.mainSHA
	steps := []struct {
		ctx, state string
		combined   string
	}{
		{"modelpromote/gate", "pending", "pending"},
		{"ci", "success", "pending"},
		{"modelpromote/gate", "success", "success"},
		{"ci", "failure", "failure"},
	}
	for _, s := range steps {
		if _, _, err := f.bot.Repositories.CreateStatus(ctx, "acme", "models", sha, &github.RepoStatus{State: github.String(s.state), Context: github.String(s.ctx), Description: github.String("d")}); err != nil {
			t.Fatal(err)
		}
		cs, _, err := f.bot.Repositories.GetCombinedStatus(ctx, "acme", "models", sha, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cs.GetState() != s.combined {
			t.Errorf("after %s=%s: combined %s, want %s", s.ctx, s.state, cs.GetState(), s.combined)
		}
	}
	list, _, err := f.bot.Repositories.ListStatuses(ctx, "acme", "models", "main", nil)
	if err != nil || len(list) != 4 || list[0].GetState() != "failure" {
		t.Errorf("statuses = %d, %v", len(list), err)
	}
	_, _, err = f.bot.Repositories.CreateStatus(ctx, "acme", "models", sha, &github.RepoStatus{State: github.String("success"), Description: github.String(strings.Repeat("d", 141))})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Fatalf("long description: %v", err)
	}
	if er := err.(*github.ErrorResponse); len(er.Errors) != 1 || er.Errors[0].Message != "description is too long (maximum is 140 characters)" {
		t.Errorf("errors = %+v", er.Errors)
	}
	f.e.TakeValidationErrors() // the description may also carry a schema limit
}

func TestDeploymentsAndStatuses(t *testing.T) {
	f := newFixture(t)
	newDeployment := func(env string) *github.Deployment {
		t.Helper()
		d, _, err := f.bot.Repositories.CreateDeployment(ctx, "acme", "models", &github.DeploymentRequest{
			Ref: github.String("main"), Task: github.String("deploy:model"), Environment: github.String(env),
			RequiredContexts: &[]string{}, Payload: map[string]any{"model": "churn"}, AutoMerge: github.Bool(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := newDeployment("prod")
	for _, st := range []string{"in_progress", "success"} {
		if _, _, err := f.bot.Repositories.CreateDeploymentStatus(ctx, "acme", "models", first.GetID(), &github.DeploymentStatusRequest{
			State: github.String(st), EnvironmentURL: github.String("https://console/endpoint"), LogURL: github.String("https://logs/1"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	second := newDeployment("prod")
	f.bot.Repositories.CreateDeploymentStatus(ctx, "acme", "models", second.GetID(), &github.DeploymentStatusRequest{State: github.String("success")})
	newDeployment("staging")

	statuses, _, err := f.bot.Repositories.ListDeploymentStatuses(ctx, "acme", "models", first.GetID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 3 || statuses[0].GetState() != "inactive" || statuses[1].GetEnvironmentURL() != "https://console/endpoint" {
		t.Errorf("first deployment statuses = %v", statuses)
	}
	tests := []struct {
		opts *github.DeploymentsListOptions
		want int
	}{
		{nil, 3},
		{&github.DeploymentsListOptions{Environment: "prod"}, 2},
		{&github.DeploymentsListOptions{SHA: f.mainSHA, Task: "deploy:model"}, 3},
		{&github.DeploymentsListOptions{Ref: "other"}, 0},
	}
	for _, tt := range tests {
		list, _, err := f.bot.Repositories.ListDeployments(ctx, "acme", "models", tt.opts)
		if err != nil || len(list) != tt.want {
			t.Errorf("%+v: %d deployments, want %d (%v)", tt.opts, len(list), tt.want, err)
		}
	}
	ds := f.e.Deployments(repoName)
	if len(ds) != 3 || ds[0].Payload.(map[string]any)["model"] != "churn" || ds[0].Statuses[1].LogURL != "https://logs/1" {
		t.Errorf("inspected deployments = %+v", ds)
	}

	// Without required_contexts every status must be green.
	f.bot.Repositories.CreateStatus(ctx, "acme", "models", f.mainSHA, &github.RepoStatus{State: github.String("failure"), Context: github.String("ci")})
	_, _, err = f.bot.Repositories.CreateDeployment(ctx, "acme", "models", &github.DeploymentRequest{Ref: github.String("main"), AutoMerge: github.Bool(false)})
	if statusOf(t, err) != http.StatusConflict {
		t.Errorf("deployment over a failing status: %v", err)
	}
}

// TestCheckRunsAreTheirAppsOwn: a check run carries the App whose token
// created it (GitHub's "app" object); a user token cannot create or update
// one; an App cannot update another App's run; app_id lists one App's runs.
func TestCheckRunsAreTheirAppsOwn(t *testing.T) {
	f := newFixture(t)
	_, head := f.openPR(t, "promote", promotionChange)
	actionsTok, err := f.e.ActionsToken(repoName, false)
	if err != nil {
		t.Fatal(err)
	}
	actions := f.e.Client(actionsTok)
	other, err := f.e.AddApp("ci-bot")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := f.e.InstallApp(other.ID, "acme")
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := f.e.InstallationToken(inst)
	if err != nil {
		t.Fatal(err)
	}
	ci := f.e.Client(otherTok)
	create := func(c *github.Client) (*github.CheckRun, error) {
		cr, _, err := c.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{
			Name: "modelpromote", HeadSHA: head, Conclusion: github.String("success"), ExternalID: github.String("modelpromote/v1 pr=1 base=main")})
		return cr, err
	}
	byApp := map[string]int64{}
	for _, tt := range []struct {
		name             string
		c                *github.Client
		id               int64
		slug, owner, bot string
	}{
		{"the bot's App", f.bot, f.e.App().ID, f.e.App().Slug, "modelpromote", f.e.App().BotLogin},
		{"an Actions GITHUB_TOKEN", actions, ghemu.ActionsAppID, "github-actions", "github", "github-actions[bot]"},
		{"another App", ci, other.ID, "ci-bot", "ci-bot-org", "ci-bot[bot]"},
	} {
		cr, err := create(tt.c)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		byApp[tt.slug] = cr.GetID()
		a := cr.GetApp()
		if a.GetID() != tt.id || a.GetSlug() != tt.slug || a.GetOwner().GetLogin() != tt.owner || a.GetName() == "" {
			t.Errorf("%s: app %d %s owned by %s", tt.name, a.GetID(), a.GetSlug(), a.GetOwner().GetLogin())
		}
		got, _, err := f.alice.Checks.GetCheckRun(ctx, "acme", "models", cr.GetID()) // anyone may read it
		if err != nil || got.GetApp().GetID() != tt.id {
			t.Errorf("%s: read back app %d, %v", tt.name, got.GetApp().GetID(), err)
		}
		runs := f.e.CheckRuns(repoName, head)
		if last := runs[len(runs)-1]; last.AppID != tt.id || last.AppSlug != tt.slug || last.Creator != tt.bot {
			t.Errorf("%s: inspected %+v", tt.name, last)
		}
	}
	if got := f.e.App().ID; got == ghemu.ActionsAppID {
		t.Fatalf("the bot's App has the github-actions ID")
	}

	// A user token (or PAT) may read check runs but not write them.
	_, err = create(f.alice)
	if statusOf(t, err) != http.StatusForbidden || !strings.Contains(err.Error(), "You must authenticate via a GitHub App.") {
		t.Errorf("user token created a check run: %v", err)
	}
	_, _, err = f.alice.Checks.UpdateCheckRun(ctx, "acme", "models", byApp["modelpromote"], github.UpdateCheckRunOptions{Name: "modelpromote", Conclusion: github.String("failure")})
	if statusOf(t, err) != http.StatusForbidden || !strings.Contains(err.Error(), "You must authenticate via a GitHub App.") {
		t.Errorf("user token updated a check run: %v", err)
	}
	// Another App (the Actions one included) cannot change the bot's run.
	for name, c := range map[string]*github.Client{"actions": actions, "ci-bot": ci} {
		_, _, err = c.Checks.UpdateCheckRun(ctx, "acme", "models", byApp["modelpromote"], github.UpdateCheckRunOptions{Name: "modelpromote",
			Output: &github.CheckRunOutput{Title: github.String("forged"), Summary: github.String("forged"), Text: github.String("forged")}})
		want := fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", f.e.App().ID)
		if statusOf(t, err) != http.StatusForbidden || !strings.Contains(err.Error(), want) {
			t.Errorf("%s updated the bot's run: %v", name, err)
		}
	}
	for _, cr := range f.e.CheckRuns(repoName, head) {
		if cr.Text == "forged" || cr.Conclusion != "success" {
			t.Errorf("a refused update changed run %d: %+v", cr.ID, cr)
		}
	}

	// app_id: the one App's runs, newest first, "latest" within them.
	f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head})
	for _, tt := range []struct {
		appID  int64
		filter string
		want   int
	}{
		{0, "latest", 1}, {0, "all", 4},
		{f.e.App().ID, "latest", 1}, {f.e.App().ID, "all", 2},
		{ghemu.ActionsAppID, "all", 1}, {other.ID, "all", 1}, {424242, "all", 0},
	} {
		opts := &github.ListCheckRunsOptions{CheckName: github.String("modelpromote"), Filter: github.String(tt.filter)}
		if tt.appID != 0 {
			opts.AppID = github.Int64(tt.appID)
		}
		list, _, err := f.alice.Checks.ListCheckRunsForRef(ctx, "acme", "models", head, opts)
		if err != nil {
			t.Fatal(err)
		}
		if list.GetTotal() != tt.want || len(list.CheckRuns) != tt.want {
			t.Errorf("app_id %d filter %s: %d runs, want %d", tt.appID, tt.filter, list.GetTotal(), tt.want)
		}
		for _, cr := range list.CheckRuns {
			if tt.appID != 0 && cr.GetApp().GetID() != tt.appID {
				t.Errorf("app_id %d listed a run of app %d", tt.appID, cr.GetApp().GetID())
			}
		}
		if tt.appID == f.e.App().ID && tt.filter == "latest" && list.CheckRuns[0].GetStatus() != "queued" {
			t.Errorf("latest of the bot's runs is %s, want the newest (queued)", list.CheckRuns[0].GetStatus())
		}
	}
}

// TestCurlReadsACheckRunsApp: curl, as a script would, lists one App's
// check runs and reads the app back.
func TestCurlReadsACheckRunsApp(t *testing.T) {
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	f := newFixture(t)
	_, head := f.openPR(t, "promote", promotionChange)
	actionsTok, _ := f.e.ActionsToken(repoName, false)
	if _, _, err := f.e.Client(actionsTok).Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head}); err != nil {
		t.Fatal(err)
	}
	tok := f.e.CreateUser("carol")
	get := func(query string) map[string]any {
		out, err := exec.Command(bin, "-sS", "--fail-with-body", "-H", "Authorization: Bearer "+tok, "-H", "Accept: application/vnd.github+json",
			f.e.URL()+"repos/acme/models/commits/"+head+"/check-runs?"+query).Output()
		if err != nil {
			t.Fatalf("curl %s: %v: %s", query, err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("curl %s: %v", query, err)
		}
		return m
	}
	for _, tt := range []struct {
		appID int64
		slug  string
	}{{f.e.App().ID, "modelpromote"}, {ghemu.ActionsAppID, "github-actions"}} {
		m := get(fmt.Sprintf("check_name=modelpromote&app_id=%d", tt.appID))
		runs, _ := m["check_runs"].([]any)
		if len(runs) != 1 {
			t.Fatalf("app_id %d: %d runs", tt.appID, len(runs))
		}
		app, _ := runs[0].(map[string]any)["app"].(map[string]any)
		if id, _ := app["id"].(float64); int64(id) != tt.appID || app["slug"] != tt.slug {
			t.Errorf("app_id %d: app %v", tt.appID, app)
		}
	}
	if m := get("filter=all"); m["total_count"] != float64(2) {
		t.Errorf("unfiltered: %v runs", m["total_count"])
	}
}

// TestAnotherAppActsWithItsPermissions: an App with checks: write and
// contents: read (AddApp) may create check runs, but not label, comment
// on, merge or update a pull request: GitHub answers 403 "Resource not
// accessible by integration" and nothing changes.
func TestAnotherAppActsWithItsPermissions(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote", promotionChange)
	other, err := f.e.AddApp("ci-bot")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := f.e.InstallApp(other.ID, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.e.InstallationToken(inst)
	if err != nil {
		t.Fatal(err)
	}
	ci := f.e.Client(tok)
	if _, _, err := ci.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "ci", HeadSHA: head}); err != nil {
		t.Fatalf("checks: write did not create a check run: %v", err)
	}
	for name, write := range map[string]func() error{
		"add a label": func() error {
			_, _, err := ci.Issues.AddLabelsToIssue(ctx, "acme", "models", n, []string{"break-glass"})
			return err
		},
		"label through the issue": func() error {
			_, _, err := ci.Issues.Edit(ctx, "acme", "models", n, &github.IssueRequest{Labels: &[]string{"break-glass"}})
			return err
		},
		"comment": func() error {
			_, _, err := ci.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String("hi")})
			return err
		},
		"merge": func() error {
			_, _, err := ci.PullRequests.Merge(ctx, "acme", "models", n, "", nil)
			return err
		},
		"close": func() error {
			_, _, err := ci.PullRequests.Edit(ctx, "acme", "models", n, &github.PullRequest{State: github.String("closed")})
			return err
		},
	} {
		if err := write(); statusOf(t, err) != http.StatusForbidden || !strings.Contains(err.Error(), "Resource not accessible by integration") {
			t.Errorf("%s: %v, want 403 Resource not accessible by integration", name, err)
		}
	}
	pr, ok := f.e.PullRequest(repoName, n)
	if !ok || pr.Merged || pr.State != "open" {
		t.Errorf("a refused write changed the pull request: %+v", pr)
	}
	is, _, err := f.alice.Issues.Get(ctx, "acme", "models", n)
	if err != nil || len(is.Labels) != 0 {
		t.Errorf("a refused write labelled the pull request: %v, %v", is.Labels, err)
	}
}
