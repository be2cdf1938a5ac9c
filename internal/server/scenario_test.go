package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

func TestPullRequestFlowThroughWebhooks(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})

	n := openPR(t, w)
	r.idle(t)
	if c := reportComments(w, n); len(c) != 1 || c[0].User != w.GitHub.App().BotLogin {
		t.Fatalf("report comments after opening: %+v", c)
	}
	if cr := latestCheck(t, w, n); cr.Status != "completed" || cr.Conclusion != "action_required" {
		t.Fatalf("check before approval: %s/%s", cr.Status, cr.Conclusion)
	}

	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); cr.Status != "completed" || cr.Conclusion != "success" {
		t.Fatalf("check after approval: %s/%s", cr.Status, cr.Conclusion)
	}
	if c := reportComments(w, n); len(c) != 1 {
		t.Fatalf("%d report comments: the report must be edited in place", len(c))
	}

	before := awsWrites(w)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 13 || s.EndpointStatus != "InService" {
		t.Fatalf("staging serves %+v, want version 13", s)
	}
	if got := strings.Join(applyStatuses(w), ","); got != "in_progress,success" {
		t.Errorf("apply deployment statuses %s, want one apply", got)
	}
	writes := diff(awsWrites(w), before)
	if writes["sagemaker:CreateModelPackage"] != 1 {
		t.Errorf("AWS writes %v, want one model package", writes)
	}
	if v := r.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`); v != 1 {
		t.Errorf("apply success metric %v", v)
	}
	if v := r.metric(t, `modelpromote_apply_duration_seconds_count`); v != 1 {
		t.Errorf("apply duration count %v", v)
	}
	if v := r.metric(t, `modelpromote_apply_duration_seconds_bucket{le="+Inf"}`); v != 1 {
		t.Errorf("apply duration +Inf bucket %v", v)
	}
	if v := r.metric(t, `modelpromote_events_failed_total{event="push"}`) + r.metric(t, `modelpromote_events_failed_total{event="pull_request"}`); v != 0 {
		t.Errorf("failed events %v", v)
	}
	if v := r.metric(t, `modelpromote_webhook_events_received_total{event="pull_request"}`); v < 2 {
		t.Errorf("pull_request events received %v", v)
	}
	if v := r.metric(t, `modelpromote_github_rate_limit_remaining{installation="`+installation(t, w)+`"}`); v <= 0 {
		t.Errorf("rate limit remaining %v", v)
	}
	if !strings.Contains(r.logs.String(), `"delivery":`) || !strings.Contains(r.logs.String(), `"repo":"acme/ml-promotions"`) {
		t.Errorf("logs lack delivery and repo:\n%s", r.logs.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{noStart: true})
	get := func(path string) int {
		resp, err := http.Get(r.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != http.StatusOK || get("/readyz") != http.StatusServiceUnavailable {
		t.Error("before Start: want healthy and not ready")
	}
	r.Start()
	if get("/readyz") != http.StatusOK {
		t.Error("after Start: not ready")
	}
	if code := post(t, r.URL, "ping", "ping-1", []byte(`{"zen":"Design for failure."}`), secret); code != http.StatusOK {
		t.Errorf("ping: %d", code)
	}
	if err := r.stop(t, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
}

func installation(t *testing.T, w *world.World) string {
	t.Helper()
	for _, d := range w.GitHub.Deliveries() {
		if i := strings.Index(string(d.Payload), `"installation":{"id":`); i >= 0 {
			rest := string(d.Payload)[i+len(`"installation":{"id":`):]
			return rest[:strings.IndexAny(rest, ",}")]
		}
	}
	t.Fatal("no delivery names an installation")
	return ""
}
