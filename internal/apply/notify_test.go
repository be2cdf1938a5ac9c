package apply_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/world"
)

// inbox is a local HTTP receiver recording each request's body and headers.
type inbox struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	sigs   []string
}

func newInbox(t *testing.T) *inbox {
	in := &inbox{}
	in.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		in.mu.Lock()
		in.bodies = append(in.bodies, string(b))
		in.sigs = append(in.sigs, r.Header.Get(notify.SignatureHeader))
		in.mu.Unlock()
	}))
	t.Cleanup(in.Close)
	return in
}

func (in *inbox) got() ([]string, []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string{}, in.bodies...), append([]string{}, in.sigs...)
}

// withNotifications commits notification targets to the configuration on
// main: Slack for prod failures, Teams for everything, a signed webhook
// for everything, and a Slack target whose receiver is down.
func withNotifications(t *testing.T, w *world.World) {
	t.Helper()
	const path = "promotions/modelpromote.yaml"
	cfg, _ := w.GitHub.File(world.Repo, "main", path)
	cfg += `
notifications:
  - {name: ml-slack, kind: slack, urlEnv: SLACK_URL, stages: [prod], events: [failed, rolledBack]}
  - {name: ml-teams, kind: teams, urlEnv: TEAMS_URL}
  - {name: audit, kind: webhook, urlEnv: HOOK_URL, secretEnv: HOOK_KEY}
  - {name: broken, kind: slack, urlEnv: DOWN_URL}
`
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "notify", Author: world.Pat, Files: map[string]string{path: cfg}}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyNotifiesEachTargetAndADownReceiverFailsNothing(t *testing.T) {
	w := newWorld(t, world.Options{})
	withNotifications(t, w)
	slack, teams, hook := newInbox(t), newInbox(t), newInbox(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	env := map[string]string{"SLACK_URL": slack.URL, "TEAMS_URL": teams.URL, "HOOK_URL": hook.URL, "HOOK_KEY": "k3y", "DOWN_URL": down.URL}
	notifier := &notify.Notifier{Getenv: func(k string) string { return env[k] }, Backoff: time.Millisecond}
	e := applyEnv(w)
	e.Notifier = notifier

	// staging v13 applies: Teams and the webhook hear of it, Slack (prod
	// failures only) does not; the down receiver changes nothing.
	res := runApply(t, e, mergedPR(t, w, stagingChange))
	if res.Failed() {
		t.Fatalf("apply failed: %+v", res.Outcomes)
	}
	if b, _ := slack.got(); len(b) != 0 {
		t.Errorf("slack got %v", b)
	}
	tb, _ := teams.got()
	if len(tb) != 1 || !strings.Contains(tb[0], `"fraud-detector v13 is live in staging"`) || !strings.Contains(tb[0], "AdaptiveCard") {
		t.Errorf("teams got %v", tb)
	}
	hb, sigs := hook.got()
	if len(hb) != 1 || !notify.Verify([]byte("k3y"), []byte(hb[0]), sigs[0]) {
		t.Fatalf("webhook got %v %v", hb, sigs)
	}
	var ce struct {
		Type, Subject string
		Data          notify.Event
	}
	if err := json.Unmarshal([]byte(hb[0]), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Type != "dev.modelpromote.promotion.applied" || ce.Subject != "fraud-detector/staging" || ce.Data.ToVersion != 13 || ce.Data.FromVersion != 12 ||
		ce.Data.PullRequest != res.Merge.Number || ce.Data.MergeSHA != res.Merge.MergeSHA || ce.Data.Evidence != res.Outcomes[0].RecordURI ||
		strings.Join(ce.Data.Approvers, ",") != world.Bob {
		t.Errorf("cloud event %+v", ce)
	}
	if c := notifier.Counts(); c["broken"].Failed != 1 || c["ml-teams"].Sent != 1 || c["audit"].Sent != 1 {
		t.Errorf("counts %+v", c)
	}

	// A prod rollout that rolls back: Slack hears it as rolled back.
	toProd := prodChange
	toProd.to = "  prod:\n    version: 13\n"
	n := mergedPR(t, w, toProd)
	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	runApply(t, e, n)
	sb, _ := slack.got()
	if len(sb) != 1 || !strings.Contains(sb[0], "rolled back in prod") || !strings.Contains(sb[0], "alarm fraud-detector-5xx fired") {
		t.Errorf("slack got %v", sb)
	}
}
