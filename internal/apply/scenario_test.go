package apply_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/check"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

const (
	staging = world.StagingAccount
	prod    = world.ProdAccount
)

// newWorld is the example world: fraud-detector 1..13 registered, 12 live
// in staging and 11 in prod; churn-predictor 1..8 registered, nothing live.
func newWorld(t *testing.T, opts world.Options) *world.World {
	t.Helper()
	if opts.EndpointDelay == 0 {
		opts.EndpointDelay = 5 * time.Millisecond
	}
	if opts.PackageDelay == 0 {
		opts.PackageDelay = 5 * time.Millisecond
	}
	w, err := worldtest.Example(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions("churn-predictor", 8); err != nil {
		t.Fatal(err)
	}
	return w
}

func afterSoak() time.Time { return time.Now().Add(25 * time.Hour) }

// change is a promotion pull request to make.
type change struct {
	file, from, to string // a manifest edit: replace from with to (a new file's content when from is "")
	approvers      []string
	fork           bool
}

// mergedPR opens the change as a pull request, approves it, runs the check
// (which must pass), merges it, and returns its number.
func mergedPR(t *testing.T, w *world.World, c change) int {
	t.Helper()
	n := openPR(t, w, c)
	for _, a := range c.approvers {
		if _, err := w.GitHub.Review(world.Repo, n, a, "APPROVE", "approved"); err != nil {
			t.Fatal(err)
		}
	}
	res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != plan.StatusPass {
		var b strings.Builder
		for _, f := range res.Plan.Findings {
			b.WriteString(string(f.Severity) + " " + f.Message + "\n")
		}
		t.Fatalf("check verdict %s:\n%s", res.Verdict, b.String())
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

func openPR(t *testing.T, w *world.World, c change) int {
	t.Helper()
	cur, ok := w.GitHub.File(world.Repo, "main", c.file)
	if c.from != "" && (!ok || !strings.Contains(cur, c.from)) {
		t.Fatalf("%s lacks %q", c.file, c.from)
	}
	branch := "promote-" + strings.NewReplacer("/", "-", ".", "-").Replace(c.file) + "-" + time.Now().Format("150405.000000")
	repo, head := world.Repo, branch
	if c.fork {
		fork, err := w.GitHub.Fork(world.Repo, world.Alice)
		if err != nil {
			t.Fatal(err)
		}
		repo, head = fork, world.Alice+":"+branch
	}
	if err := w.GitHub.CreateBranch(repo, branch, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(repo, branch, ghemu.Change{Message: "promote", Author: world.Alice,
		Files: map[string]string{c.file: edited(cur, c)}}); err != nil {
		t.Fatal(err)
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote", Head: head, Author: world.Alice})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func edited(cur string, c change) string {
	if c.from == "" {
		return c.to
	}
	return strings.Replace(cur, c.from, c.to, 1)
}

func applyEnv(w *world.World) apply.Env {
	return apply.Env{Repo: w.BotRepo(), AppID: w.GitHub.App().ID, AWS: w.BotAWS(), S3PathStyle: true, Poll: 5 * time.Millisecond, EndpointTimeout: 20 * time.Second, Now: afterSoak}
}

func runApply(t *testing.T, e apply.Env, n int) *apply.Result {
	t.Helper()
	res, err := apply.Run(t.Context(), e, n)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// serving is what an endpoint serves, traced as the check traces it.
func serving(t *testing.T, w *world.World, stage, endpoint string) *plan.Serving {
	t.Helper()
	env, _ := w.Config.Environment(stage)
	s, err := endpointsTrace(t, w, env.Account, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func record(t *testing.T, w *world.World, uri string) apply.Record {
	t.Helper()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	rc, err := w.AWS.S3().Open(bucket, key)
	if err != nil {
		t.Fatalf("evidence record %s: %v", uri, err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	var r apply.Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func deploymentStates(w *world.World) map[string][]string {
	out := map[string][]string{}
	for _, d := range w.GitHub.Deployments(world.Repo) {
		for _, s := range d.Statuses {
			out[d.Environment] = append(out[d.Environment], s.State)
		}
	}
	return out
}

var stagingChange = change{file: "promotions/fraud-detector.yaml", from: "  staging:\n    version: 12\n", to: "  staging:\n    version: 13\n", approvers: []string{world.Bob}}

func TestFirstDeployCreatesTheEndpoint(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, change{file: "promotions/churn-predictor.yaml", from: "  staging:\n    version: 7\n", to: "  staging:\n    version: 8\n", approvers: []string{world.Bob}})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() || len(res.Outcomes) != 1 || res.Outcomes[0].State != apply.StateSuccess {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	s := serving(t, w, "staging", "churn-predictor-staging")
	if s == nil || s.SourceVersion != 8 || s.EndpointStatus != "InService" {
		t.Fatalf("serving %+v", s)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if rec.Outcome != "success" || rec.Endpoint.ConfigAfter == "" || !rec.Endpoint.CreatedNew || len(rec.Approvals) != 1 || rec.Approvals[0].Login != world.Bob {
		t.Errorf("record %+v", rec)
	}
	if got := deploymentStates(w)["staging/churn-predictor"]; strings.Join(got, ",") != "in_progress,success" {
		t.Errorf("deployment statuses %v", got)
	}
}

func endpointsTrace(t *testing.T, w *world.World, account, endpoint string) (*plan.Serving, error) {
	t.Helper()
	return endpoints.Trace(t.Context(), sagemaker.NewFromConfig(w.AdminAWS(account)), endpoint)
}
