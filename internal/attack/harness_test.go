package attack_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The example world (newWorld, policy_test.go): fraud-detector 1..13
// registered in dev, 12 live in staging and 11 in prod.

// accounts are every AWS account of the example world.
var accounts = []string{world.DevAccount, world.StagingAccount, world.ProdAccount, world.ToolsAccount}

// edit replaces from with to in a file of the main branch.
type edit struct{ file, from, to string }

var (
	stagingTo13 = edit{"promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n"}
)

// content returns the file on main with the edit applied.
func (e edit) content(t *testing.T, w *world.World) string {
	t.Helper()
	cur, ok := w.GitHub.File(world.Repo, "main", e.file)
	if !ok || !strings.Contains(cur, e.from) {
		t.Fatalf("%s on main lacks %q", e.file, e.from)
	}
	return strings.Replace(cur, e.from, e.to, 1)
}

// openPR creates branch from main, pushes the edit as alice (or as
// ch.Author, with ch's message and recorded identity), and opens a pull
// request by alice.
func openPR(t *testing.T, w *world.World, branch string, e edit, ch ghemu.Change) int {
	t.Helper()
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if ch.Author == "" {
		ch.Author = world.Alice
	}
	if ch.Message == "" {
		ch.Message = "Promote fraud-detector"
	}
	ch.Files = map[string]string{e.file: e.content(t, w)}
	if _, err := w.GitHub.Push(world.Repo, branch, ch); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote fraud-detector", Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func approve(t *testing.T, w *world.World, n int, users ...string) {
	t.Helper()
	for _, u := range users {
		if _, err := w.GitHub.Review(world.Repo, n, u, "APPROVE", "lgtm"); err != nil {
			t.Fatal(err)
		}
	}
}

// runCheck runs the pull request check as the App would.
func runCheck(t *testing.T, w *world.World, n int) *check.Result {
	t.Helper()
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Version: "test", Now: afterSoak}, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stopped asserts the check did not pass, that gate of promotion key
// (model/stage) is shut, and that a finding of that gate, whose message
// contains reason, is reported in the pull request's comment.
func stopped(t *testing.T, w *world.World, n int, res *check.Result, key string, gate plan.Gate, reason string) {
	t.Helper()
	if res.Verdict == plan.StatusPass {
		t.Errorf("the check passed; findings:\n%s", findings(res.Plan))
	}
	if key != "" {
		found := false
		for _, p := range res.Plan.Promotions {
			if p.Key() == key {
				found = true
				if st := p.Status(gate); st == plan.StatusPass || st == plan.StatusUnchecked {
					t.Errorf("%s gate of %s is %s; findings:\n%s", gate, key, st, findings(res.Plan))
				}
			}
		}
		if !found {
			t.Fatalf("no promotion %s in the plan; findings:\n%s", key, findings(res.Plan))
		}
	}
	found := false
	for _, f := range res.Plan.Findings {
		if f.Gate == gate && (f.Severity == plan.SeverityError || f.Severity == plan.SeverityPending) && strings.Contains(f.Message, reason) {
			found = true
		}
	}
	if !found {
		t.Errorf("no %s finding saying %q; findings:\n%s", gate, reason, findings(res.Plan))
	}
	if !saidOnPR(w, n, reason) {
		t.Errorf("the pull request's comment does not say %q", reason)
	}
}

// saidOnPR reports whether a comment on the pull request says text (the
// comment escapes markdown, so parentheses and quotes are compared loosely).
func saidOnPR(w *world.World, n int, text string) bool {
	unescape := strings.NewReplacer("&#40;", "(", "&#41;", ")", "&#39;", "'", "&#34;", `"`, "&quot;", `"`, "&#33;", "!", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&#91;", "[", "&#93;", "]", "\u200d", "", "\\", "")
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if strings.Contains(unescape.Replace(c.Body), text) {
			return true
		}
	}
	return false
}

func findings(p *plan.Plan) string {
	var b strings.Builder
	for _, f := range p.Findings {
		fmt.Fprintf(&b, "%s %s %s/%s: %s\n", f.Severity, f.Gate, f.Model, f.Stage, f.Message)
	}
	return b.String()
}

// mergeAnyway merges the pull request as pat, an admin who can bypass
// branch protection, and runs apply on it: apply must refuse with reason,
// and leave every account as it was.
func mergeAnyway(t *testing.T, w *world.World, n int, reason string) {
	t.Helper()
	before := snapshot(t, w)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	res, err := apply.Run(t.Context(), applyEnv(w), n)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) == 0 {
		t.Errorf("apply was not refused; outcomes %+v", res.Outcomes)
	}
	if !strings.Contains(strings.Join(res.Refused, "\n"), reason) {
		t.Errorf("apply refused for %v; want a reason saying %q", res.Refused, reason)
	}
	unchanged(t, w, before)
}

// state is what every account holds: each SageMaker resource by name (with
// what an endpoint serves) and each S3 object with its ETag.
type state map[string]string

func snapshot(t *testing.T, w *world.World) state {
	t.Helper()
	s := state{}
	for _, acct := range accounts {
		snap := w.SageMaker.Snapshot(acct, world.Region)
		for _, g := range snap.ModelPackageGroups {
			s["sagemaker "+acct+" group "+g.ModelPackageGroupName] = ""
		}
		for _, p := range snap.ModelPackages {
			s["sagemaker "+acct+" package "+p.ModelPackageArn] = p.ModelApprovalStatus
		}
		for _, m := range snap.Models {
			s["sagemaker "+acct+" model "+m.ModelName] = ""
		}
		for _, c := range snap.EndpointConfigs {
			s["sagemaker "+acct+" config "+c.EndpointConfigName] = ""
		}
		for _, e := range snap.Endpoints {
			s["sagemaker "+acct+" endpoint "+e.EndpointName] = e.EndpointConfigName
		}
	}
	for _, b := range w.AWS.S3().Buckets() {
		objs, err := w.AWS.S3().Objects(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			s["s3 "+b.Name+"/"+o.Key] = o.ETag
		}
	}
	return s
}

// unchanged asserts no account differs from before.
func unchanged(t *testing.T, w *world.World, before state) {
	t.Helper()
	unchangedFrom(t, before, snapshot(t, w))
}

// unchangedFrom asserts after does not differ from before.
func unchangedFrom(t *testing.T, before, after state) {
	t.Helper()
	if reflect.DeepEqual(before, after) {
		return
	}
	var diff []string
	for k, v := range after {
		if bv, ok := before[k]; !ok {
			diff = append(diff, "+ "+k)
		} else if bv != v {
			diff = append(diff, fmt.Sprintf("~ %s: %s → %s", k, bv, v))
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			diff = append(diff, "- "+k)
		}
	}
	sort.Strings(diff)
	t.Errorf("the accounts changed:\n%s", strings.Join(diff, "\n"))
}
