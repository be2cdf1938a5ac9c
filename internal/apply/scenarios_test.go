package apply_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

var prodChange = change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 11\n", to: "  prod:\n    version: 12\n",
	approvers: []string{world.Gina, world.Bob}}

func TestUpdateWithCanaryServesTheNewVersion(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, prodChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 12 {
		t.Fatalf("prod serves %+v", s)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	ep, _ := w.SageMaker.Endpoint(prod, world.Region, "fraud-detector")
	if rec.Endpoint.ConfigAfter != ep.EndpointConfigName || rec.Endpoint.ConfigBefore == "" || rec.Endpoint.ConfigBefore == rec.Endpoint.ConfigAfter {
		t.Errorf("record endpoint %+v, endpoint serves %s", rec.Endpoint, ep.EndpointConfigName)
	}
	dc := ep.LastDeploymentConfig
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type != "CANARY" ||
		dc.AutoRollbackConfiguration == nil || len(dc.AutoRollbackConfiguration.Alarms) != 2 {
		t.Errorf("deployment config %+v", dc)
	}
	// The previous config is kept for rollback.
	snap := w.SageMaker.Snapshot(prod, world.Region)
	if !hasConfig(snap, rec.Endpoint.ConfigBefore) {
		t.Errorf("previous config %s was deleted", rec.Endpoint.ConfigBefore)
	}
	if len(rec.Approvals) != 2 || rec.PullRequest.MergeSHA == "" || len(rec.Artifacts) == 0 {
		t.Errorf("record %+v", rec)
	}
	for _, a := range rec.Artifacts {
		if a.SHA256 == "" || !strings.HasPrefix(a.Target, "s3://acme-ml-artifacts-prod/fraud-detector/12/") {
			t.Errorf("artifact %+v", a)
		}
	}
}

func hasConfig(s sagemaker.Snapshot, name string) bool {
	for _, c := range s.EndpointConfigs {
		if c.EndpointConfigName == name {
			return true
		}
	}
	return false
}

func TestFailedRolloutLeavesThePreviousModelServing(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, prodChange)
	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	res := runApply(t, applyEnv(w), n)
	if !res.Failed() || res.Outcomes[0].State != apply.StateFailure {
		t.Fatalf("outcomes %+v", res.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 11 || s.EndpointStatus != "InService" {
		t.Fatalf("after rollback prod serves %+v, want v11 InService", s)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if rec.Outcome != "failure" || !rec.Endpoint.RolledBack {
		t.Errorf("record %+v", rec)
	}
	comments := w.GitHub.Comments(world.Repo, n)
	last := comments[len(comments)-1].Body
	if !strings.HasPrefix(last, apply.ApplyMarker(res.Merge.MergeSHA)) || !strings.Contains(last, "rolled back") {
		t.Errorf("the pull request was not told:\n%s", last)
	}
	if got := deploymentStates(w)["prod/fraud-detector"]; len(got) == 0 || got[len(got)-1] != "failure" {
		t.Errorf("deployment statuses %v", got)
	}
}

func TestServerSideCopyDeniedFallsBackToStreaming(t *testing.T) {
	w := newWorld(t, world.Options{NoCrossAccountRead: true})
	n := mergedPR(t, w, stagingChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	for _, a := range rec.Artifacts {
		if a.Path != artifacts.PathStreamed {
			t.Errorf("%s copied by %s, want streamed", a.Source, a.Path)
		}
		bucket, key, _ := strings.Cut(strings.TrimPrefix(a.Target, "s3://"), "/")
		if got, err := w.AWS.S3().SHA256(bucket, key); err != nil || got != a.SHA256 {
			t.Errorf("%s: target sha %s, recorded %s (%v)", a.Target, got, a.SHA256, err)
		}
		if obj, _ := w.AWS.S3().Object(bucket, key); !strings.Contains(fmt.Sprint(obj), "kms") {
			t.Errorf("%s not encrypted with the target key: %+v", a.Target, obj)
		}
	}
}

func TestLargeArtifactIsCopiedInParts(t *testing.T) {
	if testing.Short() || os.Getenv("MODELPROMOTE_LONG_TESTS") != "1" {
		t.Skip("6 GiB synthetic copy: set MODELPROMOTE_LONG_TESTS=1 to run it (minutes on a busy machine)")
	}
	w := newWorld(t, world.Options{})
	model := w.Models["fraud-detector"][13].Package.InferenceSpecification.Containers[0].ModelDataUrl
	key := strings.TrimPrefix(model, "s3://"+world.DevBucket+"/")
	if err := w.AWS.S3().PutSyntheticObject(world.DevBucket, key, 42, 6<<30); err != nil {
		t.Fatal(err)
	}
	want, _ := w.AWS.S3().SyntheticSHA256(42, 6<<30)
	n := mergedPR(t, w, stagingChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	for _, a := range rec.Artifacts {
		if a.Source != model {
			continue
		}
		if a.Path != artifacts.PathServerSideMultipart || a.SHA256 != want || a.Size != 6<<30 {
			t.Errorf("large artifact %+v, want multipart with sha %s", a, want)
		}
		return
	}
	t.Errorf("model data not in the record: %+v", rec.Artifacts)
}

// state is what an apply leaves behind, for comparing runs.
type state struct {
	packages, configs, records, deployments int
	serving                                 int
	previousKept                            bool
	deploymentFinal                         string
}

func finalState(t *testing.T, w *world.World, res *apply.Result) state {
	t.Helper()
	snap := w.SageMaker.Snapshot(staging, world.Region)
	var st state
	for _, p := range snap.ModelPackages {
		if p.CustomerMetadataProperties[plan.ProvenanceSourceARN] == world.PackageARN("fraud-detector", 13) {
			st.packages++
		}
	}
	ep, _ := w.SageMaker.Endpoint(staging, world.Region, "fraud-detector-staging")
	for _, c := range snap.EndpointConfigs {
		if strings.Contains(c.EndpointConfigName, "v13") {
			st.configs++
		}
	}
	st.previousKept = len(snap.EndpointConfigs) >= 2 && ep.EndpointConfigName != ""
	objs, _ := w.AWS.S3().Objects("acme-ml-artifacts-staging")
	for _, o := range objs {
		if strings.HasPrefix(o.Key, plan.ArtifactPrefix("fraud-detector", 13)+"evidence/") {
			st.records++
		}
	}
	for _, d := range w.GitHub.Deployments(world.Repo) {
		if d.Environment == "staging/fraud-detector" {
			st.deployments++
			if len(d.Statuses) > 0 {
				st.deploymentFinal = d.Statuses[len(d.Statuses)-1].State
			}
		}
	}
	st.serving = serving(t, w, "staging", "fraud-detector-staging").SourceVersion
	return st
}

func TestRerunAfterSuccessIsANoOp(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	first := runApply(t, applyEnv(w), n)
	if first.Failed() {
		t.Fatalf("%v %+v", first.Refused, first.Outcomes)
	}
	before := finalState(t, w, first)
	w.AWS.ResetRequests()
	second := runApply(t, applyEnv(w), n)
	if second.Failed() || second.Outcomes[0].State != apply.StateAlreadyApplied {
		t.Fatalf("second run %+v", second.Outcomes)
	}
	if after := finalState(t, w, second); after != before {
		t.Errorf("state changed: %+v → %+v", before, after)
	}
	for _, r := range w.AWS.Requests() {
		if strings.HasPrefix(r.Operation, "Create") || strings.HasPrefix(r.Operation, "Update") || strings.HasPrefix(r.Operation, "Put") ||
			strings.HasPrefix(r.Operation, "Copy") || strings.HasPrefix(r.Operation, "Delete") {
			t.Errorf("rerun wrote to AWS: %s %s", r.Service, r.Operation)
		}
	}
}

// The crash matrix: stop a run at every step boundary (a hook), or in the
// middle of a step (a fault after part of it is done), rerun, and compare
// the final state with an uninterrupted run's.
func TestCrashAtEveryStepThenRerunConverges(t *testing.T) {
	reference := func() state {
		w := newWorld(t, world.Options{})
		n := mergedPR(t, w, stagingChange)
		res := runApply(t, applyEnv(w), n)
		if res.Failed() {
			t.Fatalf("%v %+v", res.Refused, res.Outcomes)
		}
		return finalState(t, w, res)
	}()
	want := state{packages: 1, configs: 1, records: 1, deployments: 1, serving: 13, previousKept: true, deploymentFinal: "success"}
	if reference != want {
		t.Fatalf("uninterrupted run left %+v, want %+v", reference, want)
	}
	type crash struct {
		name  string
		step  plan.ActionKind // crash before this step, or
		fault awsemu.Fault    // an emulator fault that breaks the step midway
	}
	cases := []crash{
		{name: "before assume-role", step: plan.ActionAssumeRole},
		{name: "before copy", step: plan.ActionCopyArtifacts},
		{name: "before register", step: plan.ActionRegisterPackage},
		{name: "before deploy", step: plan.ActionDeploy},
		{name: "before record", step: plan.ActionRecordEvidence},
		{name: "during copy: copies fail past their retries", fault: awsemu.Fault{Service: "s3", Operation: "CopyObject", ServerError: 1000, Account: staging}},
		{name: "during register: package created, not approved", fault: awsemu.Fault{Service: "sagemaker", Operation: "UpdateModelPackage", AccessDenied: true}},
		{name: "during deploy: model and config created, no update", fault: awsemu.Fault{Service: "sagemaker", Operation: "UpdateEndpoint", AccessDenied: true}},
		{name: "during record: evidence write fails", fault: awsemu.Fault{Service: "s3", Operation: "PutObject", AccessDenied: true, Account: staging}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case has its own world; most of a case is waiting
			// (retries, polls), so they overlap: the matrix stays well
			// under 30 s on a busy machine.
			t.Parallel()
			w := newWorld(t, world.Options{})
			n := mergedPR(t, w, stagingChange)
			e := applyEnv(w)
			var remove func()
			if c.step != "" {
				e.Interrupt = func(model, stage string, step plan.ActionKind) error {
					if step == c.step {
						return errors.New("simulated crash")
					}
					return nil
				}
			} else {
				remove = w.AWS.InjectFault(c.fault)
			}
			first := runApply(t, e, n)
			if !first.Failed() {
				t.Fatalf("the crash did not stop the run: %+v", first.Outcomes)
			}
			if remove != nil {
				remove()
			}
			second := runApply(t, applyEnv(w), n)
			if second.Failed() {
				t.Fatalf("rerun failed: %v %+v", second.Refused, second.Outcomes)
			}
			if got := finalState(t, w, second); got != want {
				t.Errorf("after crash and rerun %+v, want %+v", got, want)
			}
		})
	}
}

func TestThrottlingAndServerErrorsAreSurvived(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	for _, f := range []awsemu.Fault{
		{Service: "sagemaker", Operation: "CreateModelPackage", Throttle: 2},
		{Service: "sagemaker", Operation: "DescribeEndpoint", Throttle: 2, ServerError: 1},
		{Service: "sagemaker", Operation: "CreateEndpointConfig", ServerError: 2},
		{Service: "s3", Operation: "CopyObject", Throttle: 1, ServerError: 1},
		{Service: "sts", Operation: "AssumeRole", Throttle: 1},
	} {
		defer w.AWS.InjectFault(f)()
	}
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("%v %+v", res.Refused, res.Outcomes)
	}
	if got := finalState(t, w, res); got.serving != 13 || got.packages != 1 || got.configs != 1 {
		t.Errorf("state %+v", got)
	}
}

func TestForkPullRequestIsRefused(t *testing.T) {
	w := newWorld(t, world.Options{})
	c := stagingChange
	c.fork = true
	n := mergedPR(t, w, c)
	w.AWS.ResetRequests()
	res := runApply(t, applyEnv(w), n)
	if len(res.Refused) == 0 || !strings.Contains(res.Refused[0], "fork") {
		t.Fatalf("refused %v", res.Refused)
	}
	if len(w.AWS.Requests()) != 0 {
		t.Errorf("a fork's apply reached AWS: %+v", w.AWS.Requests())
	}
	if serving(t, w, "staging", "fraud-detector-staging").SourceVersion != 12 {
		t.Error("staging changed")
	}
}

func TestApprovalDismissedAfterTheCheckRefusesApply(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	reviews := w.GitHub.Reviews(world.Repo, n)
	if err := w.GitHub.DismissReview(world.Repo, n, reviews[0].ID, world.Pat, "approved by mistake"); err != nil {
		t.Fatal(err)
	}
	res := runApply(t, applyEnv(w), n)
	if len(res.Refused) == 0 || !strings.Contains(strings.Join(res.Refused, "\n"), "approval") {
		t.Fatalf("refused %v", res.Refused)
	}
	if serving(t, w, "staging", "fraud-detector-staging").SourceVersion != 12 {
		t.Error("staging changed")
	}
	comments := w.GitHub.Comments(world.Repo, n)
	if last := comments[len(comments)-1].Body; !strings.Contains(last, "Apply refused") {
		t.Errorf("the pull request was not told:\n%s", last)
	}
}

func TestReportChangedBetweenReviewAndMergeStopsThePromotion(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, stagingChange)
	stats := w.Models["fraud-detector"][13].Package.ModelMetrics.ModelQuality.Statistics.S3Uri
	if err := w.AWS.S3().PutObject(world.DevBucket, strings.TrimPrefix(stats, "s3://"+world.DevBucket+"/"), []byte(`{"binary_classification_metrics":{}}`)); err != nil {
		t.Fatal(err)
	}
	res := runApply(t, applyEnv(w), n)
	if !strings.Contains(strings.Join(res.Refused, "\n"), "does not match its recorded digest") {
		t.Fatalf("refused %v", res.Refused)
	}
}

func TestPlanForAMergedPullRequestTouchesNothing(t *testing.T) {
	w := newWorld(t, world.Options{NoCrossAccountRead: true})
	n := mergedPR(t, w, prodChange)
	w.AWS.ResetRequests()
	calls := len(w.GitHub.Deployments(world.Repo))
	pv, err := apply.Plan(t.Context(), applyEnv(w), n)
	if err != nil || len(pv.Refused) > 0 {
		t.Fatalf("%v %v", err, pv.Refused)
	}
	if len(pv.Promotions) != 1 {
		t.Fatalf("previews %+v", pv.Promotions)
	}
	p := pv.Promotions[0]
	if len(p.Copies) == 0 || !strings.Contains(p.Package, "create a package") || !strings.Contains(p.Endpoint, "update endpoint fraud-detector") ||
		!strings.Contains(p.Endpoint, "canary 25%") {
		t.Errorf("preview %+v", p)
	}
	for _, c := range p.Copies {
		if c.Path != artifacts.PathStreamed {
			t.Errorf("%s predicted %s, want streamed (no bucket policy)", c.Source, c.Path)
		}
	}
	for _, r := range w.AWS.Requests() {
		if !strings.HasPrefix(r.Operation, "Describe") && !strings.HasPrefix(r.Operation, "List") && !strings.HasPrefix(r.Operation, "Get") &&
			!strings.HasPrefix(r.Operation, "Head") && r.Operation != "AssumeRole" {
			t.Errorf("the preview wrote: %s %s", r.Service, r.Operation)
		}
	}
	if len(w.GitHub.Deployments(world.Repo)) != calls {
		t.Error("the preview created a deployment")
	}
	// After the apply, the preview sees it as done.
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatal(res.Outcomes)
	}
	pv, _ = apply.Plan(t.Context(), applyEnv(w), n)
	if !pv.Promotions[0].AlreadyApplied {
		t.Errorf("after apply: %+v", pv.Promotions[0])
	}
}

// GitHub marks a successful deployment inactive once a later one in the
// same environment succeeds. A late rerun of the older merge must see it
// as done, not deploy the older version again.
func TestLateRerunOfAnOlderMergeDoesNotRedeployIt(t *testing.T) {
	w := newWorld(t, world.Options{})
	first := mergedPR(t, w, stagingChange)
	if res := runApply(t, applyEnv(w), first); res.Failed() {
		t.Fatal(res.Outcomes)
	}
	if _, err := w.SeedVersion(world.Version{Group: "fraud-detector"}); err != nil {
		t.Fatal(err)
	}
	second := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "  staging:\n    version: 13\n", to: "  staging:\n    version: 14\n", approvers: []string{world.Bob}})
	if res := runApply(t, applyEnv(w), second); res.Failed() {
		t.Fatal(res.Outcomes)
	}
	var states []string
	for _, d := range w.GitHub.Deployments(world.Repo) {
		if d.Environment == "staging/fraud-detector" && len(d.Statuses) > 0 {
			states = append(states, d.Statuses[len(d.Statuses)-1].State)
		}
	}
	res := runApply(t, applyEnv(w), first)
	if res.Failed() || res.Outcomes[0].State != apply.StateAlreadyApplied {
		t.Fatalf("rerun of the older merge (deployment states %v): %+v", states, res.Outcomes)
	}
	if s := serving(t, w, "staging", "fraud-detector-staging"); s.SourceVersion != 14 {
		t.Errorf("staging serves v%d after a late rerun of the older merge, want v14", s.SourceVersion)
	}
}

func TestMergeWithoutPromotionsGetsNoComment(t *testing.T) {
	w := newWorld(t, world.Options{})
	n := mergedPR(t, w, change{file: "README.md", from: "# ML promotions", to: "# Acme ML promotions"})
	res := runApply(t, applyEnv(w), n)
	if res.Failed() || len(res.Outcomes) != 0 || res.CommentURL != "" {
		t.Fatalf("%+v", res)
	}
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		if strings.HasPrefix(c.Body, "<!-- modelpromote:apply") {
			t.Errorf("comment on a merge without promotions: %s", c.Body)
		}
	}
}
