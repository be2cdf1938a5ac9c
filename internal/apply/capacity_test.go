package apply_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

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
	c := sagemaker.NewFromConfig(w.AdminAWS(prod))
	for deadline := time.Now().Add(10 * time.Second); ; {
		ep, err := c.DescribeEndpoint(t.Context(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("fraud-detector")})
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
