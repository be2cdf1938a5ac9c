package ghemu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func TestMergeQueueBuildsChecksAndMerges(t *testing.T) {
	f := newFixture(t)
	rc, url := newReceiver(t, "s3cret")
	n1, head1 := f.openPR(t, "churn", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/churn.yaml": "model: churn\nstage: prod\nversion: 4\n"}})
	n2, head2 := f.openPR(t, "fraud", ghemu.Change{Author: "alice", Files: map[string]string{"promotions/fraud.yaml": "model: fraud\nstage: prod\nversion: 8\n"}})
	f.e.AddWebhook(ghemu.Webhook{URL: url, Secret: "s3cret"})

	e1, err := f.e.Enqueue(repoName, n1, "bob")
	if err != nil {
		t.Fatal(err)
	}
	e2, err := f.e.Enqueue(repoName, n2, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if e1.BaseSHA != f.mainSHA || e2.BaseSHA != e1.HeadSHA || e1.Ref != fmt.Sprintf("gh-readonly-queue/main/pr-%d-%s", n1, head1) {
		t.Fatalf("entries %+v %+v: the second builds on the first, the first on main %s", e1, e2, f.mainSHA)
	}
	if got, _ := f.e.File(repoName, e2.Ref, "promotions/churn.yaml"); !strings.Contains(got, "version: 4") {
		t.Errorf("the second queue commit lacks the first's change: %q", got)
	}
	evs := rc.got()
	if len(evs) != 2 {
		t.Fatalf("events %v", kinds(evs))
	}
	mg := evs[1].event.(*github.MergeGroupEvent)
	if mg.GetAction() != "checks_requested" || mg.GetMergeGroup().GetHeadSHA() != e2.HeadSHA || mg.GetMergeGroup().GetBaseSHA() != e1.HeadSHA ||
		mg.GetMergeGroup().GetHeadRef() != "refs/heads/"+e2.Ref || mg.GetMergeGroup().GetBaseRef() != "refs/heads/main" ||
		mg.GetMergeGroup().GetHeadCommit().GetMessage() == "" || mg.GetInstallation().GetID() != f.inst {
		t.Errorf("merge group %+v", mg.GetMergeGroup())
	}

	// The check runs API works on the queue commit; nothing merges before
	// the required check concludes.
	cr, _, err := f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: e1.HeadSHA, Status: github.String("in_progress")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.e.ProcessMergeQueue(repoName, "main", "modelpromote"); got != "" || err != nil {
		t.Fatalf("with the check in progress: %q %v", got, err)
	}
	f.bot.Checks.UpdateCheckRun(ctx, "acme", "models", cr.GetID(), github.UpdateCheckRunOptions{Name: "modelpromote", Conclusion: github.String("success")})
	if got, err := f.e.ProcessMergeQueue(repoName, "main", "modelpromote"); got != "merged" || err != nil {
		t.Fatalf("after success: %q %v", got, err)
	}
	if tip, _ := f.e.Branch(repoName, "main"); tip != e1.HeadSHA {
		t.Errorf("main at %s, want the queue commit %s", tip, e1.HeadSHA)
	}
	if _, ok := f.e.Branch(repoName, e1.Ref); ok {
		t.Error("the temporary branch is still there")
	}
	pr, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n1)
	if err != nil || !pr.GetMerged() || pr.GetMergeCommitSHA() != e1.HeadSHA || pr.GetHead().GetSHA() != head1 {
		t.Errorf("#%d merged %v as %s (head %s), %v", n1, pr.GetMerged(), pr.GetMergeCommitSHA(), pr.GetHead().GetSHA(), err)
	}
	pulls, _, _ := f.bot.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "models", e1.HeadSHA, nil)
	if len(pulls) != 1 || pulls[0].GetNumber() != n1 {
		t.Errorf("pull requests of the merged queue commit: %d", len(pulls))
	}
	want := "merge_group:destroyed pull_request:closed push:"
	if got := fmt.Sprint(kinds(rc.got())); !strings.Contains(got, want) {
		t.Errorf("events %s, want %s after the merge", got, want)
	}

	// A failed check takes the entry out of the queue.
	f.bot.Checks.CreateCheckRun(ctx, "acme", "models", github.CreateCheckRunOptions{Name: "modelpromote", HeadSHA: e2.HeadSHA, Conclusion: github.String("failure")})
	if got, err := f.e.ProcessMergeQueue(repoName, "main", "modelpromote"); got != "dequeued" || err != nil {
		t.Fatalf("after failure: %q %v", got, err)
	}
	if q := f.e.MergeQueue(repoName, "main"); len(q) != 0 {
		t.Errorf("queue %+v", q)
	}
	if pr, _ := f.e.PullRequest(repoName, n2); pr.State != "open" || pr.HeadSHA != head2 {
		t.Errorf("#%d %+v, want open", n2, pr)
	}
}
