package attack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/cli"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The attack of loosenedBranch, through each entry point a person or an
// event can reach apply by. Every one must refuse, with nothing written to
// AWS: the rule lives in apply.Run, so none depends on its adapter's routing.

func TestAttackMergeIntoAnotherBranchIsNotAppliedByTheCLI(t *testing.T) {
	w := newWorld(t)
	n := loosenedBranch(t, w)
	w.AWS.ResetRequests()
	// The CLI reads the ambient AWS configuration as the SDK does.
	t.Setenv("AWS_ACCESS_KEY_ID", w.Bot.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", w.Bot.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", world.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	env := map[string]string{"GITHUB_TOKEN": w.BotToken}
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), []string{"apply", "--pr", strconv.Itoa(n), "--repo", world.Repo,
		"--github-url", w.GitHub.URL(), "--aws-endpoint-url", w.AWS.URL(), "--s3-path-style"},
		cli.NewFactory(cli.Streams{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}))
	if code == 0 {
		t.Errorf("apply --pr %d exited 0:\n%s%s", n, out.String(), errb.String())
	}
	if all := out.String() + errb.String(); !strings.Contains(all, "not the default branch") {
		t.Errorf("the CLI does not say why:\n%s", all)
	}
	assertUntouched(t, w)
	assertTold(t, w, n)
}

// actionStep runs the Action once as a workflow step would, on event with
// payload and the step's inputs.
func actionStep(t *testing.T, w *world.World, event string, payload []byte, inputs map[string]string) (*action.Result, string, error) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": write("event.json", payload),
		"GITHUB_OUTPUT": write("output", nil), "GITHUB_STEP_SUMMARY": write("summary.md", nil),
		"GITHUB_REPOSITORY": world.Repo, "GITHUB_API_URL": strings.TrimSuffix(w.GitHub.URL(), "/"), "GITHUB_RUN_ID": "4242",
		"INPUT_GITHUB-TOKEN": w.BotToken, "INPUT_COMMAND": "auto", "INPUT_PATH": "promotions",
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	cfg := w.BotAWS()
	var out bytes.Buffer
	res, err := action.Run(t.Context(), action.Env{
		Getenv: func(k string) string { return vars[k] }, Out: &out, HTTPClient: w.HTTPClient(),
		LoadAWS:     func(context.Context, string) (aws.Config, error) { return cfg.Copy(), nil },
		S3PathStyle: true, Poll: 5 * time.Millisecond, EndpointTimeout: 20 * time.Second, Version: "test",
	})
	summary, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	return res, out.String() + string(summary), err
}

func TestAttackMergeIntoAnotherBranchIsNotAppliedByTheAction(t *testing.T) {
	w := newWorld(t)
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	w.GitHub.AddWebhook(ghemu.Webhook{URL: "http://127.0.0.1:9/never", Repo: world.Repo})
	n := loosenedBranch(t, w)
	var closed []byte
	for _, d := range w.GitHub.Pending() {
		if d.Event == "pull_request" && d.Action == "closed" {
			closed = d.Payload
		}
		_ = w.GitHub.Drop(d.GUID)
	}
	if closed == nil {
		t.Fatal("no pull_request closed event was sent")
	}
	dispatch, _ := json.Marshal(map[string]any{"inputs": map[string]any{"command": "apply", "pull-request": strconv.Itoa(n)},
		"ref": "refs/heads/main", "repository": map[string]any{"full_name": world.Repo, "default_branch": "main"}})
	w.AWS.ResetRequests()
	for _, c := range []struct {
		name    string
		event   string
		payload []byte
		inputs  map[string]string
	}{
		{"pull_request closed", "pull_request", closed, nil},
		{"pull_request closed, command apply", "pull_request", closed, map[string]string{"command": "apply"}},
		{"workflow_dispatch", "workflow_dispatch", dispatch, nil},
		{"workflow_dispatch, inputs on the step", "workflow_dispatch", dispatch, map[string]string{"command": "apply", "pull-request": strconv.Itoa(n)}},
	} {
		res, out, err := actionStep(t, w, c.event, c.payload, c.inputs)
		switch {
		case err != nil && strings.Contains(err.Error(), "not the default branch"):
		case err != nil:
			t.Errorf("%s: %v\n%s", c.name, err, out)
		case !res.Failed:
			t.Errorf("%s: the step did not fail (job %+v)\n%s", c.name, res.Job, out)
		case res.Job.Command == "apply" && !strings.Contains(out, "not the default branch"):
			t.Errorf("%s: the step does not say why:\n%s", c.name, out)
		}
	}
	assertUntouched(t, w)
	assertTold(t, w, n)
}

func TestAttackMergeIntoAnotherBranchIsNotAppliedByTheServer(t *testing.T) {
	w := newWorld(t)
	info := w.GitHub.App()
	app, err := github.NewApp(info.ID, info.PrivateKeyPEM, w.GitHub.URL(), w.GitHub.HTTPClient().Transport)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Secret: []byte("s3cret"), GitHub: app, BotLogin: info.BotLogin, AppID: info.ID, AWS: w.BotAWS(),
		S3PathStyle: true, Now: afterSoak, Poll: 5 * time.Millisecond, EndpointTimeout: 20 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	srv.Start()
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: hs.URL + "/webhook", Secret: "s3cret"})
	w.AWS.ResetRequests() // the world's own set-up deployed staging and prod
	n := loosenedBranch(t, w)
	idle := func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := srv.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	idle()
	// Reconciliation looks for merges that deliveries missed.
	if err := srv.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	idle()
	for _, r := range w.AWS.Requests() {
		if isWrite(r.Operation) {
			t.Errorf("the server wrote to AWS: %s %s in %s", r.Service, r.Operation, r.Account)
		}
	}
	if got := servingVersion(t, w, "fraud-detector-staging"); got != 12 {
		t.Errorf("staging serves v%d, want 12", got)
	}
	// The server skips a merge into another branch before it reaches apply
	// (apply would refuse it too): it never reports it as applied.
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if strings.Contains(c.Body, "Applied") {
			t.Errorf("the pull request was told it was applied:\n%s", c.Body)
		}
	}
}

// isWrite tells the operations that change an account from those that
// read it (the server checks pull requests, which reads).
func isWrite(op string) bool {
	for _, p := range []string{"Create", "Put", "Update", "Delete", "Copy", "Upload", "Complete", "Register", "Start", "Add"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}
