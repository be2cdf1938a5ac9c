package ghemu_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// Every html_url the bot passes on (a pull request, its comment, its check
// run, the merge commit, a file) opens a page showing that object, over
// either base URL.
func TestWebLinksOpen(t *testing.T) {
	f := newFixture(t)
	n, head := f.openPR(t, "promote", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\n"}})
	cm, _, err := f.bot.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String("The plan: <promote churn>")})
	if err != nil {
		t.Fatal(err)
	}
	ghes := botClient(t, f.e, f.e.EnterpriseURL(), f.inst)
	cr, _, err := ghes.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: head,
		Status: github.String("completed"), Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String("1 promotion"), Summary: github.String("churn → prod")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Review(repoName, n, "bob", "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	merge, err := f.e.Merge(repoName, n, "bob", "merge")
	if err != nil {
		t.Fatal(err)
	}
	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n)
	if err != nil {
		t.Fatal(err)
	}
	file, _, _, err := f.bot.Repositories.GetContents(ctx, "acme", "models", "promotions/churn.yaml", &github.RepositoryContentGetOptions{Ref: merge})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		url  string
		want []string
	}{
		{pr.GetHTMLURL(), []string{"Promote promote #", "merged as", "The plan: &lt;promote churn&gt;", "bob", "APPROVED", "modelpromote</a>: completed success"}},
		{cm.GetHTMLURL(), []string{`id="issuecomment-`, "The plan: &lt;promote churn&gt;"}},
		{cr.GetHTMLURL(), []string{"completed success", "1 promotion", "churn → prod", head[:7]}},
		{pr.GetBase().GetRepo().GetHTMLURL() + "/commit/" + merge, []string{"Commit " + merge[:7], "Merge pull request #1"}},
		{file.GetHTMLURL(), []string{"promotions/churn.yaml", "stage: prod"}},
		{file.GetDownloadURL(), []string{"model: churn\nstage: prod\n"}},
		{pr.GetBase().GetRepo().GetHTMLURL(), []string{"#" + "1 Promote promote", "merged"}},
		{pr.GetUser().GetHTMLURL(), []string{"alice"}},
	} {
		res, err := f.e.HTTPClient().Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", tc.url, res.StatusCode)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("GET %s lacks %q:\n%s", tc.url, w, body)
			}
		}
	}
	for _, missing := range []string{"/_web/acme/models/pull/99", "/_web/acme/models/runs/99999", "/_web/acme/nope", "/_web/nobody"} {
		res, err := f.e.HTTPClient().Get(strings.TrimSuffix(f.e.URL(), "/") + missing)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", missing, res.StatusCode)
		}
	}
}
