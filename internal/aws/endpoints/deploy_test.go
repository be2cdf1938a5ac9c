package endpoints_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

func TestFirstDeployCreatesEndpoint(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	var seen []string
	e.d.Progress = func(s endpoints.Status) { seen = append(seen, s.EndpointStatus) }
	r := e.request(1, "aaaaaaa", manifest.Rollout{})
	out := e.deploy(t, r)

	want := endpoints.Outcome{Created: true, NewConfig: "churn-v1-aaaaaaa", Model: "churn-v1-aaaaaaa", Status: "InService"}
	if out != want {
		t.Errorf("outcome = %+v, want %+v", out, want)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig || ep.EndpointStatus != "InService" {
		t.Errorf("endpoint is %s on %s", ep.EndpointStatus, ep.EndpointConfigName)
	}
	snap := e.sm.Snapshot(account, region)
	if len(snap.Models) != 1 || len(snap.EndpointConfigs) != 1 {
		t.Fatalf("%d models, %d configs; want one of each", len(snap.Models), len(snap.EndpointConfigs))
	}
	m := snap.Models[0]
	if m.ModelName != out.Model || m.ExecutionRoleArn != role || m.PrimaryContainer == nil || m.PrimaryContainer.ModelPackageName != e.pkgs[1] {
		t.Errorf("model = %+v", m)
	}
	v := snap.EndpointConfigs[0].ProductionVariants
	if len(v) != 1 || v[0].VariantName != "AllTraffic" || v[0].ModelName != out.Model || v[0].InstanceType != "ml.m5.large" || aws.ToInt32(v[0].InitialInstanceCount) != 2 {
		t.Errorf("production variants = %+v", v)
	}
	for _, arn := range []string{m.ModelArn, snap.EndpointConfigs[0].EndpointConfigArn} {
		tags := map[string]string{}
		for _, tag := range e.sm.Tags(account, region, arn) {
			tags[tag.Key] = tag.Value
		}
		if tags[endpoints.TagEndpoint] != endpoint || tags[endpoints.TagDeployID] != r.DeployID || tags["modelpromote:source-arn"] == "" {
			t.Errorf("tags of %s = %v", arn, tags)
		}
	}
	// The endpoint is seen absent first and InService last; Creating in
	// between unless a loaded machine's poll missed its 5 ms.
	if len(seen) < 2 || seen[0] != "" || seen[len(seen)-1] != "InService" ||
		!slices.Equal(seen, []string{"", "Creating", "InService"}) && !slices.Equal(seen, []string{"", "InService"}) {
		t.Errorf("progress = %q", seen)
	}
}

func TestUpdateAllAtOnceKeepsOldModelAndConfig(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	out := e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{TerminationWaitSeconds: 120, Alarms: []string{alarm}}))

	if out.Created || out.PreviousConfig != old || out.NewConfig != "churn-v2-bbbbbbb" || out.Status != "InService" || out.RolledBack {
		t.Errorf("outcome = %+v", out)
	}
	ep := e.endpoint(t)
	if ep.EndpointConfigName != out.NewConfig {
		t.Errorf("serving %s", ep.EndpointConfigName)
	}
	dc := ep.LastDeploymentConfig
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type != "ALL_AT_ONCE" ||
		aws.ToInt32(dc.BlueGreenUpdatePolicy.TerminationWaitInSeconds) != 120 || dc.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds != nil {
		t.Fatalf("deployment config = %+v", dc)
	}
	if a := dc.AutoRollbackConfiguration; a == nil || len(a.Alarms) != 1 || a.Alarms[0].AlarmName != alarm {
		t.Errorf("auto-rollback = %+v", a)
	}
	models, configs := e.names()
	assertContains(t, models, old, out.Model)
	assertContains(t, configs, old, out.NewConfig)
}

func TestRolloutStrategiesBecomeDeploymentConfigs(t *testing.T) {
	for _, tt := range []struct {
		name    string
		rollout manifest.Rollout
		want    smemu.TrafficRoutingConfig
	}{
		{"canary percent", manifest.Rollout{Strategy: "canary", CanaryPercent: 25, WaitSeconds: 600},
			smemu.TrafficRoutingConfig{Type: "CANARY", WaitIntervalInSeconds: aws.Int32(600), CanarySize: &smemu.CapacitySize{Type: "CAPACITY_PERCENT", Value: aws.Int32(25)}}},
		{"canary instances", manifest.Rollout{Strategy: "canary", CanaryInstances: 1, WaitSeconds: 60},
			smemu.TrafficRoutingConfig{Type: "CANARY", WaitIntervalInSeconds: aws.Int32(60), CanarySize: &smemu.CapacitySize{Type: "INSTANCE_COUNT", Value: aws.Int32(1)}}},
		{"linear percent", manifest.Rollout{Strategy: "linear", LinearStepPercent: 20, WaitSeconds: 300},
			smemu.TrafficRoutingConfig{Type: "LINEAR", WaitIntervalInSeconds: aws.Int32(300), LinearStepSize: &smemu.CapacitySize{Type: "CAPACITY_PERCENT", Value: aws.Int32(20)}}},
		{"linear instances", manifest.Rollout{Strategy: "linear", LinearStepInstances: 1},
			smemu.TrafficRoutingConfig{Type: "LINEAR", WaitIntervalInSeconds: aws.Int32(0), LinearStepSize: &smemu.CapacitySize{Type: "INSTANCE_COUNT", Value: aws.Int32(1)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2*time.Millisecond)
			e.live(t)
			r := tt.rollout
			r.TerminationWaitSeconds, r.MaxExecutionTimeoutSeconds, r.Alarms = 300, 3600, []string{alarm}
			out := e.deploy(t, e.request(2, "bbbbbbb", r))

			ep := e.endpoint(t)
			if ep.EndpointConfigName != out.NewConfig {
				t.Fatalf("serving %s", ep.EndpointConfigName)
			}
			bg := ep.LastDeploymentConfig.BlueGreenUpdatePolicy
			if got, want := routing(*bg.TrafficRoutingConfiguration), routing(tt.want); got != want {
				t.Errorf("routing = %s, want %s", got, want)
			}
			if aws.ToInt32(bg.TerminationWaitInSeconds) != 300 || aws.ToInt32(bg.MaximumExecutionTimeoutInSeconds) != 3600 {
				t.Errorf("termination wait %d, max execution %d", aws.ToInt32(bg.TerminationWaitInSeconds), aws.ToInt32(bg.MaximumExecutionTimeoutInSeconds))
			}
			if a := ep.LastDeploymentConfig.AutoRollbackConfiguration; a == nil || len(a.Alarms) != 1 || a.Alarms[0].AlarmName != alarm {
				t.Errorf("auto-rollback = %+v", a)
			}
		})
	}
}

func routing(r smemu.TrafficRoutingConfig) string {
	size := func(c *smemu.CapacitySize) string {
		if c == nil {
			return "-"
		}
		return fmt.Sprintf("%s:%d", c.Type, aws.ToInt32(c.Value))
	}
	return fmt.Sprintf("%s wait=%d canary=%s linear=%s", r.Type, aws.ToInt32(r.WaitIntervalInSeconds), size(r.CanarySize), size(r.LinearStepSize))
}

func TestFailedRolloutRollsBackAndWaiterWouldHaveSaidSuccess(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultRollback, "")

	out, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}}))
	if !errors.Is(err, endpoints.ErrRolledBack) || !out.RolledBack {
		t.Fatalf("err = %v, outcome %+v; want a rollback", err, out)
	}
	if !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), "health check") {
		t.Errorf("error %q should name the config serving and the failure reason", err)
	}
	if out.Status != "InService" || out.FailureReason == "" || out.PreviousConfig != old {
		t.Errorf("outcome = %+v", out)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != old || ep.EndpointStatus != "InService" {
		t.Errorf("endpoint is %s on %s; want InService on %s", ep.EndpointStatus, ep.EndpointConfigName, old)
	}
	models, configs := e.names()
	assertContains(t, models, old, out.Model)
	assertContains(t, configs, old, out.NewConfig)

	// The SDK's waiter calls the same endpoint a success.
	w := sagemaker.NewEndpointInServiceWaiter(e.admin, func(o *sagemaker.EndpointInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	if err := w.Wait(ctx(t), &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)}, 5*time.Second); err != nil {
		t.Errorf("the waiter was expected to report success on the rolled-back endpoint: %v", err)
	}
}

func TestAlarmDuringCanaryRollsBack(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	e.sm.TripAlarmDuringNextRollout(account, region, endpoint, alarm)

	out, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{Strategy: "canary", CanaryPercent: 10, WaitSeconds: 600, Alarms: []string{alarm}}))
	if !errors.Is(err, endpoints.ErrRolledBack) || !out.RolledBack || !strings.Contains(out.FailureReason, alarm) {
		t.Fatalf("err = %v, outcome %+v; want a rollback for %s", err, out, alarm)
	}
	ep := e.endpoint(t)
	if ep.EndpointConfigName != old {
		t.Errorf("serving %s, want %s", ep.EndpointConfigName, old)
	}
	assertContains(t, statuses(ep), "RollingBack@"+old)
}

func TestMissingAlarmIsRefusedBeforeAnythingChanges(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	before := e.mutations()

	_, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm, "churn-latency"}}))
	if !errors.Is(err, endpoints.ErrAlarms) || !strings.Contains(err.Error(), "churn-latency") || strings.Contains(err.Error(), alarm+",") {
		t.Fatalf("err = %v; want one naming churn-latency only", err)
	}
	if n := e.srv.Count("sagemaker", "UpdateEndpoint"); n != 0 {
		t.Errorf("%d UpdateEndpoint calls", n)
	}
	if n := e.mutations(); n != before {
		t.Errorf("%d calls changed state", n-before)
	}
}

func TestFiringAlarmIsRefusedBeforeUpdate(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	if err := e.cw.SetAlarmState(account, region, alarm, "ALARM", "test"); err != nil {
		t.Fatal(err)
	}
	_, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}}))
	if !errors.Is(err, endpoints.ErrAlarms) || !strings.Contains(err.Error(), "already in ALARM") {
		t.Fatalf("err = %v", err)
	}
	if n := e.srv.Count("sagemaker", "UpdateEndpoint"); n != 0 {
		t.Errorf("%d UpdateEndpoint calls", n)
	}
}

// busyEndpoint leaves the endpoint Updating towards another config of
// ours, for good, until release is called: it then ends InService on the
// config it was on. It returns that config.
func busyEndpoint(t *testing.T, e *env) (serving string, release func()) {
	t.Helper()
	e.live(t)
	other := e.deploy(t, e.request(1, "ccccccc", manifest.Rollout{})).NewConfig
	serving = e.deploy(t, e.request(1, "ddddddd", manifest.Rollout{})).NewConfig
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultStuck, "")
	if _, err := e.admin.UpdateEndpoint(ctx(t), &sagemaker.UpdateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	return serving, func() {
		if err := e.sm.SetEndpointStatus(account, region, endpoint, "InService", ""); err != nil {
			t.Error(err)
		}
	}
}

// Deploy finds the endpoint updating, waits, then updates it. From the
// busy endpoint on, the emulator's transitions wait for the test: the
// other update ends when Deploy has seen it, and each phase of Deploy's
// own update once Deploy has seen the one before, so every status is seen
// however slowly Deploy polls.
func TestUpdatingEndpointIsWaitedForThenUpdated(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	serving, release := busyEndpoint(t, e)
	e.sm.SetManual(true)
	var seen []string
	released := false
	e.d.Progress = func(s endpoints.Status) {
		// One entry per status and config: an update's stages (s.Stage)
		// change within one.
		if st := s.EndpointStatus + "@" + s.Config; len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		switch {
		case !released:
			released = true
			release()
		case s.EndpointStatus == "Updating":
			e.sm.Advance()
		}
	}

	out := e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{}))
	if out.PreviousConfig != serving {
		t.Errorf("previous config = %s, want %s", out.PreviousConfig, serving)
	}
	want := []string{"Updating@" + serving, "InService@" + serving, "Updating@" + serving, "InService@" + out.NewConfig}
	if !slices.Equal(seen, want) {
		t.Errorf("Deploy saw %v, want %v: wait for the other update, then update", seen, want)
	}
	for _, r := range e.srv.Requests() {
		if r.Operation == "UpdateEndpoint" && r.Status != 200 {
			t.Errorf("UpdateEndpoint answered %d: Deploy did not wait", r.Status)
		}
	}
}

func TestUpdateRefusedAsInProgressIsRetried(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	other := e.deploy(t, e.request(1, "ccccccc", manifest.Rollout{})).NewConfig
	serving := e.deploy(t, e.request(1, "ddddddd", manifest.Rollout{})).NewConfig
	// Right after Deploy finds the endpoint InService, someone else starts
	// an update, so Deploy's UpdateEndpoint is refused; once Deploy sees
	// it, that update is let go.
	phase := 0
	e.d.Progress = func(s endpoints.Status) {
		switch {
		case phase == 0 && s.EndpointStatus == "InService":
			phase++
			e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultStuck, "")
			if _, err := e.admin.UpdateEndpoint(ctx(t), &sagemaker.UpdateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String(other)}); err != nil {
				t.Error(err)
			}
		case phase == 1 && s.EndpointStatus == "Updating" && s.Pending == other:
			phase++
			if err := e.sm.SetEndpointStatus(account, region, endpoint, "InService", ""); err != nil {
				t.Error(err)
			}
		}
	}
	out := e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{}))

	refused := 0
	for _, r := range e.srv.Requests() {
		if r.Operation == "UpdateEndpoint" && r.Status == 400 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d UpdateEndpoint calls refused, want 1", refused)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig || out.PreviousConfig != serving {
		t.Errorf("serving %s, previous %s; want %s after %s", ep.EndpointConfigName, out.PreviousConfig, out.NewConfig, serving)
	}
}

func TestRerunWhileOurUpdateRunsWaitsForIt(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	// The first run dies as soon as its update is under way.
	c, cancel := context.WithCancel(ctx(t))
	e.d.Progress = func(s endpoints.Status) {
		if s.EndpointStatus == "Updating" {
			cancel()
		}
	}
	if _, err := e.d.Deploy(c, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: err = %v", err)
	}
	e.d.Progress = nil

	out := e.deploy(t, r)
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig || out.Status != "InService" {
		t.Errorf("serving %s, outcome %+v", ep.EndpointConfigName, out)
	}
	if n := e.srv.Count("sagemaker", "UpdateEndpoint"); n != 1 {
		t.Errorf("%d UpdateEndpoint calls, want 1", n)
	}
}

func TestFailedEndpointStopsWithClearError(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	if err := e.sm.SetEndpointStatus(account, region, endpoint, "Failed", "CapacityError: no ml.m5.large capacity"); err != nil {
		t.Fatal(err)
	}
	before := e.mutations()
	out, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{}))
	if !errors.Is(err, endpoints.ErrFailed) || !strings.Contains(err.Error(), "is Failed (CapacityError") || !strings.Contains(err.Error(), "RecreateFailed") {
		t.Fatalf("err = %v", err)
	}
	if out.Status != "Failed" {
		t.Errorf("outcome = %+v", out)
	}
	if n := e.mutations(); n != before {
		t.Errorf("%d calls changed state", n-before)
	}
}

func TestFailedEndpointIsRecreatedWhenConfigured(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	if err := e.sm.SetEndpointStatus(account, region, endpoint, "Failed", "CapacityError"); err != nil {
		t.Fatal(err)
	}
	e.d.RecreateFailed = true
	out := e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}}))
	if !out.Created || out.PreviousConfig != old || out.Status != "InService" {
		t.Errorf("outcome = %+v", out)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig {
		t.Errorf("serving %s", ep.EndpointConfigName)
	}
	if n := e.srv.Count("sagemaker", "DeleteEndpoint"); n != 1 {
		t.Errorf("%d DeleteEndpoint calls", n)
	}
	models, configs := e.names()
	assertContains(t, models, old)
	assertContains(t, configs, old)
}

func TestStuckUpdateTimesOutAndDeletesNothing(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultStuck, "")
	e.d.Timeout = 150 * time.Millisecond
	before := e.srv.Count("sagemaker", "DeleteEndpoint") + e.srv.Count("sagemaker", "DeleteEndpointConfig") + e.srv.Count("sagemaker", "DeleteModel")

	start := time.Now()
	out, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{}))
	if !errors.Is(err, endpoints.ErrTimeout) || !strings.Contains(err.Error(), "still Updating") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s with a 150ms timeout", d)
	}
	if out.Status != "Updating" || out.RolledBack {
		t.Errorf("outcome = %+v", out)
	}
	after := e.srv.Count("sagemaker", "DeleteEndpoint") + e.srv.Count("sagemaker", "DeleteEndpointConfig") + e.srv.Count("sagemaker", "DeleteModel")
	if after != before {
		t.Errorf("%d delete calls", after-before)
	}
	models, configs := e.names()
	assertContains(t, models, old, out.Model)
	assertContains(t, configs, old, out.NewConfig)
}

func TestUpdateRollbackFailedIsTerminal(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultRollbackFailed, "")
	out, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{}))
	if !errors.Is(err, endpoints.ErrFailed) || out.Status != "UpdateRollbackFailed" || out.RolledBack {
		t.Fatalf("err = %v, outcome %+v", err, out)
	}
	// A rerun stops at once rather than updating a mixed fleet.
	if _, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{})); !errors.Is(err, endpoints.ErrFailed) || !strings.Contains(err.Error(), "UpdateRollbackFailed") {
		t.Errorf("rerun: err = %v", err)
	}
}

func TestFailedCreateIsAFailure(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultFailed, "")
	out, err := e.d.Deploy(ctx(t), e.request(1, "aaaaaaa", manifest.Rollout{}))
	if !errors.Is(err, endpoints.ErrFailed) || out.Status != "Failed" || !out.Created {
		t.Fatalf("err = %v, outcome %+v", err, out)
	}
}

func TestRerunAfterSuccessChangesNothing(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	r := e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}})
	first := e.deploy(t, r)
	before, updates := e.mutations(), len(e.endpoint(t).History)

	again := e.deploy(t, r)
	if again.NewConfig != first.NewConfig || again.Status != "InService" || again.Created {
		t.Errorf("rerun outcome = %+v", again)
	}
	if n := e.mutations(); n != before {
		t.Errorf("the rerun made %d calls that change state", n-before)
	}
	if n := len(e.endpoint(t).History); n != updates {
		t.Errorf("the endpoint changed status %d more times", n-updates)
	}
}

func TestRerunAfterCrashBeforeUpdateConverges(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	r := e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}})
	// The first run dies after creating the model and config: its
	// UpdateEndpoint never lands.
	remove := e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "UpdateEndpoint", AccessDenied: true})
	if _, err := e.d.Deploy(ctx(t), r); err == nil {
		t.Fatal("first run succeeded despite UpdateEndpoint being denied")
	}
	remove()

	out := e.deploy(t, r)
	if out.PreviousConfig != old {
		t.Errorf("outcome = %+v", out)
	}
	models, configs := e.names()
	if !slices.Equal(configs, []string{old, out.NewConfig}) || !slices.Equal(models, []string{old, out.Model}) {
		t.Errorf("configs %v, models %v; want exactly one new of each", configs, models)
	}
	if n := e.srv.Count("sagemaker", "CreateEndpointConfig"); n != 2 {
		t.Errorf("%d CreateEndpointConfig calls, want 2 (first deploy and this one)", n)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig {
		t.Errorf("serving %s", ep.EndpointConfigName)
	}
}

func TestReusedDeployIDForAnotherPackageIsRefused(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	if _, err := e.admin.CreateModel(ctx(t), &sagemaker.CreateModelInput{ModelName: aws.String(endpoints.ResourceName(endpoint, r.DeployID)),
		ExecutionRoleArn: aws.String(role), PrimaryContainer: &types.ContainerDefinition{ModelPackageName: aws.String(e.pkgs[1])}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.d.Deploy(ctx(t), r)
	if err == nil || !strings.Contains(err.Error(), "must not be reused") {
		t.Fatalf("err = %v", err)
	}
	if n := e.srv.Count("sagemaker", "UpdateEndpoint"); n != 0 {
		t.Errorf("%d UpdateEndpoint calls", n)
	}
}

func TestThrottlingBurstOnDescribeEndpointIsSurvived(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	// More throttles in a row than the SDK's three attempts absorb.
	e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeEndpoint", Throttle: 12})
	out := e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{}))
	if ep := e.endpoint(t); ep.EndpointConfigName != out.NewConfig {
		t.Errorf("serving %s", ep.EndpointConfigName)
	}
	throttled := 0
	for _, r := range e.srv.Requests() {
		if r.Operation == "DescribeEndpoint" && r.Fault == "throttle" {
			throttled++
		}
	}
	if throttled != 12 {
		t.Errorf("%d throttled DescribeEndpoint calls, want 12", throttled)
	}
}

func TestPollingBacksOff(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultStuck, "")
	e.d.Timeout = 400 * time.Millisecond
	e.srv.ResetRequests()
	if _, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{})); !errors.Is(err, endpoints.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	// Polling every 2ms would take 200 calls; doubling up to 32ms, ~15.
	if n := e.srv.Count("sagemaker", "DescribeEndpoint"); n > 30 {
		t.Errorf("%d DescribeEndpoint calls in 400ms", n)
	}
}

func TestRequestIsValidated(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	r := e.request(1, "aaaaaaa", manifest.Rollout{})
	r.DeployID, r.Endpoint.InstanceCount = "", 0
	_, err := e.d.Deploy(ctx(t), r)
	if err == nil || !strings.Contains(err.Error(), "deploy ID, instance count") {
		t.Fatalf("err = %v", err)
	}
	if n := e.mutations(); n != 1+2 { // the harness's group and packages
		t.Errorf("%d calls changed state", n)
	}
}

func TestRolloutWithoutAlarmsSendsNoAutoRollback(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{Strategy: "canary", CanaryInstances: 1}))
	dc := e.endpoint(t).LastDeploymentConfig
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.AutoRollbackConfiguration != nil {
		t.Errorf("deployment config = %+v; want blue/green without an AutoRollbackConfiguration", dc)
	}
}

func TestPollingSpendsNoRetryTokens(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	bucket := ratelimit.NewTokenRateLimit(500)
	e.d.SM = sagemaker.NewFromConfig(e.cfg, func(o *sagemaker.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = bucket }), 5*time.Millisecond)
	})
	e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeEndpoint", Throttle: 15})
	e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{}))
	if n := bucket.Remaining(); n != 500 {
		t.Errorf("%d retry tokens left of 500: polls retried through the SDK", n)
	}
}
