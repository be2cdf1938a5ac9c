package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/server"
	"github.com/modelpromote/modelpromote/internal/world"
)

// forward posts a delivery the emulator prepared (headers, signature and
// all) to url, as a load balancer would.
func forward(t *testing.T, url string, d ghemu.Delivery) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Payload))
	req.Header = d.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func leases(w *world.World) []ghemu.Deployment {
	var out []ghemu.Deployment
	for _, d := range w.GitHub.Deployments(world.Repo) {
		if d.Task == "lock:modelpromote" {
			out = append(out, d)
		}
	}
	return out
}

func TestTwoReplicasDoNotDoubleApply(t *testing.T) {
	w := newWorld(t, world.Options{EndpointDelay: 20 * time.Millisecond})
	a := newReplica(t, w, replicaOptions{Options: server.Options{Replica: "a"}})
	b := newReplica(t, w, replicaOptions{Options: server.Options{Replica: "b"}})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: a.URL, Secret: secret})
	n := approvedPR(t, w, a)

	w.GitHub.SetDeliveryMode(ghemu.Hold)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	merge := held(t, w, "pull_request", "push")
	if len(merge) != 2 {
		t.Fatalf("%d merge deliveries held, want closed and push", len(merge))
	}
	before := awsWrites(w)
	// Both replicas get both events of the merge at the same moment.
	var wg sync.WaitGroup
	for _, d := range merge {
		for _, r := range []*replica{a, b} {
			wg.Go(func() {
				if code := forward(t, r.URL, d); code != http.StatusAccepted {
					t.Errorf("%s to %s: %d", d.Event, r.URL, code)
				}
			})
		}
	}
	wg.Wait()
	a.idle(t)
	b.idle(t)

	if s := serving(t, w); s == nil || s.SourceVersion != 13 {
		t.Fatalf("staging serves %+v", s)
	}
	if got := strings.Join(applyStatuses(w), ","); got != "in_progress,success" {
		t.Errorf("apply deployment statuses %s, want one apply", got)
	}
	if writes := diff(awsWrites(w), before); writes["sagemaker:CreateModelPackage"] != 1 || writes["sagemaker:CreateEndpointConfig"] != 1 || writes["sagemaker:UpdateEndpoint"] != 1 {
		t.Errorf("AWS writes %v, want one apply's worth", writes)
	}
	applied := a.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`) + b.metric(t, `modelpromote_apply_outcomes_total{outcome="success"}`)
	skipped := a.metric(t, `modelpromote_apply_outcomes_total{outcome="skipped"}`) + b.metric(t, `modelpromote_apply_outcomes_total{outcome="skipped"}`)
	if applied != 1 || skipped != 1 {
		t.Errorf("applied %v and skipped %v, want 1 and 1", applied, skipped)
	}
	for _, r := range []*replica{a, b} {
		for _, line := range strings.Split(r.logs.String(), "\n") {
			if strings.Contains(line, "apply skipped") {
				t.Log(line)
			}
		}
	}
	done := 0
	for _, l := range leases(w) {
		if last := l.Statuses[len(l.Statuses)-1]; last.State == "success" {
			done++
		}
	}
	if done != 1 {
		t.Errorf("%d leases ended success, want 1: %+v", done, leases(w))
	}
}

func TestAStaleLeaseIsTakenOver(t *testing.T) {
	const lease = 3 * time.Second
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{Options: server.Options{Lease: lease}})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	sha, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge")
	if err != nil {
		t.Fatal(err)
	}
	// A replica that died holding the lease.
	gh := w.BotRepo()
	id, err := gh.CreateDeployment(t.Context(), github.DeploymentSpec{SHA: sha, Task: "lock:modelpromote",
		Environment: "modelpromote-apply-lease", Transient: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := gh.AddDeploymentStatus(t.Context(), id, github.DeploymentStatus{State: "in_progress", Description: "dead replica", KeepOthers: true}); err != nil {
		t.Fatal(err)
	}
	renewed := time.Now()
	closed := held(t, w, "pull_request")
	if _, err := w.GitHub.Deliver(closed[0].GUID); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if time.Since(renewed) >= lease {
		t.Log("the machine is too slow to see the live lease hold; checking only the takeover")
	} else if got := applyStatuses(w); len(got) != 0 {
		t.Fatalf("applied under a live lease: %v", got)
	}
	time.Sleep(time.Until(renewed.Add(lease + 100*time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := r.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if got := strings.Join(applyStatuses(w), ","); got != "in_progress,success" {
		t.Errorf("apply deployment statuses %s after the lease went stale", got)
	}
}
