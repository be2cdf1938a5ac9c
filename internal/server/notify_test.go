package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The App server announces what it applied to the configuration's targets
// (URLs from its own environment) and counts deliveries in /metrics; a
// target that is down is counted as failed and changes nothing else.
func TestServerNotifiesAndCountsDeliveries(t *testing.T) {
	var mu sync.Mutex
	var got []string
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer rcv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	t.Setenv("MODELPROMOTE_TEST_TEAMS_URL", rcv.URL)
	t.Setenv("MODELPROMOTE_TEST_DOWN_URL", down.URL)

	w := newWorld(t, world.Options{})
	const path = "promotions/modelpromote.yaml"
	cfg, _ := w.GitHub.File(world.Repo, "main", path)
	cfg += "notifications:\n  - {name: teams, kind: teams, urlEnv: MODELPROMOTE_TEST_TEAMS_URL}\n  - {name: down, kind: slack, urlEnv: MODELPROMOTE_TEST_DOWN_URL}\n"
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "notify", Author: world.Pat, Files: map[string]string{path: cfg}}); err != nil {
		t.Fatal(err)
	}
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	applyOne(t, w, r)
	if v := r.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`); v != 1 {
		t.Fatalf("apply success metric %v", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "fraud-detector v13 is live in staging") {
		t.Errorf("teams received %v", got)
	}
	if v := r.metric(t, `modelpromote_notifications_total{target="teams",result="sent"}`); v != 1 {
		t.Errorf("teams sent %v", v)
	}
	if v := r.metric(t, `modelpromote_notifications_total{target="down",result="failed"}`); v != 1 {
		t.Errorf("down failed %v", v)
	}
}
