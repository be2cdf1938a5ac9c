package attack_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gogh "github.com/google/go-github/v60/github"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// A planted check run (the Known gap of docs/SECURITY.md, issue 12): a
// check run belongs to a commit, and any App with checks: write can create
// one named modelpromote there. A pull request's own workflow can: its
// GITHUB_TOKEN is an installation token of the github-actions App, with
// checks: write whenever the workflow asks for it, and a branch pusher
// writes that workflow. Apply used to take the latest run named
// modelpromote on the final head, with its conclusion, its scope and the
// byte bindings in its output.text. Now it takes only runs the modelpromote
// App created (app_id on the list, and each run's app.id verified).

// swapModelData overwrites version 13's model data in the dev bucket with
// bytes of the same size (the attacker writes in the dev account) and
// returns the bindings text a forger would post: the App's honest
// bindings with the model data's replaced by the swapped object's.
func swapModelData(t *testing.T, w *world.World, honestText string) (uri string, forged string) {
	t.Helper()
	u, data := modelData(t, w, 13)
	swapped := bytes.Clone(data)
	swapped[len(swapped)/2] ^= 0xff
	if err := w.AWS.S3().PutObject(u.Bucket, u.Key, swapped); err != nil {
		t.Fatal(err)
	}
	head, err := s3.NewFromConfig(w.AdminAWS(world.DevAccount), awsemu.PathStyle).HeadObject(t.Context(),
		&s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key)})
	if err != nil {
		t.Fatal(err)
	}
	bound := report.Bindings(honestText)
	b, ok := bound[u.String()]
	if !ok {
		t.Fatalf("the App's run binds no %s: %v", u, bound)
	}
	b.ETag, b.Size, b.SHA256 = aws.ToString(head.ETag), aws.ToInt64(head.ContentLength), sha256Hex(swapped)
	if b.VersionID != "" {
		b.VersionID = aws.ToString(head.VersionId)
	}
	bound[u.String()] = b
	var list []plan.Binding
	for _, v := range bound {
		list = append(list, v)
	}
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return u.String(), "<!-- modelpromote:bindings " + string(js) + " -->\nAll gates pass.\n"
}

// plantGreenRun posts, with c, a passing run named modelpromote on pull
// request n's head that claims to have judged n against main, with text as
// its output (the bindings apply would read).
func plantGreenRun(t *testing.T, w *world.World, c *gogh.Client, n int, text string) {
	t.Helper()
	pr, ok := w.GitHub.PullRequest(world.Repo, n)
	if !ok {
		t.Fatalf("no pull request #%d", n)
	}
	owner, name, _ := strings.Cut(world.Repo, "/")
	if _, _, err := c.Checks.CreateCheckRun(t.Context(), owner, name, gogh.CreateCheckRunOptions{
		Name: report.CheckRunName, HeadSHA: pr.HeadSHA, Conclusion: gogh.String("success"),
		ExternalID: gogh.String("modelpromote/v1 pr=" + strconv.Itoa(n) + " base=main"),
		Output:     &gogh.CheckRunOutput{Title: gogh.String("All gates pass"), Summary: gogh.String("All gates pass."), Text: gogh.String(text)},
	}); err != nil {
		t.Fatalf("plant a check run: %v", err)
	}
}

// appRunText is the output.text of the App's latest run on #n's head.
func appRunText(t *testing.T, w *world.World, n int) string {
	t.Helper()
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	runs := w.GitHub.CheckRuns(world.Repo, pr.HeadSHA)
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].AppID == w.GitHub.App().ID {
			return runs[i].Text
		}
	}
	t.Fatalf("the App has no check run on #%d", n)
	return ""
}

// TestAttackPlantedCheckRunFromAPullRequestWorkflowIsNotTaken: the pull
// request is checked by the App (green, binding version 13's bytes) and
// approved. Then the attacker, who can push a branch and write in the dev
// bucket, swaps 13's model data, and the pull request's own workflow
// posts a newer green modelpromote run with the GITHUB_TOKEN, binding the
// swapped bytes. Apply reads the App's run only: the swapped object is
// refused at preflight, the pull request is told, and no account changes.
func TestAttackPlantedCheckRunFromAPullRequestWorkflowIsNotTaken(t *testing.T) {
	w := newWorld(t)
	n, _ := passedStagingTo13(t, w, "promote-13-planted-run")
	uri, forged := swapModelData(t, w, appRunText(t, w, n))
	tok, err := w.GitHub.ActionsToken(world.Repo, false) // the pull_request workflow's GITHUB_TOKEN, checks: write
	if err != nil {
		t.Fatal(err)
	}
	plantGreenRun(t, w, w.GitHub.Client(tok), n, forged)
	reason := uri + " changed after the pull request's check"
	mergeAnyway(t, w, n, reason)
	if !saidOnPR(w, n, reason) {
		t.Error("the pull request was not told why")
	}
}

// TestAttackAnotherAppsGreenRunIsNotTaken: the App's check on the head
// is not green (it ran before the approval and asks for it). Another App
// installed on the repository with checks: write (a CI App whose token a
// pusher's workflow can mint) posts a newer green modelpromote run binding
// swapped model data, and the pull request is merged on it (branch
// protection that accepts the check from any source). Apply takes the
// App's own run, which did not pass: refused, the pull request is told,
// and no account changes.
func TestAttackAnotherAppsGreenRunIsNotTaken(t *testing.T) {
	w := newWorld(t)
	n := openPR(t, w, "promote-13-other-app", stagingTo13, ghemu.Change{})
	if res := runCheck(t, w, n); res.Verdict == plan.StatusPass {
		t.Fatalf("the attack's premise failed: the check passed before any approval")
	}
	approve(t, w, n, world.Bob)
	_, forged := swapModelData(t, w, appRunText(t, w, n))
	ci, err := w.GitHub.AddApp("ci-bot")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := w.GitHub.InstallApp(ci.ID, strings.SplitN(world.Repo, "/", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := w.GitHub.InstallationToken(inst)
	if err != nil {
		t.Fatal(err)
	}
	plantGreenRun(t, w, w.GitHub.Client(tok), n, forged)
	reason := "did not pass (action_required)"
	mergeAnyway(t, w, n, reason)
	if !saidOnPR(w, n, reason) {
		t.Error("the pull request was not told why")
	}
}
