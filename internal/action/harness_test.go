package action_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// newWorld is the example world (fraud-detector 1..13 registered, 12 live
// in staging, 11 in prod) with a repository webhook whose deliveries are
// held: they are the event payloads a runner would write to
// GITHUB_EVENT_PATH, built by the emulator in the shape of
// @octokit/webhooks-examples.
func newWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.Example(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	w.GitHub.AddWebhook(ghemu.Webhook{URL: "http://127.0.0.1:9/never", Repo: world.Repo})
	return w
}

// event returns the payload of the last held delivery of event name with
// action (any action when ""), and drops every held delivery.
func event(t *testing.T, w *world.World, name, act string) []byte {
	t.Helper()
	var payload []byte
	for _, d := range w.GitHub.Pending() {
		if d.Event == name && (act == "" || d.Action == act) {
			payload = d.Payload
		}
		_ = w.GitHub.Drop(d.GUID)
	}
	if payload == nil {
		t.Fatalf("no %s %s event was sent", name, act)
	}
	return payload
}

// promote opens alice's pull request moving staging from version 12 to 13
// (from a fork of hers when fork is set) and returns its number.
func promote(t *testing.T, w *world.World, fork bool) int {
	t.Helper()
	const file = "promotions/fraud-detector.yaml"
	cur, ok := w.GitHub.File(world.Repo, "main", file)
	if !ok {
		t.Fatal("no " + file)
	}
	next := strings.Replace(cur, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	repo, branch, head := world.Repo, "promote-fraud-13", "promote-fraud-13"
	if fork {
		f, err := w.GitHub.Fork(world.Repo, world.Alice)
		if err != nil {
			t.Fatal(err)
		}
		repo, head = f, world.Alice+":"+branch
	}
	if err := w.GitHub.CreateBranch(repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(repo, branch, ghemu.Change{Message: "Promote fraud-detector 13 to staging", Author: world.Alice,
		Files: map[string]string{file: next}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote fraud-detector 13 to staging", Head: head, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// step is one run of the action as a workflow step.
type step struct {
	event   string
	payload []byte
	// inputs are the step's `with:` (github-token defaults to the App's
	// installation token, as with actions/create-github-app-token).
	inputs map[string]string
	// env is more of the runner's environment.
	env map[string]string
	// aws is the ambient AWS configuration (default: the bot's).
	aws *aws.Config
	// now is the action's clock (default time.Now).
	now func() time.Time
}

// ran is what one step left behind.
type ran struct {
	res     *action.Result
	err     error
	stdout  string
	outputs map[string]string
	summary string
}

// run runs the action in-process with the files and variables a runner
// provides.
func run(t *testing.T, w *world.World, s step) ran {
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
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   s.event,
		"GITHUB_EVENT_PATH":   write("event.json", s.payload),
		"GITHUB_OUTPUT":       write("output", nil),
		"GITHUB_STEP_SUMMARY": write("summary.md", nil),
		"GITHUB_REPOSITORY":   world.Repo,
		"GITHUB_API_URL":      strings.TrimSuffix(w.GitHub.URL(), "/"),
		"GITHUB_RUN_ID":       "4242",
		"INPUT_GITHUB-TOKEN":  w.BotToken,
		"INPUT_APP-ID":        strconv.FormatInt(w.GitHub.App().ID, 10),
		"INPUT_COMMAND":       "auto",
		"INPUT_PATH":          "promotions",
	}
	for k, v := range s.inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range s.env {
		vars[k] = v
	}
	cfg := w.BotAWS()
	if s.aws != nil {
		cfg = *s.aws
	}
	var out bytes.Buffer
	env := action.Env{
		Getenv:          func(k string) string { return vars[k] },
		Out:             &out,
		HTTPClient:      w.HTTPClient(),
		LoadAWS:         func(context.Context, string) (aws.Config, error) { return cfg.Copy(), nil },
		S3PathStyle:     true,
		Poll:            5 * time.Millisecond,
		EndpointTimeout: 20 * time.Second,
		Version:         "test",
		Now:             s.now,
	}
	res, err := action.Run(t.Context(), env)
	summary, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	outputs, _ := os.ReadFile(vars["GITHUB_OUTPUT"])
	return ran{res: res, err: err, stdout: out.String(), outputs: parseOutputs(t, string(outputs)), summary: string(summary)}
}

// parseOutputs reads a GITHUB_OUTPUT file of name<<DELIMITER blocks.
func parseOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("output line %q is not name<<delimiter", lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func (r ran) must(t *testing.T) ran {
	t.Helper()
	if r.err != nil {
		t.Fatalf("action: %v\nstdout:\n%s", r.err, r.stdout)
	}
	return r
}

func promotions(t *testing.T, r ran) []action.Promotion {
	t.Helper()
	return jsonOutput[[]action.Promotion](t, r, action.OutputPromotions)
}

func deployed(t *testing.T, r ran) []action.Endpoint {
	t.Helper()
	return jsonOutput[[]action.Endpoint](t, r, action.OutputEndpoints)
}

// jsonOutput decodes the JSON output name.
func jsonOutput[T any](t *testing.T, r ran, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.outputs[name]), &v); err != nil {
		t.Fatalf("%s output %q: %v", name, r.outputs[name], err)
	}
	return v
}

// serving is what an endpoint serves, traced as the check traces it.
func serving(t *testing.T, w *world.World, account, endpoint string) *plan.Serving {
	t.Helper()
	s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(w.AdminAWS(account)), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func reportComments(w *world.World, n int) int {
	c := 0
	for _, cm := range w.GitHub.Comments(world.Repo, n) {
		if strings.HasPrefix(cm.Body, report.CommentMarker) {
			c++
		}
	}
	return c
}
