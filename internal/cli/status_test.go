package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/status"
	"github.com/modelpromote/modelpromote/internal/world"
)

// auditWorld is the example world after one applied promotion (staging
// v12 → v13, approved by bob) with a prod promotion of v13 left open; root
// is a checkout of main after the merge.
type auditWorld struct {
	*harness
	root   string
	merged int
	open   int
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	a := &auditWorld{harness: newHarness(t)}
	w := a.w
	soaked := func() time.Time { return time.Now().Add(25 * time.Hour) }
	a.merged = a.openPR(t, "staging-13", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n")
	if _, err := w.GitHub.Review(world.Repo, a.merged, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: soaked}, a.merged)
	if err != nil || res.Verdict != plan.StatusPass {
		t.Fatalf("check: %v %v", res, err)
	}
	if _, err := w.GitHub.Merge(world.Repo, a.merged, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := a.run(t, "apply", "--pr", strconv.Itoa(a.merged)); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	a.open = a.openPR(t, "prod-13", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n")
	sha, err := w.BotRepo().BranchSHA(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := w.BotRepo().Tree(t.Context(), sha, "promotions")
	if err != nil {
		t.Fatal(err)
	}
	a.root = t.TempDir()
	for p, data := range tree {
		if err := os.MkdirAll(filepath.Join(a.root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(a.root, p), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func (a *auditWorld) openPR(t *testing.T, branch, from, to string) int {
	t.Helper()
	const file = "promotions/fraud-detector.yaml"
	gh := a.w.GitHub
	cur, _ := gh.File(world.Repo, "main", file)
	if err := gh.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := gh.Push(world.Repo, branch, ghemu.Change{Message: "promote", Author: world.Alice,
		Files: map[string]string{file: strings.Replace(cur, from, to, 1)}}); err != nil {
		t.Fatal(err)
	}
	n, err := gh.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote " + branch, Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatusShowsEveryStageWithItsLastPromotionAndOpenPullRequests(t *testing.T) {
	a := newAuditWorld(t)
	code, out, errOut := a.run(t, "status", "--root", a.root, "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	validJSON(t, "status.schema.json", out)
	var tbl status.Table
	if err := json.Unmarshal([]byte(out), &tbl); err != nil {
		t.Fatal(err)
	}
	rows := map[string]status.Row{}
	for _, r := range tbl.Rows {
		rows[r.Model+"/"+r.Stage] = r
	}
	st := rows["fraud-detector/staging"]
	if st.ManifestVersion != 13 || st.ServedVersion != 13 || st.EndpointStatus != "InService" || st.Drift != "" {
		t.Errorf("staging row: %+v", st)
	}
	if len(st.Variants) != 1 || st.Variants[0].InstanceCount != 1 || st.Variants[0].InstanceType != "ml.m5.large" {
		t.Errorf("staging variants: %+v", st.Variants)
	}
	p := st.LastPromotion
	if p == nil || p.PullRequest != a.merged || p.ToVersion != 13 || p.FromVersion != 12 || p.Outcome != "success" ||
		strings.Join(p.Approvers, ",") != world.Bob || !strings.HasPrefix(p.Evidence, "s3://") || p.EvidenceError != "" {
		t.Errorf("staging last promotion: %+v", p)
	}
	prod := rows["fraud-detector/prod"]
	if prod.ServedVersion != 11 || prod.LastPromotion != nil {
		t.Errorf("prod row (deployed before modelpromote kept records): %+v", prod)
	}
	if len(prod.OpenPullRequests) != 1 || prod.OpenPullRequests[0].Number != a.open || prod.OpenPullRequests[0].Author != world.Alice ||
		prod.OpenPullRequests[0].ToVersion != 13 || prod.OpenPullRequests[0].FromVersion != 11 {
		t.Errorf("prod open pull requests: %+v", prod.OpenPullRequests)
	}
	if tbl.PullRequests != "read" {
		t.Errorf("pullRequests %q", tbl.PullRequests)
	}
	// The example's other models have no endpoints in this world: absent,
	// and drift says so.
	for key, r := range rows {
		if !strings.HasPrefix(key, "fraud-detector/") && (r.EndpointStatus != "Absent" || !strings.Contains(r.Drift, "does not exist")) {
			t.Errorf("%s: %+v", key, r)
		}
	}

	// Offline, the same table without pull requests.
	code, out, _ = a.run(t, "status", "--root", a.root, "--offline")
	if code != ExitOK || !strings.Contains(out, "Open pull requests not read (no repository given).") ||
		!regexp.MustCompile(`fraud-detector\s+staging\s+v13\s+v13\s+InService\s+1 × ml.m5.large`).MatchString(out) {
		t.Errorf("offline: exit %d\n%s", code, out)
	}
	code, out, _ = a.run(t, "status", "--root", a.root, "--output", "markdown")
	if code != ExitOK || !strings.Contains(out, "| fraud-detector | prod | v11 | v11 | InService | 4 × ml.m5.xlarge |") ||
		!strings.Contains(out, fmt.Sprintf("[#%d](", a.open)) {
		t.Errorf("markdown: exit %d\n%s", code, out)
	}
}

// A stage whose endpoint cannot be read is shown as unread, never as in
// sync, and the exit code says so.
func TestStatusUnreadStageExitsOne(t *testing.T) {
	a := newAuditWorld(t)
	a.w.AWS.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeEndpoint", Account: world.ProdAccount, AccessDenied: true})
	code, out, _ := a.run(t, "status", "--root", a.root)
	if code != ExitFail {
		t.Fatalf("exit %d", code)
	}
	if !regexp.MustCompile(`fraud-detector\s+prod\s+v11\s+—\s+unread`).MatchString(out) ||
		!strings.Contains(out, "fraud-detector/prod: could not read endpoint fraud-detector:") {
		t.Errorf("text:\n%s", out)
	}
}
