package ghemu_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// A repository with a pull request, a webhook receiver, and the bot's view
// through go-github.
func Example() {
	e, err := ghemu.New() // in a test: ghemutest.New(t), which also reports OpenAPI mismatches
	if err != nil {
		panic(err)
	}
	defer e.Close()

	e.CreateRepo("acme/models", map[string]string{"promotions/churn.yaml": "stage: staging\n"})
	e.CreateUser("alice")
	inst := e.Install("acme")

	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := github.ValidatePayload(r, []byte("secret")); err == nil {
			fmt.Println("webhook:", github.WebHookType(r))
		}
	}))
	defer hook.Close()
	e.AddWebhook(ghemu.Webhook{URL: hook.URL, Secret: "secret", Events: []string{"pull_request"}})

	e.Push("acme/models", "promote", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/churn.yaml": "stage: prod\n"}})
	n, _ := e.OpenPullRequest("acme/models", ghemu.PullRequestSpec{Title: "Promote churn", Head: "promote", Author: "alice"})

	tok, _ := e.InstallationToken(inst)
	bot := e.Client(tok)
	files, _, _ := bot.PullRequests.ListFiles(context.Background(), "acme", "models", n, nil)
	fmt.Println(files[0].GetFilename(), files[0].GetStatus())
	bot.Issues.CreateComment(context.Background(), "acme", "models", n, &github.IssueComment{Body: github.String("looks good")})
	fmt.Println(len(e.Comments("acme/models", n)), "comment;", len(e.ValidationErrors()), "validation errors")
	// Output:
	// webhook: pull_request
	// promotions/churn.yaml modified
	// 1 comment; 0 validation errors
}
