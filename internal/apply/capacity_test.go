package apply_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	smclient "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The prod fleet of the example, and the same with autoscaling.
const (
	prodFleet  = "      instanceType: ml.m5.xlarge\n      instanceCount: 4\n"
	prodScaled = prodFleet + "      autoscaling: {minInstances: 2, maxInstances: 8, targetInvocationsPerInstance: 700, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60}\n"
)

// autoscaledProd registers prod's fraud-detector for autoscaling through a
// pull request, then scales it to n instances as Application Auto Scaling
// would (UpdateEndpointWeightsAndCapacities), and waits for it to settle.
func autoscaledProd(t *testing.T, w *world.World, n int32) {
	t.Helper()
	pr := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: prodFleet, to: prodScaled, approvers: []string{world.Gina, world.Bob}})
	if res := runApply(t, applyEnv(w), pr); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if got, err := w.Autoscaling.Scale(prod, world.Region, "fraud-detector", "AllTraffic", n); err != nil || got != n {
		t.Fatalf("scale to %d: %d, %v", n, got, err)
	}
	if cur, _ := prodCounts(t, w); cur != n {
		t.Fatalf("scaled to %d, running %d", n, cur)
	}
}

// prodCounts is what DescribeEndpoint says prod's fraud-detector runs,
// once it is InService.
func prodCounts(t *testing.T, w *world.World) (current, desired int32) {
	t.Helper()
	c := smclient.NewFromConfig(w.AdminAWS(prod))
	for deadline := time.Now().Add(10 * time.Second); ; {
		ep, err := c.DescribeEndpoint(t.Context(), &smclient.DescribeEndpointInput{EndpointName: aws.String("fraud-detector")})
		if err != nil {
			t.Fatal(err)
		}
		if ep.EndpointStatus == "InService" {
			v := ep.ProductionVariants[0]
			return aws.ToInt32(v.CurrentInstanceCount), aws.ToInt32(v.DesiredInstanceCount)
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint still %s", ep.EndpointStatus)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A canary model update of an endpoint autoscaled to more than its
// instanceCount starts the new fleet at the running count, not at
// instanceCount, and leaves the scaling registration as it was.
func TestCanaryModelUpdateKeepsTheAutoscaledCapacity(t *testing.T) {
	w := newWorld(t, world.Options{})
	autoscaledProd(t, w, 7)
	w.AWS.ResetRequests()
	n := mergedPR(t, w, prodChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if s := serving(t, w, "prod", "fraud-detector"); s.SourceVersion != 12 {
		t.Fatalf("prod serves %+v", s)
	}
	if cur, want := prodCounts(t, w); cur != 7 || want != 7 {
		t.Errorf("after the canary update prod runs %d (desired %d), want the 7 autoscaling set, not instanceCount 4", cur, want)
	}
	// The evidence record and the pull request say so.
	if rec := record(t, w, res.Outcomes[0].RecordURI); !strings.Contains(rec.Endpoint.Capacity, "kept the 7 instances running (instanceCount 4)") {
		t.Errorf("record capacity %q", rec.Endpoint.Capacity)
	}
	comments := w.GitHub.Comments(world.Repo, n)
	if last := comments[len(comments)-1].Body; !strings.Contains(last, "kept the 7 instances running") {
		t.Errorf("the outcome comment does not say the capacity was kept:\n%s", last)
	}
	ep, _ := w.SageMaker.Endpoint(prod, world.Region, "fraud-detector")
	if dc := ep.LastDeploymentConfig; dc == nil || dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type != "CANARY" {
		t.Errorf("deployment config %+v", dc)
	}
	if lo, hi, ok := w.Autoscaling.Registered(prod, world.Region, "fraud-detector", "AllTraffic"); !ok || lo != 2 || hi != 8 ||
		len(w.Autoscaling.Policies(prod, world.Region, "fraud-detector", "AllTraffic")) != 1 {
		t.Errorf("registration after the update: %v %d–%d", ok, lo, hi)
	}
	// A model-only update on a registered variant needs no deregistering.
	for _, r := range w.AWS.Requests() {
		if r.Operation == "DeregisterScalableTarget" || r.Operation == "DeleteScalingPolicy" {
			t.Errorf("a model-only update called %s", r.Operation)
		}
	}
}

// A model update that also changes instanceCount is the operator asking
// for a new size: the new fleet starts at it.
func TestUpdateThatChangesInstanceCountStartsAtTheNewCount(t *testing.T) {
	w := newWorld(t, world.Options{})
	autoscaledProd(t, w, 7)
	resized := strings.Replace(prodScaled, "instanceCount: 4", "instanceCount: 3", 1)
	n := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: "    version: 11\n" + "    endpoint:\n      name: fraud-detector\n" + prodScaled,
		to: "    version: 12\n" + "    endpoint:\n      name: fraud-detector\n" + resized, approvers: []string{world.Gina, world.Bob}})
	if res := runApply(t, applyEnv(w), n); res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if cur, _ := prodCounts(t, w); cur != 3 {
		t.Errorf("prod runs %d instances, want the new instanceCount 3", cur)
	}
}

// scalingState is what an instance-type change leaves of prod's
// fraud-detector: the type serving, the registration, the journal objects.
type scalingState struct {
	instanceType string
	registered   bool
	min, max     int32
	policies     string
	journal      int
}

func prodScalingState(t *testing.T, w *world.World) scalingState {
	t.Helper()
	var st scalingState
	ep, _ := w.SageMaker.Endpoint(prod, world.Region, "fraud-detector")
	for _, c := range w.SageMaker.Snapshot(prod, world.Region).EndpointConfigs {
		if c.EndpointConfigName == ep.EndpointConfigName {
			st.instanceType = c.ProductionVariants[0].InstanceType
		}
	}
	st.min, st.max, st.registered = w.Autoscaling.Registered(prod, world.Region, "fraud-detector", "AllTraffic")
	var ps []string
	for _, p := range w.Autoscaling.Policies(prod, world.Region, "fraud-detector", "AllTraffic") {
		ps = append(ps, p.PolicyName+" "+p.PolicyType+" "+string(p.TargetTrackingScalingPolicyConfiguration))
	}
	st.policies = strings.Join(ps, "; ")
	env, _ := w.Config.Environment("prod")
	objs, _ := w.AWS.S3().Objects(env.ArtifactBucket)
	for _, o := range objs {
		if strings.HasPrefix(o.Key, plan.ScalingJournalPrefix) {
			st.journal++
			if o.Key != plan.ScalingJournalKey("fraud-detector", "AllTraffic") || o.ServerSideEncryption != "aws:kms" || o.KMSKeyID != env.KMSKeyARN {
				t.Errorf("journal %s encrypted %s %s, want fraud-detector's journal under prod's key %s", o.Key, o.ServerSideEncryption, o.KMSKeyID, env.KMSKeyARN)
			}
		}
	}
	return st
}

// registerByHand registers prod's fraud-detector for autoscaling outside
// modelpromote, as an operator would with the AWS SDK or CLI.
func registerByHand(t *testing.T, w *world.World) {
	t.Helper()
	c := applicationautoscaling.NewFromConfig(w.AdminAWS(prod))
	id := aws.String("endpoint/fraud-detector/variant/AllTraffic")
	if _, err := c.RegisterScalableTarget(t.Context(), &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: id, ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount, MinCapacity: aws.Int32(3), MaxCapacity: aws.Int32(9)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutScalingPolicy(t.Context(), &applicationautoscaling.PutScalingPolicyInput{PolicyName: aws.String("ops-invocations"),
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling, ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: id,
		ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(450),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance}}}); err != nil {
		t.Fatal(err)
	}
}

// An instance-type change on a variant registered outside modelpromote
// (the manifest has no autoscaling): deregistered for the update, then put
// back as it was on the new fleet; when the rollout fails, put back on the
// old fleet.
func TestInstanceTypeChangeRestoresARegistrationMadeOutsideModelpromote(t *testing.T) {
	w := newWorld(t, world.Options{})
	registerByHand(t, w)
	before := prodScalingState(t, w)
	if !before.registered || before.min != 3 || !strings.Contains(before.policies, "ops-invocations") {
		t.Fatalf("registered by hand: %+v", before)
	}
	bigger := strings.Replace(prodFleet, "ml.m5.xlarge", "ml.m5.2xlarge", 1)
	n := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: prodFleet, to: bigger, approvers: []string{world.Gina, world.Bob}})

	w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", sagemaker.FaultRollback, "alarm fraud-detector-5xx fired")
	if res := runApply(t, applyEnv(w), n); !res.Failed() {
		t.Fatalf("the rollout did not fail: %+v", res.Outcomes)
	}
	if got := prodScalingState(t, w); got != before {
		t.Errorf("after the failed rollout %+v, want the old fleet as it was %+v", got, before)
	}

	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	want := before
	want.instanceType = "ml.m5.2xlarge"
	if got := prodScalingState(t, w); got != want {
		t.Errorf("after the type change %+v, want %+v", got, want)
	}
	if rec := record(t, w, res.Outcomes[0].RecordURI); !strings.Contains(rec.Endpoint.Capacity, "made outside modelpromote was put back on the new fleet") {
		t.Errorf("record capacity %q", rec.Endpoint.Capacity)
	}
}

// The crash matrix of the deploy step's scaling boundaries: an instance-
// type change on a registered variant, stopped after the registration was
// taken down, or after the rollout before the scaling is settled, or with
// the update failing after the registration was taken down; the rerun must
// converge on the uninterrupted run's state, with nothing lost: the
// manifest's registration, or one made outside modelpromote.
func TestCrashAtScalingBoundariesThenRerunConverges(t *testing.T) {
	bigger := func(s string) string { return strings.Replace(s, "ml.m5.xlarge", "ml.m5.2xlarge", 1) }
	type crash struct {
		name    string
		byHand  bool               // registered outside modelpromote instead of by the manifest
		at      endpoints.Boundary // crash here, or
		fault   *awsemu.Fault      // break the step with this
		failing sagemaker.Fault    // and make the rerun's rollout fail first
	}
	// setup registers the variant and merges the type change.
	setup := func(t *testing.T, byHand bool) (*world.World, int) {
		w := newWorld(t, world.Options{})
		from := prodScaled
		if byHand {
			registerByHand(t, w)
			from = prodFleet
		} else {
			pr := mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: prodFleet, to: prodScaled, approvers: []string{world.Gina, world.Bob}})
			if res := runApply(t, applyEnv(w), pr); res.Failed() {
				t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
			}
		}
		return w, mergedPR(t, w, change{file: "promotions/fraud-detector.yaml", from: from, to: bigger(from), approvers: []string{world.Gina, world.Bob}})
	}
	reference := map[bool]scalingState{}
	for _, byHand := range []bool{false, true} {
		w, n := setup(t, byHand)
		before := prodScalingState(t, w)
		if res := runApply(t, applyEnv(w), n); res.Failed() {
			t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
		}
		reference[byHand] = prodScalingState(t, w)
		want := before
		want.instanceType = "ml.m5.2xlarge"
		if reference[byHand] != want {
			t.Fatalf("uninterrupted run (by hand %v) left %+v, want %+v", byHand, reference[byHand], want)
		}
	}
	for _, c := range []crash{
		{name: "after the registration was taken down", at: endpoints.BoundaryScalingSuspended},
		{name: "after the rollout, before registering", at: endpoints.BoundaryRolledOut},
		{name: "registration taken down, then the update is denied", fault: &awsemu.Fault{Service: "sagemaker", Operation: "UpdateEndpoint", AccessDenied: true}},
		{name: "registration taken down; the rerun's rollout fails, a third run succeeds", at: endpoints.BoundaryScalingSuspended, failing: sagemaker.FaultRollback},
		{name: "by hand: after the registration was taken down", byHand: true, at: endpoints.BoundaryScalingSuspended},
		{name: "by hand: after the rollout, before putting it back", byHand: true, at: endpoints.BoundaryRolledOut},
		{name: "by hand: taken down; the rerun's rollout fails, a third run succeeds", byHand: true, at: endpoints.BoundaryScalingSuspended, failing: sagemaker.FaultRollback},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w, n := setup(t, c.byHand)
			before := prodScalingState(t, w)
			e := applyEnv(w)
			var remove func()
			if c.fault != nil {
				remove = w.AWS.InjectFault(*c.fault)
			} else {
				e.Interrupt = func(_, _ string, step plan.ActionKind) error {
					if step == apply.DeployBoundary(c.at) {
						return errors.New("simulated crash")
					}
					return nil
				}
			}
			if first := runApply(t, e, n); !first.Failed() {
				t.Fatalf("the crash did not stop the run: %+v", first.Outcomes)
			}
			if remove != nil {
				remove()
			}
			if c.at == endpoints.BoundaryScalingSuspended {
				if got := prodScalingState(t, w); got.registered || got.journal == 0 {
					t.Errorf("crashed with the registration taken down: %+v, want it gone and kept in the journal", got)
				}
			}
			if c.failing != 0 {
				w.SageMaker.InjectRolloutFault(prod, world.Region, "fraud-detector", c.failing, "")
				if res := runApply(t, applyEnv(w), n); !res.Failed() {
					t.Fatalf("the failing rerun succeeded: %+v", res.Outcomes)
				}
				if got := prodScalingState(t, w); got != before {
					t.Errorf("after the failed rerun %+v, want the old fleet with its scaling back %+v", got, before)
				}
			}
			if res := runApply(t, applyEnv(w), n); res.Failed() {
				t.Fatalf("rerun failed: %v %+v", res.Refused, res.Outcomes)
			}
			if got := prodScalingState(t, w); got != reference[c.byHand] {
				t.Errorf("after crash and rerun %+v, want %+v", got, reference[c.byHand])
			}
		})
	}
}
