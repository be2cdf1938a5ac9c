package sagemaker

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// A variant's capacity as it runs, apart from its endpoint config:
//
//   - UpdateEndpointWeightsAndCapacities
//     (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html)
//     changes the desired instance count and weight of an InService
//     endpoint's variants in place: the endpoint goes Updating, then
//     InService with the new counts. It is how Application Auto Scaling
//     scales a variant
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html),
//     and what people call by hand. The endpoint config keeps its
//     InitialInstanceCount. One request changes the weight of one or more
//     variants but the capacity of only one ("Updates variant weight of one
//     or more variants associated with an existing endpoint, or capacity of
//     one variant", the same page).
//   - UpdateEndpoint with RetainAllVariantProperties
//     (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html,
//     https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VariantProperty.html)
//     starts the new fleet with the running variant's desired instance
//     count and weight instead of the new config's, unless
//     ExcludeRetainedVariantProperties names them.
//   - A canary must be at most half the new fleet, a linear step 10–50% of
//     it (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html):
//     with retained capacity, of the retained count.

func init() {
	handlers["UpdateEndpointWeightsAndCapacities"] = (*Service).updateWeightsAndCapacities
}

// DesiredWeightAndCapacity is one variant's new weight or instance count.
type DesiredWeightAndCapacity struct {
	VariantName            string
	DesiredWeight          *float32        `json:",omitempty"`
	DesiredInstanceCount   *int32          `json:",omitempty"`
	ServerlessUpdateConfig json.RawMessage `json:",omitempty"`
}

func (s *Service) updateWeightsAndCapacities(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		EndpointName                string
		DesiredWeightsAndCapacities []DesiredWeightAndCapacity
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	if len(in.DesiredWeightsAndCapacities) == 0 {
		return nil, constraintError(nil, "desiredWeightsAndCapacities", "Member must have length greater than or equal to 1")
	}
	e, err := st.endpoint(in.EndpointName)
	if err != nil {
		return nil, err
	}
	if err := s.changeCapacity(st, e, in.DesiredWeightsAndCapacities); err != nil {
		return nil, err
	}
	return map[string]string{"EndpointArn": e.EndpointArn}, nil
}

// changeCapacity checks and starts a change of e's running variants. s.mu
// is held.
func (s *Service) changeCapacity(st *state, e *Endpoint, changes []DesiredWeightAndCapacity) error {
	switch e.EndpointStatus {
	case "InService":
	case "Failed":
		return validationError("Cannot update endpoint %q because it is in Failed status. Delete the endpoint and create it again.", e.EndpointArn)
	case "Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting":
		return validationError("Cannot update in-progress endpoint %q.", e.EndpointArn)
	default:
		return validationError("Cannot update the weights and capacities of endpoint %q in status %s.", e.EndpointArn, e.EndpointStatus)
	}
	ec, _ := st.endpointConfig(e.EndpointConfigName)
	counted := 0
	for i, c := range changes {
		member := fmt.Sprintf("desiredWeightsAndCapacities.%d.member", i+1)
		if err := checkName(c.VariantName, member+".variantName"); err != nil {
			return err
		}
		run := e.variant(c.VariantName)
		if run == nil {
			return validationError("The variant(s) \"[%s]\" are not present in endpoint %q.", c.VariantName, e.EndpointArn)
		}
		if w := c.DesiredWeight; w != nil && *w < 0 {
			return constraintError(*w, member+".desiredWeight", "Member must have value greater than or equal to 0")
		}
		if c.ServerlessUpdateConfig != nil {
			// The emulator does not model serverless concurrency changes;
			// saying so beats pretending they happened.
			return validationError("ServerlessUpdateConfig is not supported by the emulator (variant %s).", c.VariantName)
		}
		n := c.DesiredInstanceCount
		if n == nil {
			continue
		}
		counted++
		switch {
		case *n < 0:
			return constraintError(*n, member+".desiredInstanceCount", "Member must have value greater than or equal to 0")
		case run.CurrentInstanceCount == nil:
			return validationError("Variant %s of endpoint %q is serverless: it has no instance count to change.", c.VariantName, e.EndpointArn)
		case *n == 0:
			// Scaling to zero needs inference components
			// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
			return validationError("DesiredInstanceCount of variant %s must be at least 1: only endpoints with inference components scale to zero instances.", c.VariantName)
		}
		if ec != nil {
			if v := ec.variant(c.VariantName); v != nil && v.InstanceType != "" {
				if err := s.checkQuotaDelta(st, v.InstanceType, *n-*run.CurrentInstanceCount); err != nil {
					return err
				}
			}
		}
	}
	if counted > 1 {
		return validationError("The capacity of only one variant can be changed in one request; %d were given.", counted)
	}
	for _, c := range changes {
		run := e.variant(c.VariantName)
		if c.DesiredInstanceCount != nil {
			run.DesiredInstanceCount = ptr(*c.DesiredInstanceCount)
		}
		if c.DesiredWeight != nil {
			run.DesiredWeight = ptr(*c.DesiredWeight)
		}
	}
	r := &rollout{config: e.EndpointConfigName, capacity: true}
	e.rollout = r
	s.setStatus(e, "Updating", "")
	s.after(s.opts.EndpointDelay, func() {
		if e.rollout != r {
			return
		}
		for i := range e.ProductionVariants {
			v := &e.ProductionVariants[i]
			if v.DesiredInstanceCount != nil {
				v.CurrentInstanceCount = ptr(*v.DesiredInstanceCount)
			}
			if v.DesiredWeight != nil {
				v.CurrentWeight = ptr(*v.DesiredWeight)
			}
		}
		s.finish(e, "InService", "")
	})
	return nil
}

// SetDesiredInstanceCount changes a running variant's instance count as
// UpdateEndpointWeightsAndCapacities does: the endpoint goes Updating for a
// phase. The autoscaling emulator calls it when a policy scales a variant.
func (s *Service) SetDesiredInstanceCount(account, region, endpoint, variant string, n int32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	e, err := st.endpoint(endpoint)
	if err != nil {
		return err
	}
	return s.changeCapacity(st, e, []DesiredWeightAndCapacity{{VariantName: variant, DesiredInstanceCount: &n}})
}

func (e *Endpoint) variant(name string) *ProductionVariantSummary {
	for i := range e.ProductionVariants {
		if strings.EqualFold(e.ProductionVariants[i].VariantName, name) {
			return &e.ProductionVariants[i]
		}
	}
	return nil
}

func (ec *EndpointConfig) variant(name string) *ProductionVariant {
	for i := range ec.ProductionVariants {
		if strings.EqualFold(ec.ProductionVariants[i].VariantName, name) {
			return &ec.ProductionVariants[i]
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// retained holds what UpdateEndpoint keeps of the running variants: their
// desired instance counts and weights, by lower-cased variant name, unless
// excluded.
type retained map[string]ProductionVariantSummary

// retain reads what an UpdateEndpoint with RetainAllVariantProperties keeps
// of e's running variants, minus the excluded property types.
func retain(e *Endpoint, exclude []VariantProperty) (retained, error) {
	var noCount, noWeight bool
	for i, p := range exclude {
		switch p.VariantPropertyType {
		case "DesiredInstanceCount":
			noCount = true
		case "DesiredWeight":
			noWeight = true
		case "DataCaptureConfig": // "Not currently supported": accepted, no effect
		default:
			return nil, constraintError(p.VariantPropertyType, fmt.Sprintf("excludeRetainedVariantProperties.%d.member.variantPropertyType", i+1),
				"Member must satisfy enum value set: [DesiredInstanceCount, DesiredWeight, DataCaptureConfig]")
		}
	}
	out := retained{}
	for _, v := range e.ProductionVariants {
		var keep ProductionVariantSummary
		if !noCount && v.DesiredInstanceCount != nil {
			keep.DesiredInstanceCount = ptr(*v.DesiredInstanceCount)
		}
		if !noWeight && v.DesiredWeight != nil {
			keep.DesiredWeight = ptr(*v.DesiredWeight)
		}
		out[strings.ToLower(v.VariantName)] = keep
	}
	return out, nil
}

// apply puts the retained counts and weights on a new fleet's summaries.
// A serverless variant has no count to take one.
func (r retained) apply(fleet []ProductionVariantSummary) []ProductionVariantSummary {
	for i := range fleet {
		v := &fleet[i]
		keep, ok := r[strings.ToLower(v.VariantName)]
		if !ok {
			continue
		}
		if keep.DesiredInstanceCount != nil && v.DesiredInstanceCount != nil {
			v.DesiredInstanceCount, v.CurrentInstanceCount = ptr(*keep.DesiredInstanceCount), ptr(*keep.DesiredInstanceCount)
		}
		if keep.DesiredWeight != nil {
			v.DesiredWeight, v.CurrentWeight = ptr(*keep.DesiredWeight), ptr(*keep.DesiredWeight)
		}
	}
	return fleet
}

// VariantProperty is a property UpdateEndpoint is not to retain.
type VariantProperty struct {
	VariantPropertyType string
}

// checkShiftSize refuses a canary larger than half of a variant's new
// fleet, or a linear step outside 10–50% of it, for sizes given in
// instances; a percentage is checked by checkCapacity, and a canary
// percentage that rounds up to more than half the fleet is refused here.
func checkShiftSize(dc *DeploymentConfig, fleet []ProductionVariantSummary) error {
	if dc == nil || dc.BlueGreenUpdatePolicy == nil || dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration == nil {
		return nil
	}
	t := dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration
	for _, v := range fleet {
		if v.DesiredInstanceCount == nil {
			continue
		}
		n := *v.DesiredInstanceCount
		switch {
		case t.Type == "CANARY" && t.CanarySize != nil && t.CanarySize.Value != nil:
			size := *t.CanarySize.Value
			if t.CanarySize.Type == "CAPACITY_PERCENT" {
				size = (size*n + 99) / 100
			}
			if 2*size > n {
				return validationError("CanarySize (%d %s) must be less than or equal to 50%% of the variant's total instance count: variant %s has %d.",
					*t.CanarySize.Value, t.CanarySize.Type, v.VariantName, n)
			}
		case t.Type == "LINEAR" && t.LinearStepSize != nil && t.LinearStepSize.Value != nil && t.LinearStepSize.Type == "INSTANCE_COUNT":
			size := *t.LinearStepSize.Value
			if 10*size < n || 2*size > n {
				return validationError("LinearStepSize (%d INSTANCE_COUNT) must be 10-50%% of the variant's total instance count: variant %s has %d.",
					size, v.VariantName, n)
			}
		}
	}
	return nil
}
