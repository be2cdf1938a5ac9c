package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

const secret = "it's a secret to everybody"

// newWorld is the example world: fraud-detector 1..13 registered, 12 live
// in staging and 11 in prod.
func newWorld(t *testing.T, opts world.Options) *world.World {
	t.Helper()
	if opts.EndpointDelay == 0 {
		opts.EndpointDelay = 5 * time.Millisecond
	}
	if opts.PackageDelay == 0 {
		opts.PackageDelay = 5 * time.Millisecond
	}
	w, err := worldtest.Example(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// afterSoak is the clock of checks and applies: past every soak time.
func afterSoak() time.Time { return time.Now().Add(25 * time.Hour) }

// replica is one running modelpromote serve: the server behind a real
// HTTP listener, acting as the emulator's App.
type replica struct {
	*server.Server
	URL  string // the webhook URL
	http *httptest.Server
	logs *syncBuffer
	once sync.Once
}

type replicaOptions struct {
	server.Options
	noStart bool
}

// newReplica starts a server on w; it is shut down at the test's end.
func newReplica(t *testing.T, w *world.World, o replicaOptions) *replica {
	t.Helper()
	info := w.GitHub.App()
	app, err := github.NewApp(info.ID, info.PrivateKeyPEM, w.GitHub.URL(), w.GitHub.HTTPClient().Transport)
	if err != nil {
		t.Fatal(err)
	}
	opts := o.Options
	opts.Secret = []byte(secret)
	opts.GitHub = app
	opts.BotLogin = info.BotLogin
	opts.AppID = info.ID
	opts.AWS = w.BotAWS()
	opts.S3PathStyle = true
	opts.Now = afterSoak
	opts.Poll = 5 * time.Millisecond
	opts.EndpointTimeout = 20 * time.Second
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	app.OnResponse = srv.ObserveResponse
	r := &replica{Server: srv, http: httptest.NewServer(srv.Handler()), logs: logs}
	r.URL = r.http.URL + "/webhook"
	if !o.noStart {
		srv.Start()
	}
	t.Cleanup(func() {
		r.stop(t, 10*time.Second)
		if t.Failed() {
			t.Logf("logs of %s:\n%s", r.URL, logs.String())
		}
	})
	return r
}

// stop shuts the replica down as SIGTERM does, giving running jobs grace.
func (r *replica) stop(t *testing.T, grace time.Duration) error {
	t.Helper()
	var err error
	r.once.Do(func() {
		r.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		err = r.Shutdown(ctx)
	})
	return err
}

func (r *replica) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := r.WaitIdle(ctx); err != nil {
		t.Fatalf("server not idle: %v", err)
	}
}

// metric returns the value of a metric line ("name{labels}"), 0 if absent.
func (r *replica) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get(r.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			var v float64
			fmt.Sscan(value, &v)
			return v
		}
	}
	return 0
}

// post sends a delivery signed with key (unsigned when key is empty).
func post(t *testing.T, url, event, guid string, body []byte, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", guid)
	if key != "" {
		req.Header.Set("X-Hub-Signature-256", sign(key, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// openPR opens a pull request promoting fraud-detector 12 → 13 in staging.
func openPR(t *testing.T, w *world.World) int {
	t.Helper()
	const file = "promotions/fraud-detector.yaml"
	cur, _ := w.GitHub.File(world.Repo, "main", file)
	next := strings.Replace(cur, "  staging:\n    version: 12\n", "  staging:\n    version: 13\n", 1)
	if next == cur {
		t.Fatalf("%s does not promote staging 12", file)
	}
	branch := fmt.Sprintf("promote-%d", time.Now().UnixNano())
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "promote fraud-detector 13 to staging", Author: world.Alice,
		Files: map[string]string{file: next}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote", Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lastDelivery is the latest delivery of event with action.
func lastDelivery(t *testing.T, w *world.World, event, action string) ghemu.Delivery {
	t.Helper()
	var last ghemu.Delivery
	for _, d := range w.GitHub.Deliveries() {
		if d.Event == event && d.Action == action {
			last = d
		}
	}
	if last.GUID == "" {
		t.Fatalf("no %s %s delivery", event, action)
	}
	return last
}

// latestCheck is the newest modelpromote check run on the pull request's head.
func latestCheck(t *testing.T, w *world.World, n int) ghemu.CheckRun {
	t.Helper()
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	return latestCheckOn(w, pr.HeadSHA)
}

// latestCheckOn is the newest modelpromote check run on a commit.
func latestCheckOn(w *world.World, sha string) ghemu.CheckRun {
	var last ghemu.CheckRun
	for _, cr := range w.GitHub.CheckRuns(world.Repo, sha) {
		if cr.Name == report.CheckRunName {
			last = cr
		}
	}
	return last
}

func checkRuns(w *world.World, sha string) int {
	n := 0
	for _, cr := range w.GitHub.CheckRuns(world.Repo, sha) {
		if cr.Name == report.CheckRunName {
			n++
		}
	}
	return n
}

func reportComments(w *world.World, n int) []ghemu.Comment {
	var out []ghemu.Comment
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if strings.HasPrefix(c.Body, report.CommentMarker) {
			out = append(out, c)
		}
	}
	return out
}

// serving is what the staging endpoint serves.
func serving(t *testing.T, w *world.World) *plan.Serving {
	t.Helper()
	s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(w.AdminAWS(world.StagingAccount)), "fraud-detector-staging")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// applyStatuses are the statuses of apply's staging deployment, oldest first.
func applyStatuses(w *world.World) []string {
	var out []string
	for _, d := range w.GitHub.Deployments(world.Repo) {
		if d.Environment == "staging/fraud-detector" {
			for _, s := range d.Statuses {
				out = append(out, s.State)
			}
		}
	}
	return out
}

// awsWrites counts the AWS calls that change something.
func awsWrites(w *world.World) map[string]int {
	out := map[string]int{}
	for op, n := range w.AWS.Counts() {
		_, name, _ := strings.Cut(op, ":")
		for _, verb := range []string{"Create", "Update", "Put", "Copy", "Delete", "UploadPart", "Complete"} {
			if strings.HasPrefix(name, verb) {
				out[op] = n
			}
		}
	}
	return out
}

func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
