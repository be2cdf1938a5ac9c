package ghemu_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
)

const repoName = "acme/models"

// fixture is an emulator seeded with an organization repository, the App
// installed on it, a bot client authenticated through ghinstallation, and
// users alice (the author) and bob (a reviewer).
type fixture struct {
	e       *ghemu.Emulator
	bot     *github.Client
	alice   *github.Client
	bob     *github.Client
	inst    int64
	mainSHA string
}

func newFixture(t *testing.T, opts ...ghemu.Option) *fixture {
	t.Helper()
	e := ghemutest.New(t, opts...)
	sha, err := e.CreateRepo(repoName, map[string]string{
		"README.md":                 "# models\n",
		"promotions/churn.yaml":     "model: churn\nstage: staging\nversion: 3\n",
		"promotions/fraud.yaml":     "model: fraud\nstage: prod\nversion: 7\n",
		"policy/environments.yaml":  "stages: [dev, staging, prod]\n",
		"policy/nested/deep/x.yaml": "x: 1\n",
		"docs/old-name.md":          "rename me\n",
		"promotions/retired.yaml":   "model: retired\n",
		"promotions/unchanged.yaml": "model: same\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	inst := e.Install("acme")
	f := &fixture{e: e, inst: inst, mainSHA: sha}
	f.bot = botClient(t, e, e.URL(), inst)
	f.alice = e.Client(e.CreateUser("alice"))
	f.bob = e.Client(e.CreateUser("bob"))
	return f
}

// botClient is go-github authenticated as the App installation through
// ghinstallation (JWT → installation token), as the bot runs.
func botClient(t *testing.T, e *ghemu.Emulator, baseURL string, inst int64) *github.Client {
	t.Helper()
	app := e.App()
	itr, err := ghinstallation.New(e.HTTPClient().Transport, app.ID, inst, app.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = strings.TrimSuffix(baseURL, "/")
	c := github.NewClient(&http.Client{Transport: itr})
	if strings.HasSuffix(baseURL, "/api/v3/") {
		// The GHES form, as the bot configures it for a GHES host.
		var err error
		if c, err = c.WithEnterpriseURLs(strings.TrimSuffix(baseURL, "api/v3/"), ""); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c.BaseURL, _ = url.Parse(baseURL)
	return c
}

// statusOf is the HTTP status of a go-github error (0 for nil).
func statusOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if er, ok := err.(*github.ErrorResponse); ok {
		return er.Response.StatusCode
	}
	if er, ok := err.(*github.RateLimitError); ok {
		return er.Response.StatusCode
	}
	if er, ok := err.(*github.AbuseRateLimitError); ok {
		return er.Response.StatusCode
	}
	if er, ok := err.(*github.AcceptedError); ok {
		_ = er
		return http.StatusAccepted
	}
	t.Fatalf("not an API error: %v", err)
	return 0
}

// openPR pushes a change to a branch and opens a pull request from it as
// alice, returning its number and head SHA.
func (f *fixture) openPR(t *testing.T, branch string, ch ghemu.Change) (int, string) {
	t.Helper()
	head, err := f.e.Push(repoName, branch, ch)
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.e.OpenPullRequest(repoName, ghemu.PullRequestSpec{Title: "Promote " + branch, Head: branch, Author: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return n, head
}

var ctx = context.Background()

func TestRepositoryReadsOverBothBaseURLs(t *testing.T) {
	f := newFixture(t)
	ghes := botClient(t, f.e, f.e.EnterpriseURL(), f.inst)
	for name, c := range map[string]*github.Client{"dotcom": f.bot, "ghes": ghes} {
		t.Run(name, func(t *testing.T) {
			r, resp, err := c.Repositories.Get(ctx, "acme", "models")
			if err != nil {
				t.Fatal(err)
			}
			if ghes := strings.HasPrefix(resp.Request.URL.Path, "/api/v3/"); ghes != (name == "ghes") {
				t.Errorf("requested %s", resp.Request.URL.Path)
			}
			if !strings.HasPrefix(r.GetURL(), strings.TrimSuffix(c.BaseURL.String(), "/")) {
				t.Errorf("url %s not under %s", r.GetURL(), c.BaseURL)
			}
			if r.GetDefaultBranch() != "main" || r.GetFullName() != repoName {
				t.Errorf("repo = %s default %s", r.GetFullName(), r.GetDefaultBranch())
			}
			b, _, err := c.Repositories.GetBranch(ctx, "acme", "models", "main", 0)
			if err != nil {
				t.Fatal(err)
			}
			if b.GetCommit().GetSHA() != f.mainSHA {
				t.Errorf("branch sha = %s, want %s", b.GetCommit().GetSHA(), f.mainSHA)
			}
			fc, _, _, err := c.Repositories.GetContents(ctx, "acme", "models", "promotions/churn.yaml", &github.RepositoryContentGetOptions{Ref: "main"})
			if err != nil {
				t.Fatal(err)
			}
			content, _ := fc.GetContent()
			if content != "model: churn\nstage: staging\nversion: 3\n" {
				t.Errorf("content = %q", content)
			}
			if fc.GetSHA() != ghemu.BlobSHA([]byte(content)) {
				t.Errorf("blob sha = %s", fc.GetSHA())
			}
			_, dir, _, err := c.Repositories.GetContents(ctx, "acme", "models", "promotions", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(dir) != 4 {
				t.Errorf("directory has %d entries, want 4", len(dir))
			}
		})
	}
}
