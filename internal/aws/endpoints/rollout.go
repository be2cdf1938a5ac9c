package endpoints

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ErrAlarms is wrapped by errors about a rollout's rollback alarms: missing
// from CloudWatch, or already firing.
var ErrAlarms = errors.New("rollback alarms not usable")

// DeploymentConfig is the blue/green UpdateEndpoint configuration a rollout
// asks for. Alarms, when named, become its AutoRollbackConfiguration; with
// none, there is no AutoRollbackConfiguration at all (SageMaker refuses an
// empty one, and one naming nothing protects nothing).
func DeploymentConfig(r manifest.Rollout) (*types.DeploymentConfig, error) {
	routing := &types.TrafficRoutingConfig{
		Type:                  types.TrafficRoutingConfigTypeAllAtOnce,
		WaitIntervalInSeconds: aws.Int32(int32(r.WaitSeconds)),
	}
	switch s := r.StrategyName(); s {
	case manifest.StrategyAllAtOnce:
	case manifest.StrategyCanary:
		size, err := capacity(r.CanaryPercent, r.CanaryInstances, "canary")
		if err != nil {
			return nil, err
		}
		routing.Type, routing.CanarySize = types.TrafficRoutingConfigTypeCanary, size
	case manifest.StrategyLinear:
		size, err := capacity(r.LinearStepPercent, r.LinearStepInstances, "linear step")
		if err != nil {
			return nil, err
		}
		routing.Type, routing.LinearStepSize = types.TrafficRoutingConfigTypeLinear, size
	default:
		return nil, fmt.Errorf("unknown rollout strategy %q", s)
	}
	bg := &types.BlueGreenUpdatePolicy{
		TrafficRoutingConfiguration: routing,
		TerminationWaitInSeconds:    aws.Int32(int32(r.TerminationWaitSeconds)),
	}
	if r.MaxExecutionTimeoutSeconds > 0 {
		bg.MaximumExecutionTimeoutInSeconds = aws.Int32(int32(r.MaxExecutionTimeoutSeconds))
	}
	dc := &types.DeploymentConfig{BlueGreenUpdatePolicy: bg}
	if len(r.Alarms) > 0 {
		alarms := make([]types.Alarm, len(r.Alarms))
		for i, name := range r.Alarms {
			alarms[i] = types.Alarm{AlarmName: aws.String(name)}
		}
		dc.AutoRollbackConfiguration = &types.AutoRollbackConfig{Alarms: alarms}
	}
	return dc, nil
}

// capacity sizes a canary or a linear step: a percentage of the fleet, or
// a number of instances.
func capacity(percent, instances int, what string) (*types.CapacitySize, error) {
	switch {
	case percent > 0:
		return &types.CapacitySize{Type: types.CapacitySizeTypeCapacityPercent, Value: aws.Int32(int32(percent))}, nil
	case instances > 0:
		return &types.CapacitySize{Type: types.CapacitySizeTypeInstanceCount, Value: aws.Int32(int32(instances))}, nil
	}
	return nil, fmt.Errorf("rollout has no %s size (percent or instances)", what)
}

// timeout is how long a deployment under r may take by default: the
// rollout's own bound plus the old fleet's termination wait and a margin,
// or an hour.
func timeout(r manifest.Rollout) time.Duration {
	if r.MaxExecutionTimeoutSeconds <= 0 {
		return time.Hour
	}
	return time.Duration(r.MaxExecutionTimeoutSeconds+r.TerminationWaitSeconds)*time.Second + 15*time.Minute
}

// checkAlarms makes sure every rollback alarm exists in CloudWatch and none
// is already in ALARM (the update would roll back as soon as it starts).
// SageMaker would refuse missing alarms too, but only after the model and
// config were created and without saying which; asking first names them.
func (d *Deployer) checkAlarms(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if d.CW == nil {
		return fmt.Errorf("%w: the rollout names alarms %s but there is no CloudWatch client to check them", ErrAlarms, strings.Join(names, ", "))
	}
	state := map[string]cwtypes.StateValue{}
	p := cloudwatch.NewDescribeAlarmsPaginator(d.CW, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: names,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe rollback alarms %s: %w", strings.Join(names, ", "), err)
		}
		for _, a := range out.MetricAlarms {
			state[aws.ToString(a.AlarmName)] = a.StateValue
		}
		for _, a := range out.CompositeAlarms {
			state[aws.ToString(a.AlarmName)] = a.StateValue
		}
	}
	var missing, firing []string
	for _, n := range names {
		s, ok := state[n]
		switch {
		case !ok:
			missing = append(missing, n)
		case s == cwtypes.StateValueAlarm:
			firing = append(firing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not found in CloudWatch; create them or remove them from the rollout", ErrAlarms, strings.Join(missing, ", "))
	}
	if len(firing) > 0 {
		return fmt.Errorf("%w: %s already in ALARM; the update would roll back at once", ErrAlarms, strings.Join(firing, ", "))
	}
	return nil
}
