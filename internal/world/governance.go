package world

// The governance account of AWS's multi-account framework, where the model
// cards live (Options.Governance): apply records each promotion on the
// model's card there through the model-card role.
const (
	GovernanceAccount = "555555555555"
	// GovernanceRole is the model-card role's name in the governance
	// account.
	GovernanceRole = "modelpromote-model-cards"
)

// governanceConfig is the `governance` section Options.Governance adds to
// the example configuration.
const governanceConfig = `
# The governance account: after each applied promotion, apply records it on
# the model's card there (one card per model package group).
governance:
  account: "555555555555"
  region: eu-west-1
  roleArn: arn:aws:iam::555555555555:role/modelpromote-model-cards
  externalId: modelpromote-governance
`
