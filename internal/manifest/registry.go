package manifest

import "fmt"

// A registry-only environment is a central model registry (AWS's
// multi-account framework puts one in an ML shared-services account): a
// promotion into it copies the package into its registry and bucket and
// deploys nothing.

// checkRegistryOnly refuses the settings of a registry-only environment
// that only a deployment would use: they would be silently ignored.
func checkRegistryOnly(c *checker, f func(string) string, env Environment) {
	unused := func(field string) {
		c.atKey(f(field), "%s: environment %q is registryOnly and deploys nothing, so it takes no %s", f(field), env.Name, field)
	}
	if env.VPC != nil {
		unused("vpc")
	}
	if env.NetworkIsolation {
		unused("networkIsolation")
	}
	if env.ImageMirror != "" {
		unused("imageMirror")
	}
}

// checkShared refuses sharedRegistry on an environment that is not a
// central registry: only a registry-only environment is read by others.
func checkShared(c *checker, f func(string) string, env Environment) {
	if env.SharedRegistry && !env.RegistryOnly {
		c.atKey(f("sharedRegistry"), "%s: environment %q is not registryOnly: only a central registry (registryOnly: true) shares its model package groups with the stages sourced from it", f("sharedRegistry"), env.Name)
	}
}

// checkRegistryOnlyPolicy refuses the rules of a registry-only stage that
// compare with what a stage serves: it serves nothing.
func checkRegistryOnlyPolicy(c *checker, field string, sp StagePolicy, env Environment) {
	if !env.RegistryOnly {
		return
	}
	for i, t := range sp.Thresholds {
		if t.HasRegressionBound() {
			c.at(fmt.Sprintf("%s.thresholds[%d]", field, i), "%s.thresholds[%d]: stage %q is registryOnly and serves nothing, so there is no live version to regress from: use min, max or between", field, i, env.Name)
		}
	}
	if sp.RevertOnFailure {
		c.at(field+".revertOnFailure", "%s.revertOnFailure: stage %q is registryOnly: there is no rollout to fail", field, env.Name)
	}
}

// checkStageEndpoint checks that a model's stage has an endpoint exactly
// when its environment deploys.
func checkStageEndpoint(c *checker, field string, env Environment, cfgFile string) {
	has := c.pos.has(field + ".endpoint")
	switch {
	case env.RegistryOnly && has:
		c.atKey(field+".endpoint", "%s.endpoint: stage %q is registryOnly in %s (it copies the package into its registry and deploys nothing), so it takes no endpoint", field, env.Name, cfgFile)
	case !env.RegistryOnly && !has:
		c.atKey(field, "%s.endpoint is required: stage %q deploys to an endpoint", field, env.Name)
	}
}

// checkSources checks every `source`: it names a registry-only
// environment, and the environment naming it deploys. One hop only: a
// registry-only stage copies from the configuration's source, so that
// every copy in the chain was verified against the packages the source
// registry holds.
func checkSources(c *checker, envs []Environment, names map[string]int) {
	for i, env := range envs {
		if env.Source == "" {
			continue
		}
		field := fmt.Sprintf("environments[%d].source", i)
		j, known := names[env.Source]
		switch {
		case env.RegistryOnly:
			c.at(field, "%s: environment %q is registryOnly: a central registry copies from the configuration's source, not from another environment", field, env.Name)
		case env.Source == env.Name:
			c.at(field, "%s: environment %q cannot be its own source", field, env.Name)
		case !known:
			c.at(field, "source: unknown environment %q%s", env.Source, knownList(names))
		case !envs[j].RegistryOnly:
			c.at(field, "%s: environment %q is not registryOnly: only a central registry (registryOnly: true) can be a stage's source", field, env.Source)
		}
	}
}
