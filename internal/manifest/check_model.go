package manifest

import (
	"fmt"
	"path"
	"strings"
)

// SageMaker's blue/green deployment limits (UpdateEndpoint DeploymentConfig).
const (
	maxWaitSeconds        = 3600  // WaitIntervalInSeconds, TerminationWaitInSeconds
	minExecutionTimeout   = 600   // MaximumExecutionTimeoutInSeconds
	maxExecutionTimeout   = 28800 // MaximumExecutionTimeoutInSeconds
	maxRollbackAlarms     = 10    // AutoRollbackConfiguration.Alarms
	maxAlarmNameLength    = 255
	maxCanaryPercent      = 50 // canary ≤ 50 % of the fleet
	minLinearStepPercent  = 10 // linear step 10–50 % of the fleet
	maxLinearStepPercent  = 50
	maxEndpointInstances  = 1000
	defaultExecutionLimit = 0
)

func checkModel(doc *ModelDoc) Problems {
	c := &checker{file: doc.File, pos: doc.positions}
	m := doc.Model
	c.version(m.Version)
	if c.required("model", m.Name) {
		if !sagemakerNameRE.MatchString(m.Name) {
			c.at("model", "model name %q must be letters, digits and hyphens (at most 63, starting with a letter or digit)", m.Name)
		} else if base := strings.TrimSuffix(strings.TrimSuffix(path.Base(doc.File), ".yaml"), ".yml"); base != m.Name {
			c.at("model", "model %q must be defined in a file named %s.yaml, not %s", m.Name, m.Name, path.Base(doc.File))
		}
	}
	if c.required("modelPackageGroup", m.ModelPackageGroup) && !sagemakerNameRE.MatchString(m.ModelPackageGroup) {
		c.at("modelPackageGroup", "modelPackageGroup %q is not a valid model package group name (letters, digits, hyphens; at most 63)", m.ModelPackageGroup)
	}
	if len(m.Stages) == 0 {
		c.atKey("stages", "stages: at least one stage is required")
	}
	for _, name := range sortedKeys(m.Stages) {
		checkStage(c, "stages."+name, m.Stages[name])
	}
	return c.ps
}

func checkStage(c *checker, field string, s Stage) {
	f := func(name string) string { return field + "." + name }
	if s.Version < 1 {
		c.at(f("version"), "%s must be a model package version (1 or more), found %d", f("version"), s.Version)
	}
	if !c.pos.has(f("endpoint")) {
		return // a registry-only stage's; CheckModels says whether it needs one
	}
	e := s.Endpoint
	ef := func(name string) string { return f("endpoint." + name) }
	if c.required(ef("name"), e.Name) && !sagemakerNameRE.MatchString(e.Name) {
		c.at(ef("name"), "endpoint name %q must be letters, digits and hyphens, at most 63, starting and ending with a letter or digit", e.Name)
	}
	checkEndpointKind(c, ef, e)
	if e.VariantName != "" && !sagemakerNameRE.MatchString(e.VariantName) {
		c.at(ef("variantName"), "variantName %q must be letters, digits and hyphens (at most 63)", e.VariantName)
	}
	checkRollout(c, ef("rollout"), e.Rollout, e.InstanceCount)
	checkEndpointEnterprise(c, ef, e)
}

func checkRollout(c *checker, field string, r Rollout, instances int) {
	f := func(name string) string { return field + "." + name }
	strategy := r.StrategyName()
	switch strategy {
	case StrategyAllAtOnce, StrategyCanary, StrategyLinear:
	default:
		c.at(f("strategy"), "rollout strategy %q is not one of allAtOnce, canary, linear", r.Strategy)
		return
	}
	if strategy != StrategyCanary && (r.CanaryPercent != 0 || r.CanaryInstances != 0) {
		c.at(f("strategy"), "canaryPercent/canaryInstances apply only to strategy canary, not %s", strategy)
	}
	if strategy != StrategyLinear && (r.LinearStepPercent != 0 || r.LinearStepInstances != 0) {
		c.at(f("strategy"), "linearStepPercent/linearStepInstances apply only to strategy linear, not %s", strategy)
	}
	steps := 1
	switch strategy {
	case StrategyCanary:
		checkCanary(c, field, r, instances)
	case StrategyLinear:
		steps = checkLinear(c, field, r, instances)
	}
	if r.WaitSeconds < 0 || r.WaitSeconds > maxWaitSeconds {
		c.at(f("waitSeconds"), "waitSeconds must be between 0 and %d (SageMaker's WaitIntervalInSeconds), found %d", maxWaitSeconds, r.WaitSeconds)
	}
	if r.TerminationWaitSeconds < 0 || r.TerminationWaitSeconds > maxWaitSeconds {
		c.at(f("terminationWaitSeconds"), "terminationWaitSeconds must be between 0 and %d, found %d", maxWaitSeconds, r.TerminationWaitSeconds)
	}
	if t := r.MaxExecutionTimeoutSeconds; t != defaultExecutionLimit {
		if t < minExecutionTimeout || t > maxExecutionTimeout {
			c.at(f("maxExecutionTimeoutSeconds"), "maxExecutionTimeoutSeconds must be between %d and %d, found %d", minExecutionTimeout, maxExecutionTimeout, t)
		} else if waits := steps*r.WaitSeconds + r.TerminationWaitSeconds; t <= waits {
			c.at(f("maxExecutionTimeoutSeconds"), "maxExecutionTimeoutSeconds (%d) must exceed the rollout's total waiting time (%d s)", t, waits)
		}
	}
	if strategy != StrategyAllAtOnce && len(r.Alarms) == 0 {
		c.atKey(f("alarms"), "a %s rollout needs at least one CloudWatch alarm to roll back on: without one, a bad model takes all traffic", strategy)
	}
	if len(r.Alarms) > maxRollbackAlarms {
		c.at(f("alarms"), "at most %d rollback alarms are allowed, found %d", maxRollbackAlarms, len(r.Alarms))
	}
	seen := map[string]bool{}
	for i, a := range r.Alarms {
		af := fmt.Sprintf("%s[%d]", f("alarms"), i)
		switch {
		case a == "" || len(a) > maxAlarmNameLength:
			c.at(af, "alarm names are 1–%d characters", maxAlarmNameLength)
		case seen[a]:
			c.at(af, "alarm %q is listed twice", a)
		}
		seen[a] = true
	}
}

func checkCanary(c *checker, field string, r Rollout, instances int) {
	f := func(name string) string { return field + "." + name }
	switch {
	case r.CanaryPercent != 0 && r.CanaryInstances != 0:
		c.at(f("canaryPercent"), "set canaryPercent or canaryInstances, not both")
	case r.CanaryPercent == 0 && r.CanaryInstances == 0:
		c.atKey(f("strategy"), "a canary rollout needs canaryPercent or canaryInstances")
	case r.CanaryPercent != 0:
		if r.CanaryPercent < 1 || r.CanaryPercent > maxCanaryPercent {
			c.at(f("canaryPercent"), "canaryPercent must be between 1 and %d, found %d", maxCanaryPercent, r.CanaryPercent)
		} else if instances > 0 && ceilDiv(r.CanaryPercent*instances, 100)*2 > instances {
			c.at(f("canaryPercent"), "a %d%% canary of %d instance(s) is %d instance(s), more than half the fleet: SageMaker needs a canary of at most 50%% (use at least 2 instances)", r.CanaryPercent, instances, ceilDiv(r.CanaryPercent*instances, 100))
		}
	default:
		if r.CanaryInstances < 1 || r.CanaryInstances*2 > instances {
			c.at(f("canaryInstances"), "canaryInstances must be between 1 and half of instanceCount (%d), found %d", instances/2, r.CanaryInstances)
		}
	}
}

// checkLinear checks a linear rollout and returns its number of steps.
func checkLinear(c *checker, field string, r Rollout, instances int) int {
	f := func(name string) string { return field + "." + name }
	switch {
	case r.LinearStepPercent != 0 && r.LinearStepInstances != 0:
		c.at(f("linearStepPercent"), "set linearStepPercent or linearStepInstances, not both")
	case r.LinearStepPercent == 0 && r.LinearStepInstances == 0:
		c.atKey(f("strategy"), "a linear rollout needs linearStepPercent or linearStepInstances")
	case r.LinearStepPercent != 0:
		if r.LinearStepPercent < minLinearStepPercent || r.LinearStepPercent > maxLinearStepPercent {
			c.at(f("linearStepPercent"), "linearStepPercent must be between %d and %d, found %d", minLinearStepPercent, maxLinearStepPercent, r.LinearStepPercent)
			return 1
		}
		return ceilDiv(100, r.LinearStepPercent)
	default:
		if instances > 0 && (r.LinearStepInstances*10 < instances || r.LinearStepInstances*2 > instances) {
			c.at(f("linearStepInstances"), "linearStepInstances must be 10–50%% of instanceCount (%d), found %d", instances, r.LinearStepInstances)
			return 1
		}
		if r.LinearStepInstances > 0 {
			return ceilDiv(instances, r.LinearStepInstances)
		}
	}
	return 1
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// CheckModels checks model files against a configuration: every stage is a
// known environment, and no two stages deploy to the same endpoint of one
// account and region, with names compared as SageMaker does (ignoring case).
func CheckModels(cfg *ConfigDoc, models map[string]*ModelDoc) Problems {
	var ps Problems
	type owner struct {
		file, field, name, stage string
		pos                      Pos
	}
	endpoints := map[string]owner{}
	for _, name := range sortedKeys(models) {
		m := models[name]
		c := &checker{file: m.File, pos: m.positions}
		for _, stage := range sortedKeys(m.Stages) {
			field := "stages." + stage
			env, ok := cfg.Environment(stage)
			if !ok {
				c.atKey(field, "unknown stage %q: %s defines no such environment%s", stage, cfg.File, envList(cfg.Config))
				continue
			}
			checkStageEndpoint(c, field, env, cfg.File)
			checkServerlessEnvironment(c, field, m.Stages[stage].Endpoint, env, cfg)
			ep := m.Stages[stage].Endpoint.Name
			if ep == "" {
				continue
			}
			// SageMaker endpoint names are unique per account and region
			// regardless of case: Fraud-Detector is fraud-detector's endpoint.
			key := env.Account + "/" + env.Region + "/" + strings.ToLower(ep)
			if o, dup := endpoints[key]; dup {
				same, other := "", ""
				if o.name != ep {
					same = fmt.Sprintf(" as %q (SageMaker endpoint names ignore case)", o.name)
					other = fmt.Sprintf(" as %q (SageMaker endpoint names ignore case)", ep)
				}
				c.at(field+".endpoint.name", "endpoint %q in %s is already used by %s (%s)%s", ep, stage, o.file, o.field, same)
				// Both files are told: either one may be the change that
				// takes the other's endpoint.
				ps = append(ps, Problem{File: o.file, Pos: o.pos, Field: o.field + ".endpoint.name",
					Message: fmt.Sprintf("endpoint %q in %s is also used by %s (%s)%s", o.name, o.stage, m.File, field, other)})
				continue
			}
			endpoints[key] = owner{m.File, field, ep, stage, m.positions.Of(field + ".endpoint.name")}
		}
		ps = append(ps, c.ps...)
	}
	return ps
}

func envList(cfg *Config) string {
	names := make([]string, 0, len(cfg.Environments))
	for _, e := range cfg.Environments {
		names = append(names, e.Name)
	}
	if len(names) == 0 {
		return ""
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}
