package sagemaker

import "strings"

// checkQuota refuses a rollout of ec when the instances it adds would go
// over [Options.EndpointInstanceQuota]. A blue/green update provisions the
// new fleet beside the old one, so during an update both count: updating an
// endpoint needs twice its instances in quota. fleet is the new fleet as it
// will run (its counts retained from the running variants, or the config's).
func (s *Service) checkQuota(st *state, ec *EndpointConfig, fleet []ProductionVariantSummary) error {
	delta := map[string]int32{}
	for _, v := range ec.ProductionVariants {
		if n := fleetCount(fleet, v); n > 0 && v.InstanceType != "" {
			delta[v.InstanceType] += n
		}
	}
	for typ, d := range delta {
		if err := s.checkQuotaDelta(st, typ, d); err != nil {
			return err
		}
	}
	return nil
}

// checkQuotaDelta refuses d more instances of a type over the quota.
func (s *Service) checkQuotaDelta(st *state, typ string, d int32) error {
	limit, ok := s.opts.EndpointInstanceQuota[typ]
	if !ok || d <= 0 {
		return nil
	}
	if used := st.instancesInUse(typ); used+d > limit {
		return resourceLimitExceeded("The account-level service limit '%s for endpoint usage' is %d Instances, with current utilization of %d Instances and a request delta of %d Instances. Please use AWS Service Quotas to request an increase for this quota. See https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html to learn how to request an increase.", typ, limit, used, d)
	}
	return nil
}

// fleetCount is how many instances variant v of a config runs with: its
// count in the running fleet's summaries, or its InitialInstanceCount.
func fleetCount(fleet []ProductionVariantSummary, v ProductionVariant) int32 {
	for _, f := range fleet {
		if strings.EqualFold(f.VariantName, v.VariantName) && f.CurrentInstanceCount != nil {
			return *f.CurrentInstanceCount
		}
	}
	if v.InitialInstanceCount != nil {
		return *v.InitialInstanceCount
	}
	return 0
}

// instancesInUse counts the instances of a type that endpoints hold: the
// fleet they serve, at its running counts, and, while a rollout runs, the
// new one.
func (st *state) instancesInUse(instanceType string) int32 {
	count := func(name string, fleet []ProductionVariantSummary) int32 {
		ec, ok := st.configs[strings.ToLower(name)]
		if !ok {
			return 0
		}
		var n int32
		for _, v := range ec.ProductionVariants {
			if v.InstanceType == instanceType {
				n += fleetCount(fleet, v)
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
		total += count(e.EndpointConfigName, e.ProductionVariants)
		if r := e.rollout; r != nil && !r.create && !r.capacity {
			total += count(r.config, r.fleet)
		}
	}
	return total
}
