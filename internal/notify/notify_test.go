package notify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
)

// receiver is a local HTTP endpoint that records what it is sent and
// answers with the statuses given, then 200.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func (r *receiver) last(t *testing.T) (map[string]any, http.Header) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		t.Fatal("nothing received")
	}
	var v map[string]any
	if err := json.Unmarshal(r.bodies[len(r.bodies)-1], &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v, r.headers[len(r.headers)-1]
}

var applied = notify.Event{Type: notify.Applied, Model: "fraud-detector", Stage: "prod", FromVersion: 11, ToVersion: 13,
	Endpoint: "fraud-detector", Repo: "acme/ml-promotions", PullRequest: 42, URL: "https://github.com/acme/ml-promotions/pull/42",
	MergeSHA: "d03375fe2e55610de4d442d25c7f970d70d86708", Approvers: []string{"gina", "bob"},
	Evidence: "s3://acme-ml-artifacts-prod/fraud-detector/13/evidence/d03375fe2e55610de4d442d25c7f970d70d86708.json",
	At:       time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}

func notifier(env map[string]string, log *bytes.Buffer) *notify.Notifier {
	return &notify.Notifier{Getenv: func(k string) string { return env[k] }, Backoff: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(log, nil)), Source: "https://github.com/acme/ml-promotions"}
}

func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestSlackGetsBlockKit(t *testing.T) {
	r := newReceiver(t)
	var log bytes.Buffer
	n := notifier(map[string]string{"SLACK_URL": r.URL + "/services/T0/B0/x"}, &log)
	n.Send(t.Context(), []manifest.Notification{{Name: "ml-slack", Kind: "slack", URLEnv: "SLACK_URL"}}, applied)
	v, h := r.last(t)
	if h.Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", h.Get("Content-Type"))
	}
	if get(v, "text") != "fraud-detector v13 is live in prod" {
		t.Errorf("fallback text %v", get(v, "text"))
	}
	header := get(v, "blocks", 0)
	if get(header, "type") != "header" || get(header, "text", "type") != "plain_text" || !strings.Contains(get(header, "text", "text").(string), "fraud-detector v13 is live in prod") {
		t.Errorf("header block %v", header)
	}
	fields, _ := get(v, "blocks", 1, "fields").([]any)
	if get(v, "blocks", 1, "type") != "section" || len(fields) == 0 || len(fields) > 10 {
		t.Fatalf("section block %v", get(v, "blocks", 1))
	}
	for _, f := range fields {
		if get(f, "type") != "mrkdwn" || len(get(f, "text").(string)) > 2000 {
			t.Errorf("field %v", f)
		}
	}
	ctx := get(v, "blocks", 2)
	if get(ctx, "type") != "context" || !strings.Contains(get(ctx, "elements", 0, "text").(string), "<https://github.com/acme/ml-promotions/pull/42|acme/ml-promotions#42>") {
		t.Errorf("context block %v", ctx)
	}
	if c := n.Counts()["ml-slack"]; c.Sent != 1 || c.Failed != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestTeamsGetsAnAdaptiveCard(t *testing.T) {
	r := newReceiver(t, http.StatusAccepted) // workflows answer 202
	var log bytes.Buffer
	n := notifier(map[string]string{"TEAMS_URL": r.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=s"}, &log)
	failed := applied
	failed.Type, failed.Detail = notify.RolledBack, "alarm fraud-detector-5xx fired during the canary"
	n.Send(t.Context(), []manifest.Notification{{Name: "teams", Kind: "teams", URLEnv: "TEAMS_URL"}}, failed)
	v, _ := r.last(t)
	att := get(v, "attachments", 0)
	if get(v, "type") != "message" || get(att, "contentType") != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("message %v", v)
	}
	if m, _ := att.(map[string]any); m == nil || m["contentUrl"] != nil {
		t.Errorf("contentUrl must be present and null: %v", att)
	}
	card := get(att, "content")
	if get(card, "type") != "AdaptiveCard" || get(card, "version") != "1.4" || get(card, "$schema") != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card %v", card)
	}
	if get(card, "body", 0, "type") != "TextBlock" || get(card, "body", 0, "color") != "Attention" ||
		!strings.Contains(get(card, "body", 0, "text").(string), "rolled back in prod") {
		t.Errorf("title %v", get(card, "body", 0))
	}
	if get(card, "body", 1, "type") != "FactSet" || get(card, "body", 1, "facts", 0, "title") != "Model" {
		t.Errorf("facts %v", get(card, "body", 1))
	}
	if get(card, "actions", 0, "type") != "Action.OpenUrl" || get(card, "actions", 0, "url") != applied.URL {
		t.Errorf("actions %v", get(card, "actions"))
	}
}

func TestWebhookGetsASignedCloudEvent(t *testing.T) {
	r := newReceiver(t, http.StatusNoContent)
	var log bytes.Buffer
	n := notifier(map[string]string{"HOOK_URL": r.URL + "/hooks/ml", "HOOK_KEY": "s3cret"}, &log)
	n.Send(t.Context(), []manifest.Notification{{Name: "audit", Kind: "webhook", URLEnv: "HOOK_URL", SecretEnv: "HOOK_KEY"}}, applied)
	v, h := r.last(t)
	if h.Get("Content-Type") != "application/cloudevents+json" {
		t.Errorf("content type %q", h.Get("Content-Type"))
	}
	r.mu.Lock()
	body := r.bodies[0]
	r.mu.Unlock()
	if !notify.Verify([]byte("s3cret"), body, h.Get(notify.SignatureHeader)) || notify.Verify([]byte("other"), body, h.Get(notify.SignatureHeader)) {
		t.Errorf("signature %q does not verify with the secret only", h.Get(notify.SignatureHeader))
	}
	for k, want := range map[string]any{"specversion": "1.0", "type": "dev.modelpromote.promotion.applied", "subject": "fraud-detector/prod",
		"source": "https://github.com/acme/ml-promotions", "time": "2026-11-01T12:00:00.000Z", "datacontenttype": "application/json"} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	if id, _ := v["id"].(string); len(id) != 32 {
		t.Errorf("id %v", v["id"])
	}
	if get(v, "data", "model") != "fraud-detector" || get(v, "data", "toVersion") != 13.0 || get(v, "data", "evidence") != applied.Evidence {
		t.Errorf("data %v", v["data"])
	}
}

// A receiver that is down is retried, then logged (without its URL) and
// counted; Send returns and nothing fails.
func TestAReceiverThatIsDownIsLoggedAndCounted(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL + "/services/T0/B0/secret-token"
	down.Close()
	up := newReceiver(t)
	var log bytes.Buffer
	n := notifier(map[string]string{"DOWN": url, "UP": up.URL}, &log)
	start := time.Now()
	n.Send(t.Context(), []manifest.Notification{{Name: "down", Kind: "slack", URLEnv: "DOWN"}, {Name: "up", Kind: "slack", URLEnv: "UP"}}, applied)
	if time.Since(start) > 5*time.Second {
		t.Errorf("Send took %s", time.Since(start))
	}
	if c := n.Counts(); c["down"].Failed != 1 || c["down"].Sent != 0 || c["up"].Sent != 1 {
		t.Errorf("counts %+v", c)
	}
	if !strings.Contains(log.String(), "notification not delivered") || !strings.Contains(log.String(), "target=down") || !strings.Contains(log.String(), "after 3 attempts") {
		t.Errorf("log:\n%s", log.String())
	}
	if strings.Contains(log.String(), "secret-token") {
		t.Errorf("the URL (a credential) was logged:\n%s", log.String())
	}
}

func TestRetriesServerErrorsButNotRefusals(t *testing.T) {
	flaky := newReceiver(t, http.StatusServiceUnavailable, http.StatusTooManyRequests)
	refusing := newReceiver(t, http.StatusBadRequest, http.StatusBadRequest)
	var log bytes.Buffer
	n := notifier(map[string]string{"FLAKY": flaky.URL, "REFUSING": refusing.URL}, &log)
	n.Send(t.Context(), []manifest.Notification{{Name: "flaky", Kind: "teams", URLEnv: "FLAKY"}, {Name: "refusing", Kind: "teams", URLEnv: "REFUSING"}}, applied)
	if flaky.requests() != 3 || n.Counts()["flaky"].Sent != 1 {
		t.Errorf("flaky: %d requests, counts %+v", flaky.requests(), n.Counts()["flaky"])
	}
	if refusing.requests() != 1 || n.Counts()["refusing"].Failed != 1 || !strings.Contains(log.String(), "400 Bad Request") {
		t.Errorf("refusing: %d requests, counts %+v\n%s", refusing.requests(), n.Counts()["refusing"], log.String())
	}
}

func TestTargetsGetTheirStagesAndEventsOnly(t *testing.T) {
	r := newReceiver(t)
	var log bytes.Buffer
	n := notifier(map[string]string{"U": r.URL}, &log)
	staging := applied
	staging.Stage = "staging"
	drift := notify.Event{Type: notify.Drift, Model: "fraud-detector", Stage: "prod", Detail: "serves v12"}
	n.Send(t.Context(), []manifest.Notification{{Name: "prod-failures", Kind: "slack", URLEnv: "U", Stages: []string{"prod"}, Events: []string{"failed", "drift"}}},
		applied, staging, drift)
	if r.requests() != 1 {
		t.Fatalf("%d requests, want only the prod drift", r.requests())
	}
	if v, _ := r.last(t); get(v, "text") != "fraud-detector in prod drifted from its manifest" {
		t.Errorf("sent %v", get(v, "text"))
	}
}

func TestUnsetURLOrSecretIsAFailureNotAPanic(t *testing.T) {
	var log bytes.Buffer
	n := notifier(map[string]string{"U": "http://127.0.0.1:1"}, &log)
	n.Send(t.Context(), []manifest.Notification{{Name: "no-url", Kind: "slack", URLEnv: "MISSING"}, {Name: "no-key", Kind: "webhook", URLEnv: "U", SecretFile: "/nonexistent/key"}}, applied)
	if c := n.Counts(); c["no-url"].Failed != 1 || c["no-key"].Failed != 1 {
		t.Errorf("counts %+v", c)
	}
	if !strings.Contains(log.String(), "$MISSING is not set") {
		t.Errorf("log:\n%s", log.String())
	}
	var nilNotifier *notify.Notifier
	nilNotifier.Send(t.Context(), []manifest.Notification{{Name: "x", Kind: "slack", URLEnv: "U"}}, applied) // notifications off
}
