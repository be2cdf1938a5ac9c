package world

import (
	"context"
	"io/fs"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/promotions"
)

// What Deploy sets up besides the model: the endpoint as the example
// manifests configure it, with the settings apply would give it
// (plan.DeployFor), so that what the world seeds is what an earlier apply
// left and `drift` finds nothing to report until someone changes it.

// stageEndpoint is the example manifests' endpoint of a stage of group
// named name, with what apply would create it with; a plain one-instance
// endpoint with the environment's settings when the example has none.
func stageEndpoint(env manifest.Environment, stage, group, name string) *plan.Deploy {
	entries, _ := fs.ReadDir(promotions.Files, ".")
	for _, e := range entries {
		if e.Name() == manifest.ConfigFile {
			continue
		}
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		m, ps := manifest.ParseModel("promotions/"+e.Name(), data)
		if len(ps) > 0 || m.ModelPackageGroup != group {
			continue
		}
		if st, ok := m.Stages[stage]; ok && st.Endpoint.Name == name {
			return plan.DeployFor(env, group, st.Endpoint)
		}
	}
	return plan.DeployFor(env, group, manifest.Endpoint{Name: name, InstanceType: "ml.m5.large", InstanceCount: 1})
}

func tagList(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// endpointConfigInput is the config apply would create for d serving
// model (endpoints.ConfigInput), with the environment's tags only: the
// provenance tags name an apply's deployment, and this is none.
func endpointConfigInput(d *plan.Deploy, model string) *sagemaker.CreateEndpointConfigInput {
	in := endpoints.ConfigInput(endpoints.Request{Endpoint: d.Endpoint, Settings: d.Settings}, model)
	in.Tags = tagList(d.Settings.Tags)
	return in
}

// registerScaling registers d's variant for autoscaling, as apply does
// after a successful rollout.
func (w *World) registerScaling(ctx context.Context, account string, d *plan.Deploy) error {
	a := d.Endpoint.Autoscaling
	if a == nil {
		return nil
	}
	return endpoints.NewDeployer(w.AdminAWS(account)).RegisterScaling(ctx, d.Endpoint.Name, d.Endpoint.Variant(), *a)
}
