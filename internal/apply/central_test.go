package apply_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/status"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// riskScore is a model new to the world, registered in the dev account
// only: everything it reaches goes through the central registry.
const riskScore = "risk-score"

const riskFile = "promotions/risk-score.yaml"

func centralWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.New(t, world.Options{Central: true, EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions(riskScore, 5); err != nil {
		t.Fatal(err)
	}
	return w
}

const riskCentral = "version: 1\nmodel: risk-score\nmodelPackageGroup: risk-score\nstages:\n  central:\n    version: 3\n"

const riskStaging = "  staging:\n    version: 3\n    endpoint: {name: risk-score-staging, instanceType: ml.m5.large, instanceCount: 1}\n"

// packagesFrom lists an account's packages whose provenance names source.
func packagesFrom(w *world.World, account, source string) []sagemaker.ModelPackage {
	var out []sagemaker.ModelPackage
	for _, p := range w.SageMaker.Snapshot(account, world.Region).ModelPackages {
		if p.CustomerMetadataProperties[plan.ProvenanceSourceARN] == source {
			out = append(out, p)
		}
	}
	return out
}

func TestRegistryOnlyStageCopiesAndRegistersWithoutDeploying(t *testing.T) {
	w := centralWorld(t)
	n := mergedPR(t, w, change{file: riskFile, to: riskCentral, approvers: []string{world.Bob}})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() || len(res.Outcomes) != 1 || res.Outcomes[0].State != apply.StateSuccess {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	var kinds []plan.ActionKind
	for _, a := range res.Plan.ActionsFor(riskScore, "central") {
		kinds = append(kinds, a.Head().Kind)
	}
	if want := []plan.ActionKind{plan.ActionAssumeRole, plan.ActionCopyArtifacts, plan.ActionRegisterPackage, plan.ActionRecordEvidence}; !slices.Equal(kinds, want) {
		t.Errorf("actions %v, want %v", kinds, want)
	}

	central := w.SageMaker.Snapshot(world.CentralAccount, world.Region)
	if len(central.Endpoints) != 0 || len(central.Models) != 0 || len(central.EndpointConfigs) != 0 {
		t.Errorf("the central account got endpoints %v, models %v, configs %v", central.Endpoints, central.Models, central.EndpointConfigs)
	}
	copies := packagesFrom(w, world.CentralAccount, world.PackageARN(riskScore, 3))
	if len(copies) != 1 || copies[0].ModelApprovalStatus != "Approved" {
		t.Fatalf("central holds %+v of version 3", copies)
	}
	if uri := copies[0].InferenceSpecification.Containers[0].ModelDataUrl; !strings.HasPrefix(uri, "s3://"+world.CentralBucket+"/risk-score/3/") {
		t.Errorf("central's copy points at %s, not the central bucket", uri)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if !strings.HasPrefix(res.Outcomes[0].RecordURI, "s3://"+world.CentralBucket+"/") || rec.Outcome != "success" || !rec.RegistryOnly ||
		rec.Endpoint.Name != "" || rec.Target.PackageARN != copies[0].ModelPackageArn || len(rec.Artifacts) == 0 {
		t.Errorf("record at %s: %+v", res.Outcomes[0].RecordURI, rec)
	}
	for _, a := range rec.Artifacts {
		if !strings.HasPrefix(a.Target, "s3://"+world.CentralBucket+"/") || a.SHA256 == "" {
			t.Errorf("artifact %+v", a)
		}
	}
	comments := w.GitHub.Comments(world.Repo, n)
	if len(comments) < 2 || !strings.Contains(comments[0].Body, "**Registry only**") || !strings.Contains(comments[len(comments)-1].Body, "| registry only | ✅ registered |") {
		t.Errorf("the pull request does not say registry only: %+v", comments)
	}
	if got := deploymentStates(w)["central/risk-score"]; strings.Join(got, ",") != "in_progress,success" {
		t.Errorf("deployment statuses %v", got)
	}

	// status and drift read the central stage from its registry.
	set := mainSet(t, w)
	readers := accounts.New(accounts.Options{Base: w.BotAWS(), SessionName: "test"}).Readers()
	table := status.Collect(t.Context(), status.Sources{Stages: endpoints.NewStages(readers), Records: &artifacts.Evidence{Configs: readers, PathStyle: true}},
		set.Config.Config, set.Models)
	var row *status.Row
	for i, r := range table.Rows {
		if r.Model == riskScore && r.Stage == "central" {
			row = &table.Rows[i]
		}
	}
	if row == nil || !row.RegistryOnly || row.ServedVersion != 3 || row.EndpointStatus != "Registered (Approved)" || row.Drift != "" ||
		row.PackageARN != copies[0].ModelPackageArn || row.LastPromotion == nil || row.LastPromotion.PullRequest != n || row.LastPromotion.Outcome != "success" {
		t.Errorf("status row %+v (last promotion %+v)", row, row.LastPromotion)
	}
	// (the example's other models are not deployed in this world)
	d := drift.Detect(t.Context(), set.Config.Config, set.Models, endpoints.NewStages(readers))
	for _, x := range d.Drift {
		if x.Model == riskScore {
			t.Errorf("drift %+v", x)
		}
	}
	if len(d.Unread) != 0 {
		t.Errorf("unread %+v", d.Unread)
	}
}

// mainSet is the promotions directory on main.
func mainSet(t *testing.T, w *world.World) *manifest.Set {
	t.Helper()
	repo := w.BotRepo()
	sha, err := repo.BranchSHA(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := repo.Tree(t.Context(), sha, manifest.DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	set := manifest.Load(tree, manifest.DefaultDir)
	if set.Config == nil || len(set.Problems) > 0 {
		t.Fatal(set.Problems)
	}
	return set
}

func TestStageAfterTheCentralRegistryNeedsTheVersionThere(t *testing.T) {
	w := centralWorld(t)
	runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, to: riskCentral, approvers: []string{world.Bob}}))

	// Version 3 is in central: staging may take it, and the chain of
	// custody holds it to the bytes central's record lists.
	n := mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging, approvers: []string{world.Bob}})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	for _, f := range res.Plan.Findings {
		if strings.Contains(f.Message, "custody") {
			t.Errorf("staging's chain of custody: %s", f.Message)
		}
	}
	if ps := res.Plan.Promotions[0].Details.PreviousStage; ps == nil || ps.ApprovalStatus != "Approved" || !strings.Contains(ps.TargetPackageARN, world.CentralAccount) {
		t.Errorf("previous stage %+v", ps)
	}
	if s := serving(t, w, "staging", "risk-score-staging"); s == nil || s.SourceVersion != 3 || s.SourcePackageARN != world.PackageARN(riskScore, 3) {
		t.Fatalf("staging serves %+v", s)
	}

	// Version 2 never entered central: staging cannot take it.
	m := openPR(t, w, change{file: riskFile, from: "  staging:\n    version: 3\n", to: "  staging:\n    version: 2\n"})
	if _, err := w.GitHub.Review(world.Repo, m, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	cr, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, m)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Verdict != plan.StatusFail || cr.Plan.Promotions[0].Status(plan.GatePolicy) != plan.StatusFail {
		t.Fatalf("verdict %s, policy gate %s", cr.Verdict, cr.Plan.Promotions[0].Status(plan.GatePolicy))
	}
	want := "version 2 is not in central: its registry (account " + world.CentralAccount + ") holds no copy of " + world.PackageARN(riskScore, 2)
	if !hasFinding(cr.Plan, want) {
		t.Errorf("no finding %q in %+v", want, cr.Plan.Findings)
	}
	if comment := w.GitHub.Comments(world.Repo, m); len(comment) == 0 || !strings.Contains(comment[len(comment)-1].Body, "not in central") {
		t.Errorf("the pull request was not told: %+v", comment)
	}

	// The dev registry has versions up to 5, central copies of 3 and 4:
	// staging's latest approved version is central's newest, 4, picked
	// without reading the dev account.
	runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, from: "  central:\n    version: 3\n", to: "  central:\n    version: 4\n", approvers: []string{world.Bob}}))
	defer w.AWS.Unreachable(world.DevAccount)()
	w.AWS.ResetRequests()
	prop, err := propose.Open(t.Context(), propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS()}, propose.Request{Model: riskScore, Stage: "staging", LatestApproved: true})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Proposal.Version != 4 || prop.Action != propose.ActionOpened || prop.Proposal.PackageARN != world.PackageARN(riskScore, 4) {
		t.Errorf("proposed %+v (%s)", prop.Proposal, prop.Action)
	}
	assertDevUntouched(t, w)
}

// assertDevUntouched fails the test for every request since the log was
// last reset that reached, or tried to reach, the dev account.
func assertDevUntouched(t *testing.T, w *world.World) {
	t.Helper()
	assertUntouched(t, w, world.DevAccount)
}

// assertUntouched fails the test for every request since the log was last
// reset that was signed by one of accounts, or refused as unreachable.
func assertUntouched(t *testing.T, w *world.World, accounts ...string) {
	t.Helper()
	var touched []string
	for _, r := range w.AWS.Requests() {
		if slices.Contains(accounts, r.Account) || r.Fault == "unreachable" {
			touched = append(touched, r.Service+":"+r.Operation+" by "+r.Caller)
		}
	}
	if len(touched) > 0 {
		t.Errorf("accounts %v were called %d times: %v", accounts, len(touched), touched)
	}
}

// promoteToCentral promotes risk-score v3 into the central registry and
// returns central's copy.
func promoteToCentral(t *testing.T, w *world.World) []sagemaker.ModelPackage {
	t.Helper()
	first := runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, to: riskCentral, approvers: []string{world.Bob}}))
	if first.Failed() {
		t.Fatalf("central: refused %v outcomes %+v", first.Refused, first.Outcomes)
	}
	central := packagesFrom(w, world.CentralAccount, world.PackageARN(riskScore, 3))
	if len(central) != 1 {
		t.Fatalf("central holds %d copies", len(central))
	}
	return central
}

func hasFinding(p *plan.Plan, prefix string) bool {
	for _, f := range p.Findings {
		if strings.HasPrefix(f.Message, prefix) {
			return true
		}
	}
	return false
}

// The AWS framework's shape end to end: dev → central (registry only) →
// staging → prod, staging and prod sourced from the central registry. After
// the central promotion the dev account is unreachable, and nothing tries
// to reach it.
func TestCentralRegistryFeedsStagingAndProdWithoutTheDevAccount(t *testing.T) {
	w := centralWorld(t)
	central := promoteToCentral(t, w)
	devCalls := 0
	for _, r := range w.AWS.Requests() {
		if r.Account == world.DevAccount {
			devCalls++
		}
	}
	if devCalls == 0 {
		t.Fatal("the central promotion did not read the dev account: the test proves nothing")
	}

	restore := w.AWS.Unreachable(world.DevAccount)
	defer restore()
	w.AWS.ResetRequests()

	n := mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging, approvers: []string{world.Bob}})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("staging: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if d := res.Plan.Promotions[0].Details.Source; d == nil || d.Stage != "central" || d.Account != world.CentralAccount || d.Mode != plan.UpstreamRole {
		t.Errorf("staging's source %+v", d)
	}
	if s := serving(t, w, "staging", "risk-score-staging"); s == nil || s.SourceVersion != 3 || s.SourcePackageARN != world.PackageARN(riskScore, 3) {
		t.Fatalf("staging serves %+v", s)
	}
	staged := packagesFrom(w, world.StagingAccount, world.PackageARN(riskScore, 3))
	if len(staged) != 1 || staged[0].CustomerMetadataProperties[plan.ProvenanceVia] != central[0].ModelPackageArn ||
		staged[0].CustomerMetadataProperties[plan.ProvenanceSourceAccount] != world.DevAccount ||
		!strings.HasPrefix(staged[0].InferenceSpecification.Containers[0].ModelDataUrl, "s3://acme-ml-artifacts-staging/") {
		t.Fatalf("staging's package %+v", staged)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if rec.Via == nil || rec.Via.PackageARN != central[0].ModelPackageArn || rec.Source.PackageARN != world.PackageARN(riskScore, 3) {
		t.Errorf("staging's record: source %+v via %+v", rec.Source, rec.Via)
	}
	for _, a := range rec.Artifacts {
		if !strings.HasPrefix(a.Source, "s3://"+world.CentralBucket+"/") {
			t.Errorf("staging copied %s, not central's copy", a.Source)
		}
	}

	prodModel := "  prod:\n    version: 3\n    endpoint: {name: risk-score, instanceType: ml.m5.large, instanceCount: 1}\n"
	m := mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + prodModel, approvers: []string{world.Bob, world.Gina}})
	res = runApply(t, applyEnv(w), m)
	if res.Failed() {
		t.Fatalf("prod: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if s := serving(t, w, "prod", "risk-score"); s == nil || s.SourceVersion != 3 || s.EndpointStatus != "InService" {
		t.Fatalf("prod serves %+v", s)
	}
	for _, f := range res.Plan.Findings {
		if strings.Contains(f.Message, "custody") {
			t.Errorf("prod's chain of custody: %s", f.Message)
		}
	}

	assertDevUntouched(t, w)
}
