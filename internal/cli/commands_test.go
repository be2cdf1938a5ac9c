package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// The commands that reach GitHub and AWS, run in-process through Main as a
// person runs them, against the emulated world. GitHub is reached through
// the factory's own constructor (token, repository and API URL from the
// environment, as in a workflow); AWS with the bot's configuration.

// harness runs commands against a world.
type harness struct {
	w        *world.World
	f        *Factory
	env      map[string]string
	out, err *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	w, err := worldtest.Example(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{w: w, out: &bytes.Buffer{}, err: &bytes.Buffer{},
		env: map[string]string{"GITHUB_TOKEN": w.BotToken, "GITHUB_REPOSITORY": world.Repo, "GITHUB_API_URL": w.GitHub.URL(),
			"MODELPROMOTE_APP_ID": strconv.FormatInt(w.GitHub.App().ID, 10)}}
	h.f = NewFactory(Streams{Out: h.out, Err: h.err, Getenv: func(k string) string { return h.env[k] }})
	h.f.GitHubTransport = w.GitHub.HTTPClient().Transport
	h.f.AWSConfig = func(context.Context, Connection) (aws.Config, error) { return w.BotAWS(), nil }
	h.f.S3PathStyle = true
	h.f.Poll = 5 * time.Millisecond
	return h
}

// run runs one command line and returns its exit code, stdout and stderr.
func (h *harness) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	h.out.Reset()
	h.err.Reset()
	code := Main(t.Context(), args, h.f)
	return code, h.out.String(), h.err.String()
}

// promote opens alice's pull request moving fraud-detector's staging from
// version 12 to 13.
func (h *harness) promote(t *testing.T) int {
	t.Helper()
	const file = "promotions/fraud-detector.yaml"
	cur, _ := h.w.GitHub.File(world.Repo, "main", file)
	next := strings.Replace(cur, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	if err := h.w.GitHub.CreateBranch(world.Repo, "promote-13", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.w.GitHub.Push(world.Repo, "promote-13", ghemu.Change{Message: "Promote fraud-detector 13 to staging", Author: world.Alice,
		Files: map[string]string{file: next}}); err != nil {
		t.Fatal(err)
	}
	n, err := h.w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote fraud-detector 13 to staging", Head: "promote-13", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// merged is the promotion pull request, approved by Bob (team:ml-leads),
// checked by `modelpromote check` and merged by Pat.
func (h *harness) merged(t *testing.T) int {
	t.Helper()
	n := h.promote(t)
	if _, err := h.w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := h.run(t, "check", "--pr", strconv.Itoa(n)); code != ExitOK {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := h.w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

// report is the bot's report comment on pull request n, "" when none.
func (h *harness) report(n int) string {
	for _, c := range h.w.GitHub.Comments(world.Repo, n) {
		if strings.HasPrefix(c.Body, report.CommentMarker) {
			return c.Body
		}
	}
	return ""
}

func TestCheckCommandReportsOnThePullRequest(t *testing.T) {
	h := newHarness(t)
	n := h.promote(t)
	code, out, errOut := h.run(t, "check", "--pr", strconv.Itoa(n))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "fraud-detector  staging  v12 → v13") || !strings.Contains(errOut, "check run: ") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if body := h.report(n); !strings.Contains(body, "needs 1 approval") {
		t.Errorf("comment:\n%s", body)
	}
	pr, _ := h.w.GitHub.PullRequest(world.Repo, n)
	runs := h.w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	if len(runs) != 1 || runs[0].Conclusion != "action_required" {
		t.Errorf("check runs: %+v", runs)
	}
}

func TestApplyCommandDeploysAMergedPullRequest(t *testing.T) {
	h := newHarness(t)
	n := h.merged(t)
	code, out, errOut := h.run(t, "apply", "--pr", strconv.Itoa(n))
	if code != ExitOK || !strings.Contains(out, "fraud-detector/staging: success") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	env, _ := h.w.Config.Environment("staging")
	s, err := endpoints.NewStages(accounts.New(accounts.Options{Base: h.w.BotAWS()})).Serving(t.Context(), env, "fraud-detector-staging")
	if err != nil || s == nil || s.SourceVersion != 13 {
		t.Fatalf("staging serves %+v (%v), want v13", s, err)
	}
	// Run again: the work is done once.
	if code, out, _ := h.run(t, "apply", "--pr", strconv.Itoa(n)); code != ExitOK || !strings.Contains(out, "already") {
		t.Errorf("second apply: exit %d\n%s", code, out)
	}
}

// A pull request not merged is refused, changing nothing; the exit code
// says so.
func TestApplyCommandRefusesAnOpenPullRequest(t *testing.T) {
	h := newHarness(t)
	n := h.promote(t)
	code, out, _ := h.run(t, "apply", "--pr", strconv.Itoa(n))
	if code != ExitFail || !strings.Contains(out, "Apply refused for #"+strconv.Itoa(n)) {
		t.Errorf("exit %d\n%s", code, out)
	}
	if len(h.w.GitHub.Deployments(world.Repo)) != 0 {
		t.Errorf("deployments: %+v", h.w.GitHub.Deployments(world.Repo))
	}
}

// Without the App's ID apply cannot tell the App's check run from a
// planted one: it refuses, says what to configure, and deploys nothing.
// --app-id, else $MODELPROMOTE_APP_ID, gives it.
func TestApplyCommandNeedsTheAppID(t *testing.T) {
	h := newHarness(t)
	n := h.merged(t)
	delete(h.env, "MODELPROMOTE_APP_ID")
	code, out, errOut := h.run(t, "apply", "--pr", strconv.Itoa(n))
	if code != ExitFail || !strings.Contains(out, "the modelpromote GitHub App's ID is not configured") || !strings.Contains(out, "--app-id") {
		t.Errorf("without the App ID: exit %d\n%s\n%s", code, out, errOut)
	}
	if len(h.w.GitHub.Deployments(world.Repo)) != 0 {
		t.Errorf("deployments: %+v", h.w.GitHub.Deployments(world.Repo))
	}
	h.env["MODELPROMOTE_APP_ID"] = "modelpromote"
	if code, _, errOut := h.run(t, "apply", "--pr", strconv.Itoa(n)); code != ExitUsage || !strings.Contains(errOut, "$MODELPROMOTE_APP_ID: \"modelpromote\" is not an App ID") {
		t.Errorf("a bad $MODELPROMOTE_APP_ID: exit %d\n%s", code, errOut)
	}
	id := strconv.FormatInt(h.w.GitHub.App().ID, 10)
	if code, out, errOut := h.run(t, "apply", "--pr", strconv.Itoa(n), "--app-id", id); code != ExitOK || !strings.Contains(out, "fraud-detector/staging: success") {
		t.Errorf("with --app-id: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestServeCommandChecksAPullRequestFromItsWebhook(t *testing.T) {
	h := newHarness(t)
	info := h.w.Describe("")
	dir := t.TempDir()
	key := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(key, []byte(info.GitHub.AppPrivateKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.f.Listen = func(string) (net.Listener, error) { return ln, nil }
	h.env["MODELPROMOTE_WEBHOOK_SECRET"] = "s3cret"
	h.w.GitHub.AddWebhook(ghemu.Webhook{URL: "http://" + ln.Addr().String() + "/webhook", Secret: "s3cret"})

	ctx, stop := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--app-id", strconv.FormatInt(info.GitHub.AppID, 10), "--app-key-file", key,
			"--reconcile-interval", "0", "--shutdown-timeout", "20s"}, h.f)
	}()
	waitFor(t, "the server to be ready", func() bool {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	n := h.promote(t)
	waitFor(t, "the report comment", func() bool { return strings.Contains(h.report(n), "v12 → **v13**") })
	stop()
	if code := <-done; code != ExitOK {
		t.Errorf("serve exit %d\n%s", code, h.err.String())
	}
	if !strings.Contains(h.err.String(), `"msg":"serving"`) {
		t.Errorf("log:\n%s", h.err.String())
	}
}

func TestActionCommandChecksThePullRequestOfItsEvent(t *testing.T) {
	h := newHarness(t)
	h.w.GitHub.SetDeliveryMode(ghemu.Hold)
	h.w.GitHub.AddWebhook(ghemu.Webhook{URL: "http://127.0.0.1:9/never", Repo: world.Repo})
	n := h.promote(t)
	var payload []byte
	for _, d := range h.w.GitHub.Pending() {
		if d.Event == "pull_request" && d.Action == "opened" {
			payload = d.Payload
		}
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"event.json": payload, "output": nil, "summary.md": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": filepath.Join(dir, "event.json"), "GITHUB_OUTPUT": filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "INPUT_GITHUB-TOKEN": h.w.BotToken} {
		h.env[k] = v
	}
	code, out, errOut := h.run(t, "action")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(h.report(n), "v12 → **v13**") {
		t.Errorf("no report comment on #%d", n)
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	outputs, _ := os.ReadFile(filepath.Join(dir, "output"))
	if !strings.Contains(string(summary), "fraud-detector") || !strings.Contains(string(outputs), "verdict<<") {
		t.Errorf("summary:\n%s\noutputs:\n%s", summary, outputs)
	}
}

// Outside a runner, or with a runner's files missing, the action says what
// is missing; it never panics.
func TestActionCommandOutsideARunnerSaysWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"ref": "refs/heads/main"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_ACTIONS": "true"}, "$GITHUB_EVENT_NAME is not set"},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}, "$GITHUB_EVENT_PATH is not set"},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join(dir, "gone.json")},
			"read the pull_request event: stat " + filepath.Join(dir, "gone.json") + ": no such file or directory"},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event}, "$GITHUB_OUTPUT is not set"},
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": event, "GITHUB_OUTPUT": filepath.Join(dir, "out")},
			"$GITHUB_STEP_SUMMARY is not set"},
	} {
		code, _, errOut := run(t, "", tc.env, "action")
		if code != ExitFail || !strings.Contains(errOut, "modelpromote action: "+tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.env, code, errOut, tc.want)
		}
	}
}

// waitFor polls cond for up to 60 s (a busy machine is slow).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
