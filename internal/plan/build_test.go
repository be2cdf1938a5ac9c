package plan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// gitRepo is a real git repository in a temp dir, for diff tests.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (nil content deletes), commits, and returns the SHA.
func (r *gitRepo) commit(msg string, files map[string]*string) string {
	r.t.Helper()
	for p, content := range files {
		full := filepath.Join(r.dir, p)
		if content == nil {
			r.git("rm", "-q", p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(*content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.git("add", p)
	}
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// mv renames a file in the work tree and index.
func (r *gitRepo) mv(from, to string) { r.git("mv", from, to) }

func (r *gitRepo) plan(base, head string) *Plan {
	r.t.Helper()
	ctx := context.Background()
	bt, err := manifest.ReadGit(ctx, r.dir, base, "promotions")
	if err != nil {
		r.t.Fatal(err)
	}
	ht, err := manifest.ReadGit(ctx, r.dir, head, "promotions")
	if err != nil {
		r.t.Fatal(err)
	}
	return Build(Input{Base: base, Head: head, BaseTree: bt, HeadTree: ht, Dir: "promotions"})
}

func s(v string) *string { return &v }

func exampleFiles(t *testing.T) map[string]*string {
	t.Helper()
	files := map[string]*string{}
	paths, _ := filepath.Glob("../../promotions/*.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files["promotions/"+filepath.Base(p)] = s(string(data))
	}
	return files
}

func read(t *testing.T, r *gitRepo, p string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

type promo struct {
	model, stage string
	from, to     int
}

func promos(p *Plan) []promo {
	var out []promo
	for _, pr := range p.Promotions {
		out = append(out, promo{pr.Model, pr.Stage, pr.FromVersion, pr.ToVersion})
	}
	return out
}

func TestPlanListsExactlyThePromotionsMade(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	fraud := read(t, r, "promotions/fraud-detector.yaml")
	churn := read(t, r, "promotions/churn-predictor.yaml")
	head := r.commit("promote", map[string]*string{
		"promotions/fraud-detector.yaml":  s(strings.Replace(fraud, "version: 11", "version: 12", 1)),
		"promotions/churn-predictor.yaml": s(strings.Replace(churn, "instanceCount: 10", "instanceCount: 12", 1)),
	})
	p := r.plan(base, head)
	want := []promo{{"churn-predictor", "prod", 7, 7}, {"fraud-detector", "prod", 11, 12}}
	if got := promos(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("promotions = %v, want %v", got, want)
	}
	if got := p.Promotions[0].Changes; !reflect.DeepEqual(got, []string{"endpoint.instanceCount: 10 → 12"}) {
		t.Errorf("churn changes = %v", got)
	}
	if !p.Promotions[0].IsReconfiguration() || p.Promotions[1].IsReconfiguration() {
		t.Errorf("reconfiguration flags wrong")
	}
	if pos := p.Promotions[1].Pos; pos.Line != 16 {
		t.Errorf("fraud-detector prod version position = %v, want line 16", pos)
	}
	if v := p.Verdict(); v != StatusUnchecked {
		t.Errorf("offline verdict = %s, want %s (AWS and GitHub gates not run)", v, StatusUnchecked)
	}
	if p.ConfigChanged || len(p.NewModels)+len(p.RemovedModels)+len(p.RemovedStages)+len(p.Renames) != 0 {
		t.Errorf("unexpected extra changes: %+v", p)
	}
	// Five apply steps per promotion, in order.
	var kinds []ActionKind
	for _, a := range p.Actions {
		if h := a.Head(); h.Model == "fraud-detector" {
			kinds = append(kinds, h.Kind)
		}
	}
	wantKinds := []ActionKind{ActionAssumeRole, ActionCopyArtifacts, ActionRegisterPackage, ActionDeploy, ActionRecordEvidence}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("actions = %v", kinds)
	}
	if r := p.Actions[len(p.Actions)-2].(*Deploy).Endpoint.Rollout; r.StrategyName() != "canary" || strings.Join(r.Alarms, ",") != "fraud-detector-5xx,fraud-detector-latency-p99" {
		t.Errorf("deploy rollout = %+v", r)
	}
}

func TestPlanUnchangedTreeHasNoPromotions(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	head := r.commit("empty", nil)
	p := r.plan(base, head)
	if len(p.Promotions) != 0 || len(p.Findings) != 0 || p.Verdict() != StatusPass {
		t.Fatalf("plan = %+v", p)
	}
}

func TestPlanUnderstandsARenamedModelFile(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	r.mv("promotions/credit-risk.yaml", "promotions/credit-scoring.yaml")
	renamed := strings.Replace(read(t, r, "promotions/credit-scoring.yaml"), "model: credit-risk", "model: credit-scoring", 1)
	renamed = strings.Replace(renamed, "version: 3", "version: 4", 1)
	head := r.commit("rename", map[string]*string{"promotions/credit-scoring.yaml": s(renamed)})
	p := r.plan(base, head)
	wantRename := []manifest.Rename{{FromFile: "promotions/credit-risk.yaml", ToFile: "promotions/credit-scoring.yaml", FromModel: "credit-risk", ToModel: "credit-scoring"}}
	if !reflect.DeepEqual(p.Renames, wantRename) {
		t.Errorf("renames = %+v", p.Renames)
	}
	if got, want := promos(p), []promo{{"credit-scoring", "staging", 3, 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("promotions = %v, want %v", got, want)
	}
	if len(p.NewModels) != 0 || len(p.RemovedModels) != 0 {
		t.Errorf("a rename must not look like new %v / removed %v", p.NewModels, p.RemovedModels)
	}
}

func TestPlanMalformedHeadFileIsAFindingNotACrash(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	churn := read(t, r, "promotions/churn-predictor.yaml")
	fraud := read(t, r, "promotions/fraud-detector.yaml")
	head := r.commit("broken", map[string]*string{
		"promotions/churn-predictor.yaml": s(strings.Replace(churn, "instanceType: ml.c5.large", "instance_type: ml.c5.large", 1)),
		"promotions/fraud-detector.yaml":  s(strings.Replace(fraud, "version: 12", "version: 13", 1)),
	})
	p := r.plan(base, head)
	if got, want := promos(p), []promo{{"fraud-detector", "staging", 12, 13}}; !reflect.DeepEqual(got, want) {
		t.Errorf("promotions = %v, want %v", got, want)
	}
	if len(p.RemovedModels) != 0 {
		t.Errorf("a broken file is not a removed model: %v", p.RemovedModels)
	}
	var found bool
	for _, f := range p.Findings {
		if f.Gate == GateManifest && f.File == "promotions/churn-predictor.yaml" && f.Pos == (manifest.Pos{Line: 10, Col: 7}) &&
			strings.Contains(f.Message, `unknown field "instance_type"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("findings = %+v", p.Findings)
	}
	if p.Verdict() != StatusFail {
		t.Errorf("verdict = %s, want fail", p.Verdict())
	}
}

func TestPlanNewModelAndRemovedStage(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	credit := read(t, r, "promotions/credit-risk.yaml")
	noProd := credit[:strings.Index(credit, "  prod:")]
	head := r.commit("change", map[string]*string{
		"promotions/credit-risk.yaml": s(noProd),
		"promotions/spam-filter.yaml": s("version: 1\nmodel: spam-filter\nmodelPackageGroup: spam\nstages:\n  staging:\n    version: 1\n    endpoint: {name: spam-staging, instanceType: ml.m5.large, instanceCount: 1}\n"),
	})
	p := r.plan(base, head)
	if got, want := promos(p), []promo{{"spam-filter", "staging", 0, 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("promotions = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(p.NewModels, []string{"spam-filter"}) {
		t.Errorf("new models = %v", p.NewModels)
	}
	if want := []manifest.StageRef{{Model: "credit-risk", Stage: "prod", File: "promotions/credit-risk.yaml", Version: 2}}; !reflect.DeepEqual(p.RemovedStages, want) {
		t.Errorf("removed stages = %+v", p.RemovedStages)
	}
	if !p.Promotions[0].IsNew() {
		t.Error("spam-filter/staging should be new")
	}
}

func TestPlanPolicyComesFromBaseAndConfigChangesAreFlagged(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	cfg := read(t, r, "promotions/modelpromote.yaml")
	// The head loosens prod's approvals and adds a qa environment that a
	// model immediately uses: neither may count for this change.
	loosened := strings.Replace(cfg, "      approvals: 2\n", "      approvals: 1\n", 1)
	loosened = strings.Replace(loosened, "policy:\n", `  - name: qa
    account: "444444444444"
    region: eu-west-1
    roleArn: arn:aws:iam::444444444444:role/modelpromote-deploy
    artifactBucket: acme-ml-artifacts-qa
    kmsKeyArn: arn:aws:kms:eu-west-1:444444444444:key/1a2b3c4d-1111-2222-3333-444455556666
    executionRoleArn: arn:aws:iam::444444444444:role/sagemaker-execution
policy:
`, 1)
	loosened = strings.Replace(loosened, "  stages:\n", "  stages:\n    qa: {approvals: 1}\n", 1)
	credit := read(t, r, "promotions/credit-risk.yaml")
	head := r.commit("loosen", map[string]*string{
		"promotions/modelpromote.yaml": s(loosened),
		"promotions/credit-risk.yaml":  s(credit + "  qa:\n    version: 3\n    endpoint: {name: credit-risk-qa, instanceType: ml.m5.large, instanceCount: 1}\n"),
	})
	p := r.plan(base, head)
	if !p.ConfigChanged || !reflect.DeepEqual(p.ConfigChanges, []string{"environments.qa", "policy.stages.prod", "policy.stages.qa"}) {
		t.Errorf("config changes = %v %v", p.ConfigChanged, p.ConfigChanges)
	}
	var governance, unknownStage bool
	for _, f := range p.Findings {
		if f.Gate == GateGovernance && f.Severity == SeverityPending && strings.Contains(f.Message, "team:ml-platform") {
			governance = true
		}
		if f.Gate == GateManifest && strings.Contains(f.Message, `unknown stage "qa"`) {
			unknownStage = true
		}
	}
	if !governance || !unknownStage {
		t.Errorf("governance=%v unknownStage=%v findings=%+v", governance, unknownStage, p.Findings)
	}
	if len(p.Promotions) != 0 {
		t.Errorf("a stage unknown to the base policy must not be promoted: %v", promos(p))
	}
}

func TestPlanRefusesPromotingBothStagesAtOnce(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("base", exampleFiles(t))
	fraud := read(t, r, "promotions/fraud-detector.yaml")
	both := strings.Replace(strings.Replace(fraud, "version: 12", "version: 13", 1), "version: 11", "version: 13", 1)
	head := r.commit("both", map[string]*string{"promotions/fraud-detector.yaml": s(both)})
	p := r.plan(base, head)
	if got, want := promos(p), []promo{{"fraud-detector", "staging", 12, 13}, {"fraud-detector", "prod", 11, 13}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("promotions (stage order) = %v, want %v", got, want)
	}
	if st := p.Promotions[1].Status(GatePolicy); st != StatusFail {
		t.Errorf("prod policy gate = %s, want fail", st)
	}
	if st := p.Promotions[0].Status(GatePolicy); st != StatusPass {
		t.Errorf("staging policy gate = %s, want pass", st)
	}
}

func TestPlanWithoutBaseConfigFailsClosed(t *testing.T) {
	r := newGitRepo(t)
	base := r.commit("empty", nil)
	head := r.commit("all", exampleFiles(t))
	p := r.plan(base, head)
	if p.Verdict() != StatusFail || len(p.Promotions) != 0 {
		t.Fatalf("verdict %s, promotions %v", p.Verdict(), promos(p))
	}
}
