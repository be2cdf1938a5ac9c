package sagemaker_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

const role = "arn:aws:iam::222222222222:role/SageMakerExecution"

// deployable creates a model and an endpoint config named name in prod.
func deployable(t *testing.T, e *env, name string) {
	t.Helper()
	c := ctx(t)
	if _, err := e.prod.CreateModel(c, &sm.CreateModelInput{
		ModelName:        aws.String(name),
		ExecutionRoleArn: aws.String(role),
		PrimaryContainer: &types.ContainerDefinition{Image: aws.String("222222222222.dkr.ecr.eu-west-1.amazonaws.com/churn:" + name), ModelDataUrl: aws.String("s3://prod-models/" + name + "/model.tar.gz")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.CreateEndpointConfig(c, &sm.CreateEndpointConfigInput{
		EndpointConfigName: aws.String(name),
		ProductionVariants: []types.ProductionVariant{{
			VariantName:          aws.String("AllTraffic"),
			ModelName:            aws.String(name),
			InstanceType:         types.ProductionVariantInstanceTypeMlM5Large,
			InitialInstanceCount: aws.Int32(2),
		}},
	}); err != nil {
		t.Fatal(err)
	}
}

// inService creates endpoint "churn" on config "v1" and waits for it.
func inService(t *testing.T, e *env) {
	t.Helper()
	deployable(t, e, "v1")
	if _, err := e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	waitInService(t, e)
}

func waitInService(t *testing.T, e *env) *sm.DescribeEndpointOutput {
	t.Helper()
	settle(t, e)
	w := sm.NewEndpointInServiceWaiter(e.prod, func(o *sm.EndpointInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 10*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("churn")}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func describe(t *testing.T, e *env) *sm.DescribeEndpointOutput {
	t.Helper()
	out, err := e.prod.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("churn")})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func statuses(t *testing.T, e *env) []string {
	t.Helper()
	ep, ok := e.sm.Endpoint(prodAccount, region, "churn")
	if !ok {
		t.Fatal("endpoint churn not found")
	}
	var out []string
	for _, h := range ep.History {
		out = append(out, h.EndpointStatus+"@"+h.EndpointConfigName)
	}
	return out
}

func update(t *testing.T, e *env, config string, dc *types.DeploymentConfig) error {
	t.Helper()
	_, err := e.prod.UpdateEndpoint(ctx(t), &sm.UpdateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String(config), DeploymentConfig: dc})
	return err
}

func canary(alarms ...string) *types.DeploymentConfig {
	dc := &types.DeploymentConfig{BlueGreenUpdatePolicy: &types.BlueGreenUpdatePolicy{
		TrafficRoutingConfiguration: &types.TrafficRoutingConfig{
			Type:                  types.TrafficRoutingConfigTypeCanary,
			WaitIntervalInSeconds: aws.Int32(300),
			CanarySize:            &types.CapacitySize{Type: types.CapacitySizeTypeCapacityPercent, Value: aws.Int32(10)},
		},
		TerminationWaitInSeconds:         aws.Int32(600),
		MaximumExecutionTimeoutInSeconds: aws.Int32(3600),
	}}
	if len(alarms) > 0 {
		dc.AutoRollbackConfiguration = &types.AutoRollbackConfig{}
		for _, a := range alarms {
			dc.AutoRollbackConfiguration.Alarms = append(dc.AutoRollbackConfiguration.Alarms, types.Alarm{AlarmName: aws.String(a)})
		}
	}
	return dc
}

func TestCreateEndpointBecomesInService(t *testing.T) {
	e := newManualEnv(t)
	deployable(t, e, "v1")
	out, err := e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.EndpointArn), "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/churn"; got != want {
		t.Errorf("ARN = %s, want %s", got, want)
	}
	if d := describe(t, e); d.EndpointStatus != types.EndpointStatusCreating {
		t.Errorf("status right after create = %s, want Creating", d.EndpointStatus)
	}
	d := waitInService(t, e)
	if aws.ToString(d.EndpointConfigName) != "v1" || len(d.ProductionVariants) != 1 {
		t.Fatalf("endpoint = %+v", d)
	}
	v := d.ProductionVariants[0]
	if aws.ToString(v.VariantName) != "AllTraffic" || aws.ToInt32(v.CurrentInstanceCount) != 2 || len(v.DeployedImages) != 1 ||
		!strings.Contains(aws.ToString(v.DeployedImages[0].ResolvedImage), "@sha256:") {
		t.Errorf("variant = %+v", v)
	}
	_, err = e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("v1")})
	if msg := apiError(t, err, "ValidationException"); msg != `Cannot create already existing endpoint "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/churn".` {
		t.Errorf("duplicate: %q", msg)
	}
	l, err := e.prod.ListEndpoints(ctx(t), &sm.ListEndpointsInput{StatusEquals: types.EndpointStatusInService})
	if err != nil || len(l.Endpoints) != 1 {
		t.Errorf("ListEndpoints = %+v, %v", l, err)
	}
}

func TestUpdateEndpointSwitchesConfig(t *testing.T) {
	e := newManualEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	dc := canary()
	if err := update(t, e, "v2", dc); err != nil {
		t.Fatal(err)
	}
	d := describe(t, e)
	if d.EndpointStatus != types.EndpointStatusUpdating || aws.ToString(d.EndpointConfigName) != "v1" ||
		d.PendingDeploymentSummary == nil || aws.ToString(d.PendingDeploymentSummary.EndpointConfigName) != "v2" {
		t.Errorf("during update: status %s config %s pending %+v", d.EndpointStatus, aws.ToString(d.EndpointConfigName), d.PendingDeploymentSummary)
	}
	d = waitInService(t, e)
	if aws.ToString(d.EndpointConfigName) != "v2" || d.FailureReason != nil || d.PendingDeploymentSummary != nil {
		t.Errorf("after update: config %s reason %v pending %v", aws.ToString(d.EndpointConfigName), d.FailureReason, d.PendingDeploymentSummary)
	}
	if d.LastDeploymentConfig == nil || d.LastDeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type != types.TrafficRoutingConfigTypeCanary {
		t.Errorf("LastDeploymentConfig = %+v", d.LastDeploymentConfig)
	}
	want := []string{"Creating@v1", "InService@v1", "Updating@v1", "InService@v2"}
	if got := statuses(t, e); !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
}

// A rolled-back update ends InService on the old config: the SDK's waiter
// reports success, and only the config name and FailureReason tell.
func TestFailedRolloutRollsBackAndFoolsTheWaiter(t *testing.T) {
	e := newEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	e.sm.InjectRolloutFault(prodAccount, region, "churn", sagemaker.FaultRollback, "")
	if err := update(t, e, "v2", canary()); err != nil {
		t.Fatal(err)
	}
	d := waitInService(t, e) // no error: the trap
	eventually(t, "rollback finished", func() bool {
		d = describe(t, e)
		return d.EndpointStatus == types.EndpointStatusInService
	})
	if aws.ToString(d.EndpointConfigName) != "v1" {
		t.Errorf("config after rollback = %s, want the old v1", aws.ToString(d.EndpointConfigName))
	}
	if !strings.Contains(aws.ToString(d.FailureReason), "did not pass the ping health check") {
		t.Errorf("FailureReason = %q", aws.ToString(d.FailureReason))
	}
	want := []string{"Creating@v1", "InService@v1", "Updating@v1", "RollingBack@v1", "InService@v1"}
	if got := statuses(t, e); !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
}

func TestUpdateInProgressEndpointIsRefused(t *testing.T) {
	e := newManualEnv(t)
	deployable(t, e, "v1")
	deployable(t, e, "v2")
	if _, err := e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	const want = `Cannot update in-progress endpoint "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/churn".`
	if msg := apiError(t, update(t, e, "v2", nil), "ValidationException"); msg != want {
		t.Errorf("while Creating: %q", msg)
	}
	waitInService(t, e)
	e.sm.InjectRolloutFault(prodAccount, region, "churn", sagemaker.FaultStuck, "")
	if err := update(t, e, "v2", nil); err != nil {
		t.Fatal(err)
	}
	if msg := apiError(t, update(t, e, "v2", nil), "ValidationException"); msg != want {
		t.Errorf("while Updating: %q", msg)
	}
	settle(t, e)
	if d := describe(t, e); d.EndpointStatus != types.EndpointStatusUpdating {
		t.Errorf("stuck endpoint is %s", d.EndpointStatus)
	}
	for _, status := range []string{"RollingBack", "SystemUpdating", "Deleting"} {
		if err := e.sm.SetEndpointStatus(prodAccount, region, "churn", status, ""); err != nil {
			t.Fatal(err)
		}
		if msg := apiError(t, update(t, e, "v2", nil), "ValidationException"); msg != want {
			t.Errorf("while %s: %q", status, msg)
		}
	}
}

func TestAutoRollbackAlarmsMustExist(t *testing.T) {
	e := newEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	e.cw.PutAlarm(prodAccount, region, cloudwatch.Alarm{AlarmName: "churn-5xx"})
	e.cw.PutAlarm(devAccount, region, cloudwatch.Alarm{AlarmName: "churn-latency"}) // wrong account
	msg := apiError(t, update(t, e, "v2", canary("churn-5xx", "churn-latency")), "ValidationException")
	if !strings.Contains(msg, "do not exist") || !strings.Contains(msg, "churn-latency") || strings.Contains(msg, "churn-5xx]") {
		t.Errorf("message = %q", msg)
	}
	if d := describe(t, e); d.EndpointStatus != types.EndpointStatusInService || aws.ToString(d.EndpointConfigName) != "v1" {
		t.Errorf("refused update changed the endpoint: %s %s", d.EndpointStatus, aws.ToString(d.EndpointConfigName))
	}
	e.cw.PutAlarm(prodAccount, region, cloudwatch.Alarm{AlarmName: "churn-latency"})
	if err := update(t, e, "v2", canary("churn-5xx", "churn-latency")); err != nil {
		t.Errorf("update with existing alarms: %v", err)
	}
}

func TestAlarmDuringCanaryRollsBack(t *testing.T) {
	tests := []struct {
		name string
		fire func(e *env)
	}{
		{"alarm already in ALARM", func(e *env) {
			if err := e.cw.SetAlarmState(prodAccount, region, "churn-5xx", cloudwatch.StateAlarm, "Threshold Crossed"); err != nil {
				t.Fatal(err)
			}
		}},
		{"alarm trips after the canary shift", func(e *env) {
			e.sm.TripAlarmDuringNextRollout(prodAccount, region, "churn", "churn-5xx")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			inService(t, e)
			deployable(t, e, "v2")
			e.cw.PutAlarm(prodAccount, region, cloudwatch.Alarm{AlarmName: "churn-5xx"})
			tt.fire(e)
			if err := update(t, e, "v2", canary("churn-5xx")); err != nil {
				t.Fatal(err)
			}
			var d *sm.DescribeEndpointOutput
			eventually(t, "rollback", func() bool {
				d = describe(t, e)
				return d.EndpointStatus == types.EndpointStatusInService
			})
			if aws.ToString(d.EndpointConfigName) != "v1" || !strings.Contains(aws.ToString(d.FailureReason), "churn-5xx") {
				t.Errorf("config %s, FailureReason %q", aws.ToString(d.EndpointConfigName), aws.ToString(d.FailureReason))
			}
			if !slices.Contains(statuses(t, e), "RollingBack@v1") {
				t.Errorf("history %v has no RollingBack", statuses(t, e))
			}
			if st, _ := e.cw.AlarmState(prodAccount, region, "churn-5xx"); st != cloudwatch.StateAlarm {
				t.Errorf("alarm state = %s", st)
			}
		})
	}
}

func TestFailedEndpointCanOnlyBeDeleted(t *testing.T) {
	e := newEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	e.sm.InjectRolloutFault(prodAccount, region, "churn", sagemaker.FaultFailed, "Insufficient capacity for ml.m5.large")
	if err := update(t, e, "v2", nil); err != nil {
		t.Fatal(err)
	}
	w := sm.NewEndpointInServiceWaiter(e.prod, func(o *sm.EndpointInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 5*time.Millisecond, 10*time.Millisecond
	})
	if err := w.Wait(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("churn")}, 5*time.Second); err == nil {
		t.Error("waiter succeeded on a Failed endpoint")
	}
	d := describe(t, e)
	if d.EndpointStatus != types.EndpointStatusFailed || aws.ToString(d.FailureReason) != "Insufficient capacity for ml.m5.large" {
		t.Fatalf("endpoint %s %q", d.EndpointStatus, aws.ToString(d.FailureReason))
	}
	if msg := apiError(t, update(t, e, "v1", nil), "ValidationException"); !strings.Contains(msg, "Failed") {
		t.Errorf("update of Failed endpoint: %q", msg)
	}
	if _, err := e.prod.DeleteEndpoint(ctx(t), &sm.DeleteEndpointInput{EndpointName: aws.String("churn")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "endpoint deleted", func() bool {
		_, err := e.prod.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("churn")})
		return err != nil
	})
	_, err := e.prod.DescribeEndpoint(ctx(t), &sm.DescribeEndpointInput{EndpointName: aws.String("churn")})
	if msg := apiError(t, err, "ValidationException"); msg != `Could not find endpoint "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/churn".` {
		t.Errorf("not found: %q", msg)
	}
}

func TestRollbackThatFailsEndsUpdateRollbackFailed(t *testing.T) {
	e := newEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	e.sm.InjectRolloutFault(prodAccount, region, "churn", sagemaker.FaultRollbackFailed, "")
	if err := update(t, e, "v2", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "UpdateRollbackFailed", func() bool { return describe(t, e).EndpointStatus == types.EndpointStatusUpdateRollbackFailed })
	// From UpdateRollbackFailed an update is the way back.
	if err := update(t, e, "v2", nil); err != nil {
		t.Errorf("update from UpdateRollbackFailed: %v", err)
	}
	if d := waitInService(t, e); aws.ToString(d.EndpointConfigName) != "v2" {
		t.Errorf("config = %s", aws.ToString(d.EndpointConfigName))
	}
	if err := e.sm.SetEndpointStatus(prodAccount, region, "churn", "OutOfService", ""); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, e); d.EndpointStatus != types.EndpointStatusOutOfService {
		t.Errorf("forced status = %s", d.EndpointStatus)
	}
}

func TestDeploymentConfigValidation(t *testing.T) {
	e := newEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	tests := []struct {
		name    string
		edit    func(*types.DeploymentConfig)
		wantMsg string
	}{
		{"canary without size", func(dc *types.DeploymentConfig) {
			dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize = nil
		}, "CanarySize must be specified"},
		{"linear without step", func(dc *types.DeploymentConfig) {
			dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type = types.TrafficRoutingConfigTypeLinear
		}, "LinearStepSize must be specified"},
		{"timeout too short", func(dc *types.DeploymentConfig) {
			dc.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds = aws.Int32(60)
		}, "maximumExecutionTimeoutInSeconds"},
		{"empty alarm list", func(dc *types.DeploymentConfig) { dc.AutoRollbackConfiguration = &types.AutoRollbackConfig{} }, "alarms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := canary()
			tt.edit(dc)
			if msg := apiError(t, update(t, e, "v2", dc), "ValidationException"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
	if msg := apiError(t, update(t, e, "v9", nil), "ValidationException"); msg != `Could not find endpoint configuration "arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/v9".` {
		t.Errorf("missing config: %q", msg)
	}
}

// Blue/green needs room for both fleets: with a quota of 3 ml.m5.large, an
// endpoint of 2 can be created but not updated to another 2.
func TestBlueGreenUpdateNeedsDoubleTheInstanceQuota(t *testing.T) {
	cw := cloudwatch.New(cloudwatch.Options{})
	svc := sagemaker.New(sagemaker.Options{Alarms: cw, EndpointInstanceQuota: map[string]int32{"ml.m5.large": 3}})
	e := newEnvWith(t, svc, cw)
	inService(t, e)
	deployable(t, e, "v2")
	err := update(t, e, "v2", nil)
	var limit *types.ResourceLimitExceeded
	if !errorsAs(err, &limit) || !strings.Contains(aws.ToString(limit.Message), "is 3 Instances, with current utilization of 2 Instances and a request delta of 2 Instances") {
		t.Errorf("error = %v", err)
	}
}

func TestCreateEndpointErrors(t *testing.T) {
	e := newEnv(t)
	deployable(t, e, "v1")
	e.sm.InjectRolloutFault(prodAccount, region, "churn", sagemaker.FaultRollback, "")
	if _, err := e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String("churn"), EndpointConfigName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	// A create has nothing to roll back to: it fails.
	eventually(t, "Failed", func() bool { return describe(t, e).EndpointStatus == types.EndpointStatusFailed })

	for _, tt := range []struct{ name, endpoint, config, wantMsg string }{
		{"missing config", "other", "v9", `Could not find endpoint configuration "arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/v9".`},
		{"bad name", "other_one", "v1", "Member must satisfy regular expression pattern"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.prod.CreateEndpoint(ctx(t), &sm.CreateEndpointInput{EndpointName: aws.String(tt.endpoint), EndpointConfigName: aws.String(tt.config)})
			if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

// A blue/green update shows its stage in the pending variants'
// VariantStatus: the new fleet launching, then each traffic shift baking
// (a canary's share first, then all).
func TestCanaryShowsItsTrafficStages(t *testing.T) {
	// Transitions wait for Advance: every stage is seen however slowly
	// this test runs.
	e := newManualEnv(t)
	inService(t, e)
	deployable(t, e, "v2")
	if err := update(t, e, "v2", canary()); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for d := describe(t, e); d.EndpointStatus == types.EndpointStatusUpdating; d = describe(t, e) {
		p := d.PendingDeploymentSummary
		if p == nil || len(p.ProductionVariants) != 1 || len(p.ProductionVariants[0].VariantStatus) != 1 {
			t.Fatalf("updating without a variant status: %+v", p)
		}
		vs := p.ProductionVariants[0].VariantStatus[0]
		seen = append(seen, string(vs.Status)+": "+aws.ToString(vs.StatusMessage))
		if len(seen) > 10 {
			t.Fatalf("still updating after %d phases: %v", len(seen), seen)
		}
		e.sm.Advance()
	}
	want := []string{
		"Creating: Launching the new fleet; no traffic on it yet.",
		"Baking: 10% of traffic on the new fleet (shift 1 of 2); watching the auto-rollback alarms.",
		"Baking: 100% of traffic on the new fleet (shift 2 of 2); watching the auto-rollback alarms.",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("stages, one per phase:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if d := describe(t, e); d.PendingDeploymentSummary != nil || aws.ToString(d.EndpointConfigName) != "v2" {
		t.Errorf("after the update: config %s, pending %+v", aws.ToString(d.EndpointConfigName), d.PendingDeploymentSummary)
	}
}
