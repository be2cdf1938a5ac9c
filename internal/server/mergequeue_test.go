package server_test

import (
	"strings"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestMergeQueueChecksTheQueueCommitThenApplies: an approved pull request
// enters the merge queue; the check reports on the queue's commit, which
// the queue then merges; the merge is applied.
func TestMergeQueueChecksTheQueueCommitThenApplies(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)

	entry, err := w.GitHub.Enqueue(world.Repo, n, world.Pat)
	if err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	cr := latestCheckOn(w, entry.HeadSHA)
	if cr.Status != "completed" || cr.Conclusion != "success" {
		t.Fatalf("check on the queue commit %s: %s/%s\n%s", entry.HeadSHA, cr.Status, cr.Conclusion, cr.Summary)
	}
	if !strings.Contains(cr.Summary+cr.Text, "merge queue: checked at the queue commit "+entry.HeadSHA[:7]) {
		t.Errorf("the report does not say it checked the queue commit:\n%s", cr.Summary)
	}
	if got, err := w.GitHub.ProcessMergeQueue(world.Repo, "main", report.CheckRunName); got != "merged" || err != nil {
		t.Fatalf("queue: %q %v", got, err)
	}
	r.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 13 || s.EndpointStatus != "InService" {
		t.Fatalf("staging serves %+v after the queue merged, want 13", s)
	}
	if c := reportComments(w, n); len(c) != 1 {
		t.Errorf("%d report comments, want the one edited in place", len(c))
	}
	if got := strings.Join(applyStatuses(w), ","); got != "in_progress,success" {
		t.Errorf("apply deployment statuses %s, want one apply", got)
	}
}

// TestMergeQueueCommitNotReviewedFailsClosed: a change queued ahead edits
// the same manifest; the queue commit of the promotion behind it carries
// both, which nobody reviewed, so its check fails saying why, and the
// queue does not merge it.
func TestMergeQueueCommitNotReviewedFailsClosed(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)

	// Ahead in the queue: a comment edit in the same file, no promotion.
	const file = "promotions/fraud-detector.yaml"
	first, second := queueBehind(t, w, r, n, file, "# Owned by the fraud ML team.", "# Owned by the fraud ML team (on call: #fraud-ml).")
	if cr := latestCheckOn(w, first.HeadSHA); cr.Conclusion != "success" {
		t.Errorf("the change ahead: %s/%s", cr.Status, cr.Conclusion)
	}
	before := awsWrites(w)
	cr := latestCheckOn(w, second.HeadSHA)
	if cr.Status != "completed" || cr.Conclusion != "failure" {
		t.Fatalf("check on the queue commit carrying both: %s/%s", cr.Status, cr.Conclusion)
	}
	why := file + " in the queue commit " + second.HeadSHA[:7] + " is not what was reviewed"
	if !strings.Contains(cr.Summary, why) {
		t.Errorf("the check run does not say why (%q):\n%s", why, cr.Summary)
	}
	if c := reportComments(w, n); len(c) != 1 || !strings.Contains(c[0].Body, why) {
		t.Errorf("the pull request is not told why: %d comments", len(c))
	}
	if pr := latestCheck(t, w, n); pr.Conclusion != "success" {
		t.Errorf("the pull request's own check changed: %s", pr.Conclusion)
	}

	for _, want := range []string{"merged", "dequeued"} {
		if got, err := w.GitHub.ProcessMergeQueue(world.Repo, "main", report.CheckRunName); got != want || err != nil {
			t.Fatalf("queue: %q %v, want %s", got, err, want)
		}
	}
	r.idle(t)
	if s := serving(t, w); s == nil || s.SourceVersion != 12 {
		t.Errorf("staging serves %+v, want 12 still", s)
	}
	if writes := diff(awsWrites(w), before); len(writes) != 0 {
		t.Errorf("AWS writes %v", writes)
	}
}

// TestMergeQueuePolicyComesFromTheBaseBranch: an entry ahead in the queue
// edits the policy; the queue commit behind it is built on that entry's
// commit, yet is judged by the base branch's policy (the entry ahead is
// not merged), here one approval where the entry ahead asks for two.
func TestMergeQueuePolicyComesFromTheBaseBranch(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r) // one approval, as main's policy asks for staging

	first, second := queueBehind(t, w, r, n, "promotions/modelpromote.yaml", "    staging:\n      approvals: 1\n", "    staging:\n      approvals: 2\n")
	if second.BaseSHA != first.HeadSHA {
		t.Fatalf("the second entry is built on %s, not the first's commit %s", second.BaseSHA, first.HeadSHA)
	}
	cr := latestCheckOn(w, second.HeadSHA)
	if cr.Conclusion != "success" || !strings.Contains(cr.Summary+cr.Text, "policy from "+first.BaseSHA[:7]+" on the base branch") {
		t.Errorf("check on the queue commit behind a policy edit: %s/%s, want success by main's policy (%s):\n%s", cr.Status, cr.Conclusion, first.BaseSHA[:7], cr.Summary)
	}
}

// queueBehind opens alice's pull request replacing from with to in file,
// queues it, then pull request n behind it, and returns both entries once
// the server has checked them.
func queueBehind(t *testing.T, w *world.World, r *replica, n int, file, from, to string) (ahead, behind ghemu.QueueEntry) {
	t.Helper()
	cur, _ := w.GitHub.File(world.Repo, "main", file)
	edited := strings.Replace(cur, from, to, 1)
	if edited == cur {
		t.Fatalf("%s has no %q", file, from)
	}
	if err := w.GitHub.CreateBranch(world.Repo, "ahead", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "ahead", ghemu.Change{Message: "edit " + file, Author: world.Alice, Files: map[string]string{file: edited}}); err != nil {
		t.Fatal(err)
	}
	m, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "ahead", Head: "ahead", Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	if ahead, err = w.GitHub.Enqueue(world.Repo, m, world.Pat); err != nil {
		t.Fatal(err)
	}
	if behind, err = w.GitHub.Enqueue(world.Repo, n, world.Pat); err != nil {
		t.Fatal(err)
	}
	r.idle(t)
	return ahead, behind
}

// TestLostMergeGroupDeliveryIsCheckedByReconcile: the merge_group
// delivery never arrives; reconciliation finds the queue's commit without
// a check run and checks it, once.
func TestLostMergeGroupDeliveryIsCheckedByReconcile(t *testing.T) {
	w := newWorld(t, world.Options{})
	r := newReplica(t, w, replicaOptions{})
	w.GitHub.AddWebhook(ghemu.Webhook{URL: r.URL, Secret: secret})
	n := approvedPR(t, w, r)

	w.GitHub.SetDeliveryMode(ghemu.Hold)
	entry, err := w.GitHub.Enqueue(world.Repo, n, world.Pat)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.GitHub.Pending() {
		w.GitHub.Drop(d.GUID)
	}
	for range 2 {
		if err := r.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		r.idle(t)
	}
	if cr := latestCheckOn(w, entry.HeadSHA); cr.Status != "completed" || cr.Conclusion != "success" {
		t.Errorf("queue commit after reconciliation: %s/%s", cr.Status, cr.Conclusion)
	}
	if got := checkRuns(w, entry.HeadSHA); got != 1 {
		t.Errorf("%d check runs on the queue commit, want 1", got)
	}
}
