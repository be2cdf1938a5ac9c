package manifest

import (
	"strings"
	"testing"
)

// centralConfig has a registry-only stage between the source and staging.
const centralConfig = `version: 1
source: {account: "111111111111", region: eu-west-1}
environments:
  - name: central
    registryOnly: true
    account: "444444444444"
    region: eu-west-1
    roleArn: arn:aws:iam::444444444444:role/deploy
    artifactBucket: artifacts-central
    kmsKeyArn: arn:aws:kms:eu-west-1:444444444444:key/1a2b3c4d-1111-2222-3333-444455556666
  - name: staging
    after: central
    account: "222222222222"
    region: eu-west-1
    roleArn: arn:aws:iam::222222222222:role/deploy
    artifactBucket: artifacts-staging
    kmsKeyArn: arn:aws:kms:eu-west-1:222222222222:key/1a2b3c4d-1111-2222-3333-444455556666
    executionRoleArn: arn:aws:iam::222222222222:role/exec
policy:
  owners: [team:platform]
  stages:
    central: {approvals: 1}
    staging: {approvals: 1, soakTime: 1h}
`

func TestRegistryOnlyStages(t *testing.T) {
	cases := []struct {
		name   string
		config string // replaces centralConfig's when set
		model  string
		want   []string
	}{
		{
			name:  "a registry-only stage takes no endpoint, a deploying stage needs one",
			model: "  central:\n    version: 3\n  staging:\n    version: 3\n    endpoint: {name: a-staging, instanceType: ml.m5.large, instanceCount: 1}\n",
		},
		{
			name:  "an endpoint in a registry-only stage",
			model: "  central:\n    version: 3\n    endpoint: {name: a-central, instanceType: ml.m5.large, instanceCount: 1}\n",
			want:  []string{`p/a.yaml:7:5: stages.central.endpoint: stage "central" is registryOnly in p/modelpromote.yaml (it copies the package into its registry and deploys nothing), so it takes no endpoint`},
		},
		{
			name:  "no endpoint in a deploying stage",
			model: "  staging:\n    version: 3\n",
			want:  []string{`p/a.yaml:5:3: stages.staging.endpoint is required: stage "staging" deploys to an endpoint`},
		},
		{
			name: "deployment settings on a registry-only environment",
			config: strings.Replace(centralConfig, "    registryOnly: true\n",
				"    registryOnly: true\n    networkIsolation: true\n    vpc: {subnets: [subnet-0a1b2c3d4e5f60718], securityGroups: [sg-0123456789abcdef0]}\n", 1),
			model: "  central:\n    version: 3\n",
			want: []string{
				`p/modelpromote.yaml:6:5: environments[0].networkIsolation: environment "central" is registryOnly and deploys nothing, so it takes no networkIsolation`,
				`p/modelpromote.yaml:7:5: environments[0].vpc: environment "central" is registryOnly and deploys nothing, so it takes no vpc`,
			},
		},
		{
			name: "a regression bound on a registry-only stage",
			config: strings.Replace(centralConfig, "    central: {approvals: 1}\n",
				"    central:\n      approvals: 1\n      reports: [modelQuality]\n      thresholds: [{metric: binary_classification_metrics.auc, maxRegression: 0.01}]\n", 1),
			model: "  central:\n    version: 3\n",
			want:  []string{`p/modelpromote.yaml:25:20: policy.stages.central.thresholds[0]: stage "central" is registryOnly and serves nothing, so there is no live version to regress from: use min, max or between`},
		},
		{
			name:   "a stage sourced from the central registry",
			config: strings.Replace(centralConfig, "    after: central\n", "    after: central\n    source: central\n", 1),
			model:  "  central:\n    version: 3\n",
		},
		{
			name: "source names a deploying environment",
			config: strings.Replace(strings.Replace(centralConfig, "    registryOnly: true\n", "    executionRoleArn: arn:aws:iam::444444444444:role/exec\n", 1),
				"    after: central\n", "    after: central\n    source: central\n", 1),
			model: "  central:\n    version: 3\n    endpoint: {name: a-central, instanceType: ml.m5.large, instanceCount: 1}\n",
			want:  []string{`p/modelpromote.yaml:13:13: environments[1].source: environment "central" is not registryOnly: only a central registry (registryOnly: true) can be a stage's source`},
		},
		{
			name:   "source names an unknown environment",
			config: strings.Replace(centralConfig, "    after: central\n", "    after: central\n    source: centrl\n", 1),
			model:  "  central:\n    version: 3\n",
			want:   []string{`p/modelpromote.yaml:13:13: source: unknown environment "centrl" (known: central, staging)`},
		},
		{
			name:   "a registry-only environment with a source",
			config: strings.Replace(centralConfig, "    registryOnly: true\n", "    registryOnly: true\n    source: staging\n", 1),
			model:  "  central:\n    version: 3\n",
			want:   []string{`p/modelpromote.yaml:6:13: environments[0].source: environment "central" is registryOnly: a central registry copies from the configuration's source, not from another environment`},
		},
		{
			name:   "a shared central registry",
			config: strings.Replace(centralConfig, "    registryOnly: true\n", "    registryOnly: true\n    sharedRegistry: true\n", 1),
			model:  "  central:\n    version: 3\n",
		},
		{
			name:   "only a registry-only environment shares its registry",
			config: strings.Replace(centralConfig, "    after: central\n", "    after: central\n    sharedRegistry: true\n", 1),
			model:  "  central:\n    version: 3\n",
			want:   []string{`p/modelpromote.yaml:13:5: environments[1].sharedRegistry: environment "staging" is not registryOnly: only a central registry (registryOnly: true) shares its model package groups with the stages sourced from it`},
		},
		{
			name:   "a deploying environment still needs its execution role",
			config: strings.Replace(centralConfig, "    executionRoleArn: arn:aws:iam::222222222222:role/exec\n", "", 1),
			model:  "  central:\n    version: 3\n",
			want:   []string{`p/modelpromote.yaml:11:5: environments[1].executionRoleArn is required`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := centralConfig
			if c.config != "" {
				cfg = c.config
			}
			tree := Tree{"p/modelpromote.yaml": []byte(cfg), "p/a.yaml": []byte(modelYAML("a", c.model))}
			assertProblems(t, tree, c.want)
		})
	}
}
