package sagemaker

import "fmt"

// DeploymentConfig says how UpdateEndpoint shifts traffic and when it rolls
// back.
type DeploymentConfig struct {
	BlueGreenUpdatePolicy     *BlueGreenUpdatePolicy `json:",omitempty"`
	AutoRollbackConfiguration *AutoRollbackConfig    `json:",omitempty"`
	RollingUpdatePolicy       *RollingUpdatePolicy   `json:",omitempty"`
}

// BlueGreenUpdatePolicy is a blue/green deployment: a new fleet, traffic
// shifted to it, the old fleet kept for TerminationWaitInSeconds.
type BlueGreenUpdatePolicy struct {
	TrafficRoutingConfiguration      *TrafficRoutingConfig `json:",omitempty"`
	TerminationWaitInSeconds         *int32                `json:",omitempty"`
	MaximumExecutionTimeoutInSeconds *int32                `json:",omitempty"`
}

// TrafficRoutingConfig is how traffic moves to the new fleet.
type TrafficRoutingConfig struct {
	Type                  string        `json:",omitempty"`
	WaitIntervalInSeconds *int32        `json:",omitempty"`
	CanarySize            *CapacitySize `json:",omitempty"`
	LinearStepSize        *CapacitySize `json:",omitempty"`
}

// CapacitySize is a number of instances or a percentage of capacity.
type CapacitySize struct {
	Type  string `json:",omitempty"`
	Value *int32 `json:",omitempty"`
}

// RollingUpdatePolicy is a rolling deployment, in batches on the same
// fleet. Stored and returned; rolled out like a blue/green update.
type RollingUpdatePolicy struct {
	MaximumBatchSize                 *CapacitySize `json:",omitempty"`
	WaitIntervalInSeconds            *int32        `json:",omitempty"`
	MaximumExecutionTimeoutInSeconds *int32        `json:",omitempty"`
	RollbackMaximumBatchSize         *CapacitySize `json:",omitempty"`
}

// AutoRollbackConfig names the alarms that roll a deployment back.
type AutoRollbackConfig struct {
	Alarms []Alarm `json:",omitempty"`
}

// Alarm is a CloudWatch alarm, by name.
type Alarm struct {
	AlarmName string `json:",omitempty"`
}

// alarmNames lists the auto-rollback alarms of dc.
func (dc *DeploymentConfig) alarmNames() []string {
	if dc == nil || dc.AutoRollbackConfiguration == nil {
		return nil
	}
	var out []string
	for _, a := range dc.AutoRollbackConfiguration.Alarms {
		out = append(out, a.AlarmName)
	}
	return out
}

// steps is how many traffic shifts a rollout under dc takes: one for all at
// once, two for a canary, one per step for linear.
func (dc *DeploymentConfig) steps() int {
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration == nil {
		return 1
	}
	t := dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration
	switch t.Type {
	case "CANARY":
		return 2
	case "LINEAR":
		if t.LinearStepSize != nil && t.LinearStepSize.Value != nil && *t.LinearStepSize.Value > 0 {
			size := int(*t.LinearStepSize.Value)
			if t.LinearStepSize.Type == "CAPACITY_PERCENT" {
				return min(10, max(2, (100+size-1)/size))
			}
		}
		return 3
	}
	return 1
}

// trafficPercent is the share of traffic on the new fleet after shift k
// of steps: a canary's size first, a linear step's multiples, then all.
// A size in INSTANCE_COUNT is shown as k of steps of the traffic.
func (dc *DeploymentConfig) trafficPercent(k, steps int) int {
	if k >= steps {
		return 100
	}
	var size *CapacitySize
	if dc != nil && dc.BlueGreenUpdatePolicy != nil && dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration != nil {
		t := dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration
		size = t.CanarySize
		if t.Type == "LINEAR" {
			size = t.LinearStepSize
		}
	}
	if size == nil || size.Value == nil || size.Type != "CAPACITY_PERCENT" {
		return 100 * k / steps
	}
	return min(100, k*int(*size.Value))
}

// validateDeploymentConfig applies DeploymentConfig's member rules and
// checks that every auto-rollback alarm exists in CloudWatch.
func (s *Service) validateDeploymentConfig(st *state, dc *DeploymentConfig) error {
	if dc == nil {
		return nil
	}
	if bg := dc.BlueGreenUpdatePolicy; bg != nil {
		if dc.RollingUpdatePolicy != nil {
			return validationError("BlueGreenUpdatePolicy and RollingUpdatePolicy cannot both be specified.")
		}
		t := bg.TrafficRoutingConfiguration
		if t == nil {
			return constraintError(nil, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration", "Member must not be null")
		}
		switch t.Type {
		case "ALL_AT_ONCE":
		case "CANARY":
			if err := checkCapacity(t.CanarySize, "CanarySize", "CANARY"); err != nil {
				return err
			}
		case "LINEAR":
			if err := checkCapacity(t.LinearStepSize, "LinearStepSize", "LINEAR"); err != nil {
				return err
			}
		case "":
			return constraintError(nil, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type", "Member must not be null")
		default:
			return constraintError(t.Type, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type", "Member must satisfy enum value set: [ALL_AT_ONCE, CANARY, LINEAR]")
		}
		if t.WaitIntervalInSeconds == nil {
			return constraintError(nil, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds", "Member must not be null")
		}
		if w := *t.WaitIntervalInSeconds; w < 0 || w > 3600 {
			return constraintError(w, "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds", "Member must have value less than or equal to 3600")
		}
		if w := bg.TerminationWaitInSeconds; w != nil && (*w < 0 || *w > 3600) {
			return constraintError(*w, "deploymentConfig.blueGreenUpdatePolicy.terminationWaitInSeconds", "Member must have value less than or equal to 3600")
		}
		if m := bg.MaximumExecutionTimeoutInSeconds; m != nil && (*m < 600 || *m > 28800) {
			return constraintError(*m, "deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds", "Member must have value between 600 and 28800")
		}
	}
	if ar := dc.AutoRollbackConfiguration; ar != nil {
		if n := len(ar.Alarms); n < 1 || n > 10 {
			return constraintError(fmt.Sprintf("list of %d alarms", n), "deploymentConfig.autoRollbackConfiguration.alarms", "Member must have length between 1 and 10")
		}
		var missing []string
		for _, a := range ar.Alarms {
			if a.AlarmName == "" {
				return constraintError(nil, "deploymentConfig.autoRollbackConfiguration.alarms.member.alarmName", "Member must not be null")
			}
			if s.opts.Alarms == nil {
				missing = append(missing, a.AlarmName)
				continue
			}
			if _, ok := s.opts.Alarms.AlarmState(st.account, st.region, a.AlarmName); !ok {
				missing = append(missing, a.AlarmName)
			}
		}
		if len(missing) > 0 {
			// The wording is the emulator's: AWS documents that the alarms
			// must exist, not the exact message it returns.
			return validationError("The following alarms in AutoRollbackConfiguration do not exist in CloudWatch in account %s, region %s: %v. Create them or remove them from the DeploymentConfig.", st.account, st.region, missing)
		}
	}
	return nil
}

func checkCapacity(c *CapacitySize, member, typ string) error {
	if c == nil || c.Value == nil || c.Type == "" {
		return validationError("%s must be specified when the traffic routing type is %s.", member, typ)
	}
	if c.Type != "INSTANCE_COUNT" && c.Type != "CAPACITY_PERCENT" {
		return constraintError(c.Type, member+".type", "Member must satisfy enum value set: [INSTANCE_COUNT, CAPACITY_PERCENT]")
	}
	if *c.Value < 1 {
		return constraintError(*c.Value, member+".value", "Member must have value greater than or equal to 1")
	}
	if c.Type == "CAPACITY_PERCENT" && *c.Value > 50 && typ == "CANARY" {
		return validationError("%s must be at most 50%% of the variant's capacity.", member)
	}
	return nil
}
