package server_test

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

// approvedPR opens the promotion and has Bob approve it, with every
// delivery handled by r.
func approvedPR(t *testing.T, w *world.World, r *replica) int {
	t.Helper()
	n := openPR(t, w)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ship it"); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); cr.Conclusion != "success" {
		t.Fatalf("check %s/%s", cr.Status, cr.Conclusion)
	}
	return n
}

// held returns the held deliveries of the events, dropping the others.
func held(t *testing.T, w *world.World, events ...string) []ghemu.Delivery {
	t.Helper()
	var out []ghemu.Delivery
	for _, d := range w.GitHub.Pending() {
		if slices.Contains(events, d.Event) {
			out = append(out, d)
			continue
		}
		if err := w.GitHub.Drop(d.GUID); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// heldMerge merges pull request n with deliveries held and returns the
// pull_request delivery of the merge, not delivered (the others dropped).
func heldMerge(t *testing.T, w *world.World, n int) ghemu.Delivery {
	t.Helper()
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	closed := held(t, w, "pull_request")
	if len(closed) != 1 {
		t.Fatalf("%d pull_request deliveries held", len(closed))
	}
	return closed[0]
}

func TestSameDeliveryTenTimesAppliesOnce(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)

	closed := heldMerge(t, w, n)
	before := awsWrites(w)
	if d, err := w.GitHub.Deliver(closed.GUID); err != nil || d.Status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %v", d.Status, err)
	}
	for range 9 {
		if d, err := w.GitHub.Redeliver(closed.GUID); err != nil || d.Status != http.StatusOK {
			t.Fatalf("redelivery: %d %v", d.Status, err)
		}
	}
	r.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 13 {
		t.Fatalf("staging serves %+v", s)
	}
	if got := strings.Join(applyStatuses(w), ","); got != "in_progress,success" {
		t.Errorf("apply deployment statuses %s, want one apply", got)
	}
	if writes := diff(awsWrites(w), before); writes["sagemaker:CreateModelPackage"] != 1 || writes["sagemaker:CreateEndpointConfig"] != 1 {
		t.Errorf("AWS writes %v, want one apply's worth", writes)
	}
	if v := r.metric(t, "modelpromote_webhook_duplicates_total"); v != 9 {
		t.Errorf("duplicates %v, want 9", v)
	}
}

func TestForgedAndUnsignedDeliveriesAreRefused(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: "not our secret"})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL}) // unsigned
	n := openPR(t, w)

	deliveries := w.GitHub.Deliveries()
	if len(deliveries) == 0 {
		t.Fatal("no deliveries")
	}
	for _, d := range deliveries {
		if d.Status != http.StatusUnauthorized {
			t.Errorf("%s delivery %s to hook %d answered %d, want 401", d.Event, d.GUID, d.HookID, d.Status)
		}
	}
	body := deliveries[0].Payload
	for name, sig := range map[string]string{
		"sha1 only":         "",
		"empty sha256":      "sha256=",
		"garbage":           "sha256=zz",
		"right HMAC, sha1=": strings.Replace(sign(secret, body), "sha256=", "sha1=", 1),
		"other body":        sign(secret, append([]byte(" "), body...)),
	} {
		req, _ := http.NewRequest(http.MethodPost, r.URL, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "forged-"+name)
		req.Header.Set("X-Hub-Signature", sign(secret, body)) // a SHA-1 header is never enough
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, resp.StatusCode)
		}
	}
	r.idle(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if runs := checkRuns(w, pr.HeadSHA); runs != 0 || len(reportComments(w, n)) != 0 {
		t.Errorf("work was done: %d check runs", runs)
	}
	if v := r.metric(t, `modelpromote_webhook_rejected_total{reason="signature"}`); v != float64(len(deliveries)+5) {
		t.Errorf("rejected %v, want %d", v, len(deliveries)+5)
	}
	if v := r.metric(t, `modelpromote_webhook_events_received_total{event="pull_request"}`); v != 0 {
		t.Errorf("received %v forged events", v)
	}
}

// TestBurstIsBoundedAndRefusedWhenFull sends 200 deliveries at once to a
// server whose workers are not running: the queue takes its size, the rest
// get 503, and memory stays bounded (a queued job keeps none of its
// payload).
func TestBurstIsBoundedAndRefusedWhenFull(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{Options: server.Options{QueueSize: 50}, noStart: true})
	const burst = 200
	pad := strings.Repeat("x", 128<<10)
	inst := w.GitHub.Install(world.Org) // the existing installation
	bodies := make([][]byte, burst)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"action":"synchronize","number":%d,"pull_request":{"number":%d},"repository":{"full_name":"acme/ml-promotions","default_branch":"main"},"installation":{"id":%d},"sender":{"login":"alice","type":"User"},"pad":%q}`, i+1, i+1, inst, pad)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	codes := map[int]int{}
	refused := -1
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			code := post(t, r.URL, "pull_request", fmt.Sprintf("burst-%d", i), bodies[i], secret)
			mu.Lock()
			codes[code]++
			if code == http.StatusServiceUnavailable {
				refused = i
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	// Connections' buffers are not the queue's: close them before measuring.
	http.DefaultClient.CloseIdleConnections()
	r.http.CloseClientConnections()
	after := heap()
	for range 20 { // until the connections' goroutines are gone
		time.Sleep(25 * time.Millisecond)
		after = min(after, heap())
	}
	grown := int64(after) - int64(base)
	if codes[http.StatusAccepted] != 50 || codes[http.StatusServiceUnavailable] != burst-50 {
		t.Errorf("answers %v, want 50×202 and %d×503", codes, burst-50)
	}
	if v := r.metric(t, "modelpromote_queue_depth"); v != 50 {
		t.Errorf("queue depth %v, want 50", v)
	}
	// 200 × 128 KiB passed through; what stays is the queue's 50 small jobs
	// (had it kept their payloads, 6.4 MB would).
	t.Logf("heap grew by %d bytes", grown)
	if grown > 3<<20 {
		t.Errorf("heap grew by %d bytes after a %d-byte burst", grown, burst*len(pad))
	}
	// A refused delivery was forgotten: its redelivery is taken once
	// there is room.
	r.Start()
	r.idle(t)
	if refused < 0 {
		t.Fatal("nothing was refused")
	}
	if code := post(t, r.URL, "pull_request", fmt.Sprintf("burst-%d", refused), bodies[refused], secret); code != http.StatusAccepted {
		t.Errorf("redelivery of a refused delivery: %d, want 202", code)
	}
}

// TestRedeliveryOfAFailedJobRunsItAgain: GitHub's Redeliver keeps the
// delivery ID; when the delivery's job failed, the redelivery is not a
// duplicate and runs the job again.
func TestRedeliveryOfAFailedJobRunsItAgain(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	w.GitHub.InjectFault("pulls/get", ghemu.ServerError(1, http.StatusInternalServerError))
	n := openPR(t, w)
	r.idle(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if runs := checkRuns(w, pr.HeadSHA); runs != 0 {
		t.Fatalf("%d check runs: the job was meant to fail", runs)
	}
	if v := r.metric(t, `modelpromote_events_failed_total{event="pull_request"}`); v != 1 {
		t.Fatalf("failed jobs %v, want 1", v)
	}
	opened := lastDelivery(t, w, "pull_request", "opened")
	d, err := w.GitHub.Redeliver(opened.GUID)
	if err != nil || d.Status != http.StatusAccepted {
		t.Fatalf("redelivery: %d %v, want 202", d.Status, err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, n); cr.Status != "completed" || cr.Conclusion != "action_required" {
		t.Errorf("after the redelivery: check %s/%s", cr.Status, cr.Conclusion)
	}
	// It succeeded this time: a further redelivery is a duplicate.
	if d, err := w.GitHub.Redeliver(opened.GUID); err != nil || d.Status != http.StatusOK {
		t.Errorf("redelivery after success: %d %v, want 200 (duplicate)", d.Status, err)
	}
}
