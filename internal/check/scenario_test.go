package check_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// stage is a scenario's world: the example repository with fraud-detector
// versions 1..13 registered in dev, 12 live in staging and 11 in prod, as
// the manifests say.
func stage(t *testing.T, opts world.Options) *world.World {
	t.Helper()
	w, err := worldtest.Example(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// propose opens a pull request by alice that edits fraud-detector.yaml with
// edit, and returns its number.
func propose(t *testing.T, w *world.World, branch string, edit func(string) string) int {
	t.Helper()
	cur, ok := w.GitHub.File(world.Repo, "main", "promotions/fraud-detector.yaml")
	if !ok {
		t.Fatal("no fraud-detector.yaml")
	}
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "Promote fraud-detector", Author: world.Alice,
		Files: map[string]string{"promotions/fraud-detector.yaml": edit(cur)}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote fraud-detector", Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func env(w *world.World) check.Env {
	return check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Version: "test"}
}

func run(t *testing.T, e check.Env, n int) *check.Result {
	t.Helper()
	res, err := check.Run(t.Context(), e, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func gates(t *testing.T, res *check.Result, key string) map[plan.Gate]plan.Status {
	t.Helper()
	for _, p := range res.Plan.Promotions {
		if p.Key() == key {
			out := map[plan.Gate]plan.Status{}
			for _, g := range p.Gates {
				out[g.Gate] = g.Status
			}
			return out
		}
	}
	t.Fatalf("no promotion %s in %+v", key, res.Plan.Promotions)
	return nil
}

func findingsText(p *plan.Plan) string {
	var b strings.Builder
	for _, f := range p.Findings {
		b.WriteString(string(f.Severity) + " " + string(f.Gate) + " " + f.Model + "/" + f.Stage + ": " + f.Message + "\n")
	}
	return b.String()
}

func reportComments(w *world.World, n int) []ghemu.Comment {
	var out []ghemu.Comment
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if strings.HasPrefix(c.Body, report.CommentMarker) {
			out = append(out, c)
		}
	}
	return out
}

func lastCheckRun(t *testing.T, w *world.World, sha string) ghemu.CheckRun {
	t.Helper()
	runs := w.GitHub.CheckRuns(world.Repo, sha)
	if len(runs) == 0 {
		t.Fatalf("no check run on %s", sha)
	}
	return runs[len(runs)-1]
}

func bumpStaging(from, to string) func(string) string {
	return func(s string) string {
		return strings.Replace(s, "  staging:\n    version: "+from+"\n", "  staging:\n    version: "+to+"\n", 1)
	}
}

func TestCleanPromotionPassesOnceApprovalsLand(t *testing.T) {
	w := stage(t, world.Options{})
	n := propose(t, w, "promote-fraud-13", bumpStaging("12", "13"))

	res := run(t, env(w), n)
	if res.Verdict != plan.StatusPending {
		t.Fatalf("verdict %s, want pending; findings:\n%s", res.Verdict, findingsText(res.Plan))
	}
	g := gates(t, res, "fraud-detector/staging")
	for _, gate := range []plan.Gate{plan.GateManifest, plan.GatePolicy, plan.GateLineage, plan.GateCompliance, plan.GateEvaluation} {
		if g[gate] != plan.StatusPass {
			t.Errorf("%s = %s; findings:\n%s", gate, g[gate], findingsText(res.Plan))
		}
	}
	if g[plan.GateGovernance] != plan.StatusPending {
		t.Errorf("governance = %s, want pending", g[plan.GateGovernance])
	}
	pr, _ := w.GitHub.PullRequest(world.Repo, n)
	if cr := lastCheckRun(t, w, pr.HeadSHA); cr.Conclusion != "action_required" || cr.Name != "modelpromote" {
		t.Errorf("check run %s/%s", cr.Name, cr.Conclusion)
	}
	if cs := reportComments(w, n); len(cs) != 1 {
		t.Fatalf("%d report comments, want 1", len(cs))
	}

	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "LGTM"); err != nil {
		t.Fatal(err)
	}
	res = run(t, env(w), n)
	if res.Verdict != plan.StatusPass {
		t.Fatalf("after approval: verdict %s; findings:\n%s", res.Verdict, findingsText(res.Plan))
	}
	if cr := lastCheckRun(t, w, pr.HeadSHA); cr.Conclusion != "success" {
		t.Errorf("check run conclusion %s, want success", cr.Conclusion)
	}
	cs := reportComments(w, n)
	if len(cs) != 1 {
		t.Fatalf("%d report comments after re-check, want the same one edited", len(cs))
	}
	if !strings.Contains(cs[0].Body, "fraud-detector") || !strings.Contains(cs[0].Body, "bob") {
		t.Errorf("comment lacks the promotion or the approver:\n%s", cs[0].Body)
	}
	d := res.Plan.Promotions[0].Details
	if d.Live == nil || d.Live.SourceVersion != 12 {
		t.Errorf("live version = %+v, want 12", d.Live)
	}
	if len(d.Evaluation) == 0 || d.Lineage == nil || len(d.Reports) == 0 {
		t.Errorf("details missing: %+v", d)
	}
}
