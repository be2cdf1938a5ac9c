package ghemu_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
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
