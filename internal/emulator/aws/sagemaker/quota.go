package sagemaker

import "strings"

// checkQuota refuses a rollout of ec when the instances it adds would go
// over [Options.EndpointInstanceQuota]. A blue/green update provisions the
// new fleet beside the old one, so during an update both count: updating an
// endpoint needs twice its instances in quota.
func (s *Service) checkQuota(st *state, ec *EndpointConfig) error {
	delta := map[string]int32{}
	for _, v := range ec.ProductionVariants {
		if v.InitialInstanceCount != nil && v.InstanceType != "" {
			delta[v.InstanceType] += *v.InitialInstanceCount
		}
	}
	for typ, d := range delta {
		limit, ok := s.opts.EndpointInstanceQuota[typ]
		if !ok {
			continue
		}
		used := st.instancesInUse(typ)
		if used+d > limit {
			return resourceLimitExceeded("The account-level service limit '%s for endpoint usage' is %d Instances, with current utilization of %d Instances and a request delta of %d Instances. Please use AWS Service Quotas to request an increase for this quota. See https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html to learn how to request an increase.", typ, limit, used, d)
		}
	}
	return nil
}

// instancesInUse counts the instances of a type that endpoints hold: the
// fleet of the config they serve and, while a rollout runs, the new one.
func (st *state) instancesInUse(instanceType string) int32 {
	count := func(name string) int32 {
		ec, ok := st.configs[strings.ToLower(name)]
		if !ok {
			return 0
		}
		var n int32
		for _, v := range ec.ProductionVariants {
			if v.InstanceType == instanceType && v.InitialInstanceCount != nil {
				n += *v.InitialInstanceCount
			}
		}
		return n
	}
	var total int32
	for _, e := range st.endpoints {
		switch e.EndpointStatus {
		case "Failed", "Deleting", "OutOfService":
			continue
		}
		total += count(e.EndpointConfigName)
		if r := e.rollout; r != nil && !r.create {
			total += count(r.config)
		}
	}
	return total
}
