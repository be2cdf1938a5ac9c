package drift_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// Drift found is announced once per drifted stage, to the targets that
// asked for drift in that stage.
func TestDriftIsAnnounced(t *testing.T) {
	w, err := worldtest.Example(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []map[string]any
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
	}))
	defer rcv.Close()
	set := example(t)
	r := drift.Detect(t.Context(), set.Config.Config, set.Models, endpoints.NewStages(accounts.New(accounts.Options{Base: w.BotAWS()})))
	env := map[string]string{"U": rcv.URL, "K": "k"}
	n := &notify.Notifier{Getenv: func(k string) string { return env[k] }}
	n.Send(t.Context(), []manifest.Notification{{Name: "ops", Kind: "webhook", URLEnv: "U", SecretEnv: "K", Stages: []string{"staging"}, Events: []string{"drift"}}},
		drift.Events(r, "acme/ml-promotions", time.Now())...)
	mu.Lock()
	defer mu.Unlock()
	var fraud map[string]any
	for _, v := range got {
		if v["subject"] == "fraud-detector/staging" {
			fraud = v
		}
		if v["type"] != "dev.modelpromote.drift" {
			t.Errorf("type %v", v["type"])
		}
	}
	data, _ := fraud["data"].(map[string]any)
	if detail, _ := data["detail"].(string); !strings.HasPrefix(detail, "the manifest says staging runs v12, but endpoint fraud-detector-staging serves v13 (since ") {
		t.Errorf("fraud-detector/staging drift: %v", fraud)
	}
	// churn-predictor and credit-risk have no staging endpoint here: drift
	// too; prod drift is not this target's.
	if len(got) != 3 {
		t.Errorf("%d events, want the 3 drifted staging stages", len(got))
	}
}
