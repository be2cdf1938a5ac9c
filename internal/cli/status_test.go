package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/status"
	"github.com/modelpromote/modelpromote/internal/world"
)

// auditWorld is the example world after one applied promotion (staging
// v12 → v13, approved by bob) with a prod promotion of v13 left open.
type auditWorld struct {
	*world.World
	set     *manifest.Set // the manifests on main after the merge
	merged  int
	open    int
	readers accounts.Readers
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	w, err := world.Example(t.Context(), t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a := &auditWorld{World: w, readers: accounts.New(accounts.Options{Base: w.BotAWS()}).Readers()}
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
	out, err := apply.Run(t.Context(), apply.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Poll: 5 * time.Millisecond,
		EndpointTimeout: 20 * time.Second}, a.merged)
	if err != nil || out.Failed() {
		t.Fatalf("apply: %+v %v", out, err)
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
	a.set = manifest.Load(tree, "promotions")
	if a.set.Config == nil || len(a.set.Problems) > 0 {
		t.Fatal(a.set.Problems)
	}
	return a
}

func (a *auditWorld) openPR(t *testing.T, branch, from, to string) int {
	t.Helper()
	const file = "promotions/fraud-detector.yaml"
	cur, _ := a.GitHub.File(world.Repo, "main", file)
	if err := a.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "promote", Author: world.Alice,
		Files: map[string]string{file: strings.Replace(cur, from, to, 1)}}); err != nil {
		t.Fatal(err)
	}
	n, err := a.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "Promote " + branch, Head: branch, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (a *auditWorld) statusSources() status.Sources {
	return status.Sources{Stages: endpoints.NewStages(a.readers), Records: a.evidence(), Pulls: openPulls(a.BotRepo(), "promotions")}
}

func (a *auditWorld) evidence() *artifacts.Evidence {
	return &artifacts.Evidence{Configs: a.readers, PathStyle: true}
}

func TestStatusShowsEveryStageWithItsLastPromotionAndOpenPullRequests(t *testing.T) {
	a := newAuditWorld(t)
	o := statusOptions{Output: "json"}
	var out, errb bytes.Buffer
	code := o.run(t.Context(), Streams{Out: &out, Err: &errb}, a.set, a.statusSources())
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	validateSchema(t, "status.schema.json", out.Bytes())
	var tbl status.Table
	if err := json.Unmarshal(out.Bytes(), &tbl); err != nil {
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
	src := a.statusSources()
	src.Pulls = nil
	out.Reset()
	o.Output = "text"
	if code := o.run(t.Context(), Streams{Out: &out, Err: &errb}, a.set, src); code != ExitOK {
		t.Fatalf("offline exit %d", code)
	}
	if !strings.Contains(out.String(), "Open pull requests not read (no repository given).") {
		t.Errorf("offline text:\n%s", out.String())
	}
}

// A stage whose endpoint cannot be read is shown as unread, never as in
// sync, and the exit code says so.
func TestStatusUnreadStageExitsOne(t *testing.T) {
	a := newAuditWorld(t)
	a.AWS.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeEndpoint", Account: world.ProdAccount, AccessDenied: true})
	var out, errb bytes.Buffer
	o := statusOptions{Output: "text"}
	src := a.statusSources()
	src.Pulls = nil
	if code := o.run(t.Context(), Streams{Out: &out, Err: &errb}, a.set, src); code != ExitFail {
		t.Fatalf("exit %d", code)
	}
	if !regexp.MustCompile(`fraud-detector\s+prod\s+v11\s+—\s+unread`).MatchString(out.String()) ||
		!strings.Contains(out.String(), "fraud-detector/prod: could not read endpoint fraud-detector:") {
		t.Errorf("text:\n%s", out.String())
	}
}

func validateSchema(t *testing.T, name string, doc []byte) {
	t.Helper()
	path, _ := filepath.Abs(filepath.Join("../../docs/schema", name))
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	schema, err := jsonschema.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("output does not match %s: %#v\n%s", name, err, doc)
	}
}
