package world

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// vpcOf and tagsOf are an environment's network and tags for what the
// world creates by hand: a platform team deploying outside the bot passes
// the same guardrails.
func vpcOf(env manifest.Environment) *types.VpcConfig {
	if env.VPC == nil {
		return nil
	}
	return &types.VpcConfig{Subnets: env.VPC.Subnets, SecurityGroupIds: env.VPC.SecurityGroups}
}

func tagsOf(env manifest.Environment) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(env.Tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(env.Tags[k])})
	}
	return out
}
