package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// A merge whose delivery lacks merge_commit_sha: the server reads the pull
// request once, for the commit its apply lease is taken on, and apply
// judges the merge as that read found it instead of reading it again
// (the count was 4 when apply read it again).
func TestMergeDeliveryWithoutTheMergeCommitReadsThePullRequestOnce(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)

	closed := heldMerge(t, w, n)
	var payload map[string]any
	if err := json.Unmarshal(closed.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	delete(payload["pull_request"].(map[string]any), "merge_commit_sha")
	body, _ := json.Marshal(payload)
	if err := w.GitHub.Drop(closed.GUID); err != nil {
		t.Fatal(err)
	}
	w.GitHub.ResetCalls()
	if status := post(t, r.URL, "pull_request", "merged-without-sha", body, secret); status != http.StatusAccepted {
		t.Fatalf("delivery: %d", status)
	}
	r.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 13 {
		t.Fatalf("staging serves %+v", s)
	}
	// The server's read only: preflight takes who contributed and the
	// break-glass label from it, and apply reads it no more.
	if got := w.GitHub.Calls("pulls/get"); got != 1 {
		t.Errorf("the pull request was read %d times, want once: the server's (calls %v)", got, w.GitHub.CallCounts())
	}
}
