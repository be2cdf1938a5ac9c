package world

import (
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ProdGuardrail is what the prod account's service control policies
// demand of SageMaker creates, as a regulated enterprise's platform team
// writes them: a VPC, network isolation, a volume key, and the cost and
// data-classification tags. The example configuration's prod environment
// sets all of it, so every scenario that applies to prod proves apply
// passes them.
var ProdGuardrail = sagemaker.Guardrail{RequireVPC: true, RequireNetworkIsolation: true, RequireVolumeKey: true,
	RequiredTags: []string{"CostCenter", "DataClassification"}}

// vpcOf is an environment's network for what the world creates by hand: a
// platform team deploying outside the bot passes the same guardrails.
func vpcOf(env manifest.Environment) *types.VpcConfig {
	if env.VPC == nil {
		return nil
	}
	return &types.VpcConfig{Subnets: env.VPC.Subnets, SecurityGroupIds: env.VPC.SecurityGroups}
}
