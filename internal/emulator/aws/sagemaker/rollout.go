package sagemaker

import (
	"fmt"
	"slices"
	"strings"
)

// Fault is something that goes wrong with an endpoint's next rollout,
// injected from Go with [Service.InjectRolloutFault].
type Fault int

const (
	// FaultRollback makes the new fleet fail its health checks: an update
	// goes Updating → RollingBack → InService on the old config, with a
	// FailureReason. A create, having nothing to roll back to, ends Failed.
	FaultRollback Fault = iota + 1
	// FaultStuck leaves the endpoint Creating or Updating for good.
	FaultStuck
	// FaultFailed ends the rollout Failed; then only DeleteEndpoint works.
	FaultFailed
	// FaultRollbackFailed makes the rollback fail too: Updating →
	// RollingBack → UpdateRollbackFailed.
	FaultRollbackFailed
)

// defaultFailure is the FailureReason of a fault injected without one;
// it is worded like SageMaker's health-check failures.
const defaultFailure = "The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint."

type injectedFault struct {
	kind   Fault
	reason string
}

// rollout is a create or update in progress.
type rollout struct {
	config     string // the endpoint config being deployed
	create     bool
	deployment *DeploymentConfig
	steps      int // traffic shifts; one more phase bakes before completion
	step       int
	fault      *injectedFault
	trip       string // alarm to trip after the first traffic shift
	// retain is what the update keeps of the running variants
	// (RetainAllVariantProperties); fleet is the new fleet as it starts.
	retain retained
	fleet  []ProductionVariantSummary
	// capacity marks an UpdateEndpointWeightsAndCapacities in progress:
	// the same fleet, resized (capacity.go).
	capacity bool
}

// InjectRolloutFault makes the next CreateEndpoint or UpdateEndpoint of the
// named endpoint in account and region go wrong as f says. An empty reason
// gives a realistic default FailureReason.
func (s *Service) InjectRolloutFault(account, region, endpointName string, f Fault, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason == "" {
		reason = defaultFailure
	}
	st := s.state(account, region)
	if st.faults == nil {
		st.faults = map[string]injectedFault{}
	}
	st.faults[strings.ToLower(endpointName)] = injectedFault{f, reason}
}

// TripAlarmDuringNextRollout makes alarmName go into ALARM right after the
// first traffic shift of the endpoint's next update (the canary, with a
// CANARY policy). If [Options.Alarms] implements [AlarmSetter], the alarm's
// state is changed in CloudWatch as well. The rollout rolls back if the
// alarm is one of its AutoRollbackConfiguration alarms.
func (s *Service) TripAlarmDuringNextRollout(account, region, endpointName, alarmName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	if st.trips == nil {
		st.trips = map[string]string{}
	}
	st.trips[strings.ToLower(endpointName)] = alarmName
}

func (st *state) takeFault(key string) *injectedFault {
	f, ok := st.faults[key]
	if !ok {
		return nil
	}
	delete(st.faults, key)
	return &f
}

func (st *state) takeTrip(key string) string {
	a := st.trips[key]
	delete(st.trips, key)
	return a
}

// step advances a rollout by one phase. It runs from a timer with s.mu held.
func (s *Service) step(st *state, e *Endpoint, r *rollout) {
	if e.rollout != r {
		return // superseded, deleted or forced into another status
	}
	if f := r.fault; f != nil {
		switch f.kind {
		case FaultStuck:
			return
		case FaultFailed:
			s.finish(e, "Failed", f.reason)
			return
		case FaultRollback, FaultRollbackFailed:
			if r.create {
				s.finish(e, "Failed", f.reason)
				return
			}
			s.rollBack(st, e, r, f.reason, f.kind == FaultRollbackFailed)
			return
		}
	}
	r.step++
	if r.step == 1 && r.trip != "" {
		if setter, ok := s.opts.Alarms.(AlarmSetter); ok {
			// Best effort: an alarm that does not exist stays missing.
			_ = setter.SetAlarmState(st.account, st.region, r.trip, "ALARM", "Threshold Crossed: tripped by the emulator during a rollout")
		}
	}
	if firing := s.firingAlarms(st, r); len(firing) > 0 {
		s.rollBack(st, e, r, fmt.Sprintf("Auto-rollback triggered: CloudWatch alarm(s) %v went into ALARM state during the deployment of endpoint configuration %q. The endpoint was rolled back to endpoint configuration %q.", firing, r.config, e.EndpointConfigName), false)
		return
	}
	if r.step <= r.steps {
		// One phase per traffic shift, each baking (watching the
		// auto-rollback alarms) until the next; the phase after the last
		// shift is the final bake before the old fleet is terminated.
		s.setVariantStatus(e, "Baking", fmt.Sprintf("%d%% of traffic on the new fleet (shift %d of %d); watching the auto-rollback alarms.",
			r.deployment.trafficPercent(r.step, r.steps), r.step, r.steps))
		s.after(s.opts.EndpointDelay, func() { s.step(st, e, r) })
		return
	}
	ec, err := st.endpointConfig(r.config)
	if err != nil {
		// The config was deleted mid-rollout: the new fleet cannot launch.
		s.rollBack(st, e, r, fmt.Sprintf("Could not find endpoint configuration %q.", st.arn("endpoint-config", r.config)), false)
		return
	}
	e.EndpointConfigName = ec.EndpointConfigName
	e.ProductionVariants = r.retain.apply(st.variantSummaries(ec, s.now()))
	if !r.create {
		e.LastDeploymentConfig = r.deployment
	}
	s.finish(e, "InService", "")
}

// setVariantStatus records the stage of an update in its pending
// variants, as DescribeEndpoint shows it in
// PendingDeploymentSummary.ProductionVariants[].VariantStatus. The
// messages are the emulator's own; SageMaker documents the statuses, not
// their wording.
func (s *Service) setVariantStatus(e *Endpoint, status, message string) {
	if e.PendingDeploymentSummary == nil {
		return
	}
	for i := range e.PendingDeploymentSummary.ProductionVariants {
		e.PendingDeploymentSummary.ProductionVariants[i].VariantStatus = []VariantStatus{{Status: status, StatusMessage: message, StartTime: stamp(s.now())}}
	}
}

// firingAlarms lists the rollout's auto-rollback alarms that are in ALARM.
func (s *Service) firingAlarms(st *state, r *rollout) []string {
	var out []string
	for _, name := range r.deployment.alarmNames() {
		firing := r.step >= 1 && name == r.trip
		if s.opts.Alarms != nil {
			if state, ok := s.opts.Alarms.AlarmState(st.account, st.region, name); ok && state == "ALARM" {
				firing = true
			}
		}
		if firing && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// rollBack moves traffic back to the endpoint's current config; the
// endpoint ends InService on it, FailureReason kept, or
// UpdateRollbackFailed.
func (s *Service) rollBack(st *state, e *Endpoint, r *rollout, reason string, fails bool) {
	s.setStatus(e, "RollingBack", reason)
	s.after(s.opts.EndpointDelay, func() {
		if e.rollout != r {
			return
		}
		if fails {
			s.finish(e, "UpdateRollbackFailed", reason)
			return
		}
		s.finish(e, "InService", reason)
	})
}

func (s *Service) finish(e *Endpoint, status, reason string) {
	e.rollout = nil
	e.PendingDeploymentSummary = nil
	s.setStatus(e, status, reason)
}

// SetEndpointStatus forces an endpoint into a status (Failed,
// UpdateRollbackFailed, OutOfService, …), abandoning any rollout.
func (s *Service) SetEndpointStatus(account, region, endpointName, status, failureReason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.state(account, region).endpoint(endpointName)
	if err != nil {
		return err
	}
	s.finish(e, status, failureReason)
	return nil
}

// Endpoint returns a copy of an endpoint, History included.
func (s *Service) Endpoint(account, region, endpointName string) (Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.state(account, region).endpoint(endpointName)
	if err != nil {
		return Endpoint{}, false
	}
	return e.snapshot(), true
}

func (e *Endpoint) snapshot() Endpoint { return clone(*e) }
