package manifest

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// checker collects problems for one decoded file.
type checker struct {
	file string
	pos  positions
	ps   Problems
}

func (c *checker) at(field, format string, args ...any) {
	c.ps = append(c.ps, Problem{File: c.file, Pos: c.pos.Of(field), Field: field, Message: fmt.Sprintf(format, args...)})
}

// atKey reports at the key naming field (for problems with the entry as a
// whole, like an unknown stage).
func (c *checker) atKey(field, format string, args ...any) {
	c.ps = append(c.ps, Problem{File: c.file, Pos: c.pos.KeyOf(field), Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) required(field, value string) bool {
	if value == "" {
		c.atKey(field, "%s is required", field)
		return false
	}
	return true
}

func (c *checker) version(v int) {
	if v != FormatVersion {
		c.at("version", "version must be %d (the manifest format version), found %d", FormatVersion, v)
	}
}

func (c *checker) account(field, v string) bool {
	if !c.required(field, v) {
		return false
	}
	if !accountRE.MatchString(v) {
		c.at(field, "%s: %q is not an AWS account ID (12 digits, quoted so YAML keeps leading zeros)", field, v)
		return false
	}
	return true
}

func (c *checker) region(field, v string) bool {
	if !c.required(field, v) {
		return false
	}
	if !regionRE.MatchString(v) {
		c.at(field, "%s: %q is not an AWS region name (e.g. eu-west-1)", field, v)
		return false
	}
	return true
}

func checkConfig(doc *ConfigDoc) Problems {
	c := &checker{file: doc.File, pos: doc.positions}
	cfg := doc.Config
	c.version(cfg.Version)

	srcOK := c.account("source.account", cfg.Source.Account)
	srcOK = c.region("source.region", cfg.Source.Region) && srcOK
	if cfg.Source.RoleARN != "" && srcOK {
		if err := checkRoleARN(cfg.Source.RoleARN, cfg.Source.Account, cfg.Source.Region); err != nil {
			c.at("source.roleArn", "source.roleArn: %v", err)
		}
	}
	if cfg.Source.ExternalID != "" && !validExternalID(cfg.Source.ExternalID) {
		c.at("source.externalId", "source.externalId must be 2–1224 characters of letters, digits and +=,.@:/-")
	}

	if len(cfg.Environments) == 0 {
		c.atKey("environments", "environments: at least one target environment is required")
	}
	names := map[string]int{}
	for i, env := range cfg.Environments {
		checkEnvironment(c, i, env, names)
	}
	checkOrder(c, cfg.Environments, names)
	checkSources(c, cfg.Environments, names)
	checkPolicy(c, cfg, names)
	checkNotifications(c, cfg.Notifications, names)
	if g := cfg.Governance; g != nil {
		ok := c.account("governance.account", g.Account)
		ok = c.region("governance.region", g.Region) && ok
		if c.required("governance.roleArn", g.RoleARN) && ok {
			if err := checkRoleARN(g.RoleARN, g.Account, g.Region); err != nil {
				c.at("governance.roleArn", "governance.roleArn: %v", err)
			}
		}
		if g.ExternalID != "" && !validExternalID(g.ExternalID) {
			c.at("governance.externalId", "governance.externalId must be 2–1224 characters of letters, digits and +=,.@:/-")
		}
	}
	return c.ps
}

func checkEnvironment(c *checker, i int, env Environment, names map[string]int) {
	f := func(name string) string { return fmt.Sprintf("environments[%d].%s", i, name) }
	if c.required(f("name"), env.Name) {
		if !stageNameRE.MatchString(env.Name) {
			c.at(f("name"), "environment name %q must be lowercase letters, digits and hyphens, starting with a letter (at most 32)", env.Name)
		} else if j, dup := names[env.Name]; dup {
			c.at(f("name"), "environment %q is already defined (environments[%d])", env.Name, j)
		} else {
			names[env.Name] = i
		}
	}
	acctOK := c.account(f("account"), env.Account)
	regionOK := c.region(f("region"), env.Region)
	ok := acctOK && regionOK
	roles := []struct{ field, value string }{{"roleArn", env.RoleARN}, {"executionRoleArn", env.ExecutionRoleARN}}
	if env.RegistryOnly {
		roles = roles[:1] // nothing runs there
		checkRegistryOnly(c, f, env)
	}
	checkShared(c, f, env)
	for _, r := range roles {
		if c.required(f(r.field), r.value) && ok {
			if err := checkRoleARN(r.value, env.Account, env.Region); err != nil {
				c.at(f(r.field), "%s: %v", f(r.field), err)
			}
		}
	}
	if env.RegistryOnly && env.ExecutionRoleARN != "" && ok {
		if err := checkRoleARN(env.ExecutionRoleARN, env.Account, env.Region); err != nil {
			c.at(f("executionRoleArn"), "%s: %v", f("executionRoleArn"), err)
		}
	}
	if env.ReadRoleARN != "" && ok {
		if err := checkRoleARN(env.ReadRoleARN, env.Account, env.Region); err != nil {
			c.at(f("readRoleArn"), "%s: %v", f("readRoleArn"), err)
		} else if env.ReadRoleARN == env.RoleARN {
			c.at(f("readRoleArn"), "%s is the deploy role: give the check a separate read-only role", f("readRoleArn"))
		}
	}
	if c.required(f("kmsKeyArn"), env.KMSKeyARN) && ok {
		if err := checkKMSKeyARN(env.KMSKeyARN, env.Account, env.Region); err != nil {
			c.at(f("kmsKeyArn"), "%s: %v", f("kmsKeyArn"), err)
		}
	}
	if c.required(f("artifactBucket"), env.ArtifactBucket) && !ValidBucketName(env.ArtifactBucket) {
		c.at(f("artifactBucket"), "%s: %q is not a valid S3 bucket name", f("artifactBucket"), env.ArtifactBucket)
	}
	if env.ExternalID != "" && !validExternalID(env.ExternalID) {
		c.at(f("externalId"), "%s must be 2–1224 characters of letters, digits and +=,.@:/-", f("externalId"))
	}
	checkEnvironmentEnterprise(c, f, env)
}

// checkOrder checks that every `after` names another environment and that
// the order has no cycle.
func checkOrder(c *checker, envs []Environment, names map[string]int) {
	after := map[string]string{}
	for i, env := range envs {
		if env.After == "" || env.Name == "" {
			continue
		}
		field := fmt.Sprintf("environments[%d].after", i)
		switch _, known := names[env.After]; {
		case env.After == env.Name:
			c.at(field, "environment %q cannot come after itself", env.Name)
		case !known:
			c.at(field, "after: unknown environment %q%s", env.After, knownList(names))
		default:
			after[env.Name] = env.After
		}
	}
	reported := map[string]bool{}
	for i, env := range envs {
		seen := []string{env.Name}
		for cur := after[env.Name]; cur != ""; cur = after[cur] {
			if cur == env.Name {
				key := cycleKey(seen)
				if !reported[key] {
					reported[key] = true
					c.at(fmt.Sprintf("environments[%d].after", i), "the `after` order has a cycle: %s → %s", strings.Join(seen, " → "), env.Name)
				}
				break
			}
			if slices.Contains(seen, cur) {
				break // a cycle not through env; reported from its own members
			}
			seen = append(seen, cur)
		}
	}
}

func cycleKey(members []string) string {
	s := slices.Clone(members)
	sort.Strings(s)
	return strings.Join(s, ",")
}

func knownList(names map[string]int) string {
	if len(names) == 0 {
		return ""
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	return " (known: " + strings.Join(list, ", ") + ")"
}

func checkPolicy(c *checker, cfg *Config, names map[string]int) {
	p := cfg.Policy
	if len(p.Owners) == 0 {
		c.atKey("policy.owners", "policy.owners is required: the users or teams who must approve changes to %s", ConfigFile)
	}
	checkPrincipals(c, "policy.owners", p.Owners)
	if p.OwnerApprovals < 0 {
		c.at("policy.ownerApprovals", "policy.ownerApprovals must not be negative")
	}
	if len(p.Stages) == 0 {
		c.atKey("policy.stages", "policy.stages is required: every environment needs its promotion rules")
	}
	for _, stage := range sortedKeys(p.Stages) {
		if _, ok := names[stage]; !ok {
			c.atKey("policy.stages."+stage, "policy for unknown stage %q%s", stage, knownList(names))
			continue
		}
		env, _ := cfg.Environment(stage)
		checkStagePolicy(c, "policy.stages."+stage, p.Stages[stage], env)
		checkRegistryOnlyPolicy(c, "policy.stages."+stage, p.Stages[stage], env)
		checkBreakGlass(c, "policy.stages."+stage, p.Stages[stage])
	}
	checkFreezes(c, p.Freezes, names)
	for _, env := range cfg.Environments {
		if _, ok := p.Stages[env.Name]; !ok && env.Name != "" && len(p.Stages) > 0 {
			c.atKey("policy.stages", "environment %q has no policy in policy.stages", env.Name)
		}
	}
}

func checkPrincipals(c *checker, field string, list []string) {
	seen := map[string]bool{}
	for i, a := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkPrincipal(a); err != nil {
			c.at(f, "%s: %v", field, err)
		}
		if seen[strings.ToLower(a)] {
			c.at(f, "%s: %q is listed twice", field, a)
		}
		seen[strings.ToLower(a)] = true
	}
}

func checkStagePolicy(c *checker, field string, sp StagePolicy, env Environment) {
	f := func(name string) string { return field + "." + name }
	if sp.Approvals < 1 {
		c.atKey(f("approvals"), "%s must be at least 1: a promotion needs a reviewer other than its author", f("approvals"))
	}
	checkPrincipals(c, f("approvers"), sp.Approvers)
	if users := onlyUsers(sp.Approvers); users > 0 && users == len(sp.Approvers) && sp.Approvals > users {
		c.at(f("approvals"), "%s is %d but only %d approvers are listed: the gate could never open", f("approvals"), sp.Approvals, users)
	}
	reports := map[ReportKind]bool{}
	for i, r := range sp.Reports {
		rf := fmt.Sprintf("%s[%d]", f("reports"), i)
		if !slices.Contains(ReportKinds, r) {
			c.at(rf, "unknown report %q (one of %s)", r, reportKindList())
		} else if reports[r] {
			c.at(rf, "report %q is listed twice", r)
		}
		reports[r] = true
	}
	if sp.MaxReportAgeDays < 0 || sp.MaxReportAgeDays > 3650 {
		c.at(f("maxReportAgeDays"), "%s must be between 0 and 3650", f("maxReportAgeDays"))
	}
	if sp.SoakTime.Duration < 0 {
		c.at(f("soakTime"), "%s must not be negative", f("soakTime"))
	}
	if env.After == "" {
		if sp.SoakTime.Duration > 0 {
			c.at(f("soakTime"), "%s needs a previous stage to soak in: environment %q has no `after`", f("soakTime"), env.Name)
		}
		if sp.AutoPropose {
			c.at(f("autoPropose"), "%s needs a previous stage: environment %q has no `after`", f("autoPropose"), env.Name)
		}
	}
	metrics := map[string]int{}
	for i, t := range sp.Thresholds {
		tf := fmt.Sprintf("%s[%d]", f("thresholds"), i)
		checkThreshold(c, tf, t, reports)
		if j, dup := metrics[t.Metric]; dup && t.Metric != "" {
			c.at(tf+".metric", "metric %q already has a threshold (%s[%d]); combine the bounds in one entry", t.Metric, f("thresholds"), j)
		}
		metrics[t.Metric] = i
	}
}

func onlyUsers(list []string) int {
	n := 0
	for _, a := range list {
		if !strings.HasPrefix(a, "team:") {
			n++
		}
	}
	return n
}

func reportKindList() string {
	s := make([]string, len(ReportKinds))
	for i, k := range ReportKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func checkThreshold(c *checker, field string, t Threshold, reports map[ReportKind]bool) {
	f := func(name string) string { return field + "." + name }
	if !c.required(f("metric"), t.Metric) {
		return
	}
	if err := ValidateMetricPath(t.Metric); err != nil {
		c.at(f("metric"), "%v", err)
		return
	}
	if r := ReportFor(t.Metric); !reports[r] {
		c.at(f("metric"), "a threshold on %s needs the %s report: add %q to this stage's reports", t.Metric, r, r)
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"min", t.Min}, {"max", t.Max}, {"maxRegression", t.MaxRegression}, {"maxRelativeRegression", t.MaxRelativeRegression}} {
		if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
			c.at(f(b.name), "%s must be a finite number", f(b.name))
		}
	}
	if t.Min == nil && t.Max == nil && t.Between == nil && t.MaxRegression == nil && t.MaxRelativeRegression == nil {
		c.at(field, "threshold on %s sets no bound: use min, max, between, maxRegression or maxRelativeRegression", t.Metric)
	}
	if t.Min != nil && t.Max != nil && *t.Min > *t.Max {
		c.at(f("min"), "min (%g) is greater than max (%g)", *t.Min, *t.Max)
	}
	if t.Between != nil {
		switch {
		case len(t.Between) != 2:
			c.at(f("between"), "between must be [low, high], found %d values", len(t.Between))
		case t.Between[0] > t.Between[1]:
			c.at(f("between"), "between: low (%g) is greater than high (%g)", t.Between[0], t.Between[1])
		}
		if t.Min != nil || t.Max != nil {
			c.at(f("between"), "use either between or min/max, not both")
		}
	}
	if t.MaxRegression != nil && *t.MaxRegression < 0 {
		c.at(f("maxRegression"), "maxRegression must not be negative")
	}
	if t.MaxRelativeRegression != nil && (*t.MaxRelativeRegression < 0 || *t.MaxRelativeRegression > 1) {
		c.at(f("maxRelativeRegression"), "maxRelativeRegression is a fraction between 0 and 1 (0.05 = 5%%)")
	}
	if t.Better != "" && t.Better != "higher" && t.Better != "lower" {
		c.at(f("better"), "better must be \"higher\" or \"lower\", not %q", t.Better)
	} else if (t.MaxRegression != nil || t.MaxRelativeRegression != nil) && t.BetterDirection() == "" {
		c.at(field, "a regression bound on %s needs `better: higher` or `better: lower`: the direction of this metric is not known", t.Metric)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
