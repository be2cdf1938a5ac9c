package action_test

import (
	"testing"

	"github.com/modelpromote/modelpromote/internal/action"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// TestMergeGroupChecksTheQueueCommitThenThePushApplies: in a repository
// with a merge queue, check.yml runs on merge_group and reports on the
// queue's commit; the merge the queue produces is a push to main, which
// apply.yml applies.
func TestMergeGroupChecksTheQueueCommitThenThePushApplies(t *testing.T) {
	w := newWorld(t)
	n := promote(t, w, false)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	run(t, w, step{event: "pull_request_review", payload: event(t, w, "pull_request_review", "submitted")}).must(t)
	entry, err := w.GitHub.Enqueue(world.Repo, n, world.Pat)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w, step{event: "merge_group", payload: event(t, w, "merge_group", "checks_requested")}).must(t)
	if r.res.Job.Command != action.CommandCheck || r.res.Job.PR != n || r.res.Job.SHA != entry.HeadSHA || r.outputs[action.OutputVerdict] != "pass" {
		t.Fatalf("job %+v verdict %q\n%s", r.res.Job, r.outputs[action.OutputVerdict], r.summary)
	}
	runs := w.GitHub.CheckRuns(world.Repo, entry.HeadSHA)
	if len(runs) != 1 || runs[0].Name != report.CheckRunName || runs[0].Conclusion != "success" {
		t.Fatalf("check runs on the queue commit %+v", runs)
	}
	if got, err := w.GitHub.ProcessMergeQueue(world.Repo, "main", report.CheckRunName); got != "merged" || err != nil {
		t.Fatalf("queue: %q %v", got, err)
	}
	assertDeployed(t, w, run(t, w, step{event: "push", payload: event(t, w, "push", "")}).must(t), n)
}
