package server_test

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// reinstalled is a delivery's payload naming installation id instead of
// the one GitHub sent, signed again: what a replayed delivery from before
// a repository moved, or one from another App sharing the webhook secret,
// looks like to the server.
func reinstalled(t *testing.T, d ghemu.Delivery, from, to int64) []byte {
	t.Helper()
	old := fmt.Appendf(nil, `"installation":{"id":%d,`, from)
	if !bytes.Contains(d.Payload, old) {
		t.Fatalf("the %s delivery does not name installation %d", d.Event, from)
	}
	return bytes.Replace(d.Payload, old, fmt.Appendf(nil, `"installation":{"id":%d,`, to), 1)
}

// TestDeliveryNamingAnotherInstallationDoesNotReplaceTheKnownOne: a
// correctly signed delivery naming another installation (of this App, on
// another organization) for a repository the server knows runs as the
// installation the App API confirms, and reconciliation keeps using that
// one: the other installation's token is never used.
func TestDeliveryNamingAnotherInstallationDoesNotReplaceTheKnownOne(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := openPR(t, w) // the repository becomes known, as its installation
	r.idle(t)
	other := w.GitHub.Install("globex")

	opened := lastDelivery(t, w, "pull_request", "opened")
	if code := post(t, r.URL, "pull_request", "replayed-1", reinstalled(t, opened, w.GitHub.Install(world.Org), other), secret); code != http.StatusAccepted {
		t.Fatalf("signed delivery: %d", code)
	}
	r.idle(t)
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if got := checkRuns(w, pr.HeadSHA); got != 2 {
		t.Errorf("%d check runs, want 2: the delivery's job runs, as the confirmed installation", got)
	}
	if v := r.metric(t, `modelpromote_webhook_rejected_total{reason="installation"}`); v != 1 {
		t.Errorf("installation mismatches counted %v, want 1", v)
	}
	if !strings.Contains(r.logs.String(), `"delivery_installation":`+strconv.FormatInt(other, 10)) {
		t.Errorf("the mismatch is not logged:\n%s", r.logs.String())
	}

	// A pull request whose delivery was lost: reconciliation finds it
	// through the known installation (globex's token cannot see acme).
	w.GitHub.SetDeliveryMode(ghemu.Hold)
	m := openChurnPR(t, w)
	for _, d := range w.GitHub.Pending() {
		w.GitHub.Drop(d.GUID)
	}
	if err := r.Reconcile(t.Context()); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	r.idle(t)
	if cr := latestCheck(t, w, m); cr.Status != "completed" {
		t.Errorf("reconciliation did not check #%d: %+v", m, cr)
	}
	if v := r.metric(t, `modelpromote_github_rate_limit_remaining{installation="`+strconv.FormatInt(other, 10)+`"}`); v != 0 {
		t.Errorf("a call was made with the unconfirmed installation's token (rate limit %v seen)", v)
	}
}

// TestRepositoryTheAppCannotReachIsNotRemembered: a signed delivery about
// a repository the App is not installed on is skipped, and reconciliation
// does not visit it.
func TestRepositoryTheAppCannotReachIsNotRemembered(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	if _, err := w.GitHub.CreateRepo("initech/models", map[string]string{"promotions/modelpromote.yaml": "source: {}\n"}); err != nil {
		t.Fatal(err)
	}
	inst := w.GitHub.Install(world.Org) // an installation of the App, on another organization
	body := fmt.Appendf(nil, `{"action":"opened","number":1,"pull_request":{"number":1},"repository":{"full_name":"initech/models","default_branch":"main"},"installation":{"id":%d},"sender":{"login":"alice","type":"User"}}`, inst)
	if code := post(t, r.URL, "pull_request", "elsewhere-1", body, secret); code != http.StatusAccepted {
		t.Fatalf("signed delivery: %d", code)
	}
	r.idle(t)
	if !strings.Contains(r.logs.String(), "skipped: the App is not installed on initech/models") {
		t.Errorf("the job was not skipped:\n%s", r.logs.String())
	}
	before := w.GitHub.CallCounts()
	if err := r.Reconcile(t.Context()); err != nil {
		t.Errorf("reconcile: %v", err)
	}
	if after := w.GitHub.CallCounts(); !maps.Equal(after, before) {
		t.Errorf("reconciliation visited a repository the App cannot reach: calls %v, before %v", after, before)
	}
}
