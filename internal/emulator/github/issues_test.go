package ghemu_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func TestIssueCreateGetUpdateByTheBot(t *testing.T) {
	f := newFixture(t)
	made, _, err := f.bot.Issues.Create(ctx, "acme", "models", &github.IssueRequest{
		Title: github.String("Model promotions"), Body: github.String("<!-- marker -->\nfirst"), Labels: &[]string{"modelpromote"}})
	if err != nil {
		t.Fatal(err)
	}
	if made.GetUser().GetLogin() != "modelpromote[bot]" || made.GetUser().GetType() != "Bot" || made.GetState() != "open" ||
		made.IsPullRequest() || len(made.Labels) != 1 || made.Labels[0].GetName() != "modelpromote" {
		t.Errorf("created %+v", made)
	}
	got, _, err := f.alice.Issues.Get(ctx, "acme", "models", made.GetNumber())
	if err != nil {
		t.Fatal(err)
	}
	if got.GetBody() != "<!-- marker -->\nfirst" || got.GetURL() != made.GetURL() || got.GetHTMLURL() != made.GetHTMLURL() {
		t.Errorf("read back %q at %s, want the issue just made at %s", got.GetBody(), got.GetURL(), made.GetURL())
	}
	upd, _, err := f.bot.Issues.Edit(ctx, "acme", "models", made.GetNumber(), &github.IssueRequest{Body: github.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetBody() != "second" || upd.GetTitle() != "Model promotions" {
		t.Errorf("edited: %q %q", upd.GetTitle(), upd.GetBody())
	}
	is := f.e.Issues("acme/models")
	if len(is) != 1 || is[0].Body != "second" || is[0].Author != "modelpromote[bot]" || is[0].Number != made.GetNumber() {
		t.Errorf("emulator state: %+v", is)
	}
}

// Issues and pull requests share one number sequence, and the issue
// endpoints answer for pull requests too, marked by `pull_request`.
func TestIssuesAndPullRequestsShareNumbers(t *testing.T) {
	f := newFixture(t)
	pr, _ := f.openPR(t, "promote", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\n"}})
	is, err := f.e.OpenIssue("acme/models", "bob", "a question", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if is != pr+1 {
		t.Errorf("issue #%d after pull request #%d", is, pr)
	}
	got, _, err := f.bob.Issues.Get(ctx, "acme", "models", pr)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsPullRequest() || got.GetPullRequestLinks().GetURL() == "" {
		t.Errorf("pull request #%d as an issue has no pull_request key: %+v", pr, got)
	}
	all, _, err := f.bob.Issues.ListByRepo(ctx, "acme", "models", &github.IssueListByRepoOptions{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].GetNumber() != is || all[1].GetNumber() != pr || all[0].IsPullRequest() || !all[1].IsPullRequest() {
		t.Errorf("listed %d, want issue #%d then pull request #%d (newest first)", len(all), is, pr)
	}
	if _, _, err := f.bob.PullRequests.Get(ctx, "acme", "models", is); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("an issue read as a pull request: %v, want 404", err)
	}
}

func TestListIssuesFilters(t *testing.T) {
	f := newFixture(t)
	if err := f.e.SetPermission("acme/models", "alice", "write"); err != nil {
		t.Fatal(err)
	}
	mk := func(c *github.Client, title string, labels ...string) int {
		t.Helper()
		req := &github.IssueRequest{Title: github.String(title)}
		if len(labels) > 0 {
			req.Labels = &labels
		}
		is, _, err := c.Issues.Create(ctx, "acme", "models", req)
		if err != nil {
			t.Fatal(err)
		}
		return is.GetNumber()
	}
	a1 := mk(f.alice, "alice bug", "bug", "ui")
	a2 := mk(f.alice, "alice closed", "bug")
	b1 := mk(f.bob, "bob asks", "bug") // bob has no push access: his label is dropped
	d1 := mk(f.bot, "dashboard")
	if _, _, err := f.alice.Issues.Edit(ctx, "acme", "models", a2, &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	numbers := func(opts *github.IssueListByRepoOptions) []int {
		t.Helper()
		var out []int
		opts.ListOptions = github.ListOptions{PerPage: 2}
		for {
			page, resp, err := f.bob.Issues.ListByRepo(ctx, "acme", "models", opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range page {
				out = append(out, is.GetNumber())
			}
			if resp.NextPage == 0 {
				return out
			}
			opts.Page = resp.NextPage
		}
	}
	tests := []struct {
		name string
		opts github.IssueListByRepoOptions
		want []int
	}{
		{"open by default, newest first", github.IssueListByRepoOptions{}, []int{d1, b1, a1}},
		{"all, oldest first", github.IssueListByRepoOptions{State: "all", Direction: "asc"}, []int{a1, a2, b1, d1}},
		{"closed", github.IssueListByRepoOptions{State: "closed"}, []int{a2}},
		{"creator, any case", github.IssueListByRepoOptions{Creator: "ALICE", State: "all"}, []int{a2, a1}},
		{"creator the bot", github.IssueListByRepoOptions{Creator: "modelpromote[bot]"}, []int{d1}},
		{"every label", github.IssueListByRepoOptions{Labels: []string{"bug", "UI"}}, []int{a1}},
		{"a label bob could not set", github.IssueListByRepoOptions{Labels: []string{"bug"}, State: "all"}, []int{a2, a1}},
		{"unknown creator", github.IssueListByRepoOptions{Creator: "nobody"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := numbers(&tt.opts)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// Anyone may open an issue on a public repository; only its author, the
// App, or someone with push access or the triage role may edit it.
func TestIssueEditsNeedAuthorshipOrAccess(t *testing.T) {
	f := newFixture(t)
	is, _, err := f.bot.Issues.Create(ctx, "acme", "models", &github.IssueRequest{Title: github.String("Model promotions"), Body: github.String("bot's")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.bob.Issues.Edit(ctx, "acme", "models", is.GetNumber(), &github.IssueRequest{Body: github.String("bob's")}); statusOf(t, err) != http.StatusForbidden {
		t.Errorf("bob edited the bot's issue: %v, want 403", err)
	}
	mine, _, err := f.bob.Issues.Create(ctx, "acme", "models", &github.IssueRequest{Title: github.String("mine")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.bob.Issues.Edit(ctx, "acme", "models", mine.GetNumber(), &github.IssueRequest{Body: github.String("edited")}); err != nil {
		t.Errorf("bob could not edit his own issue: %v", err)
	}
	if err := f.e.SetPermission("acme/models", "alice", "triage"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.alice.Issues.Edit(ctx, "acme", "models", is.GetNumber(), &github.IssueRequest{State: github.String("closed")}); err != nil {
		t.Errorf("triage could not close: %v", err)
	}
	if got := f.e.Issues("acme/models")[0]; got.Body != "bot's" || got.State != "closed" {
		t.Errorf("the bot's issue is now %+v", got)
	}
}

func TestIssueBodyOverTheLimitIsRefused(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.bot.Issues.Create(ctx, "acme", "models", &github.IssueRequest{Title: github.String("big"), Body: github.String(strings.Repeat("é", 65537))})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("65,537 characters: %v, want 422", err)
	}
	if _, _, err := f.bot.Issues.Create(ctx, "acme", "models", &github.IssueRequest{Title: github.String("fits"), Body: github.String(strings.Repeat("é", 65536))}); err != nil {
		t.Errorf("65,536 characters (131,072 bytes): %v", err)
	}
	if n := len(f.e.Issues("acme/models")); n != 1 {
		t.Errorf("%d issues, want the one that fits", n)
	}
}

// curl reads an issue back, as a person debugging the bot would.
func TestCurlReadsIssuesBack(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not on PATH")
	}
	f := newFixture(t)
	tok := f.e.CreateUser("carol")
	n, err := f.e.OpenIssue("acme/models", "carol", "Model promotions", "hello from carol")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		t.Helper()
		out, err := exec.Command(curl, "-sS", "--fail-with-body", "-H", "Authorization: Bearer "+tok,
			"-H", "Accept: application/vnd.github+json", strings.TrimSuffix(f.e.URL(), "/")+path).Output()
		if err != nil {
			t.Fatalf("curl %s: %v: %s", path, err, out)
		}
		return out
	}
	var one struct {
		Number int    `json:"number"`
		Body   string `json:"body"`
		User   struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	if err := json.Unmarshal(get("/repos/acme/models/issues/"+strconv.Itoa(n)), &one); err != nil {
		t.Fatal(err)
	}
	if one.Number != n || one.Body != "hello from carol" || one.User.Login != "carol" {
		t.Errorf("curl read %+v", one)
	}
	var list []struct {
		Number int `json:"number"`
	}
	if err := json.Unmarshal(get("/repos/acme/models/issues?creator=carol&state=open"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Number != n {
		t.Errorf("curl listed %+v", list)
	}
}
