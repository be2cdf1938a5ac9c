package propose

import (
	"context"
	"fmt"
	"strings"
)

// Revert proposes putting stage of model back to the version its endpoint
// actually serves, after the rollout of failedVersion (merged in pull
// request failedPR) failed and left the previous version serving. What
// serves is traced from the endpoint, not taken from the manifest's
// history, so the pull request makes git agree with reality.
func Revert(ctx context.Context, env Env, model, stage string, failedVersion, failedPR int) (*Result, error) {
	snap, err := env.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := snap.target(model, stage)
	if err != nil {
		return nil, err
	}
	cfg := snap.set.Config.Config
	stageEnv, _ := cfg.Environment(stage)
	endpoint := doc.Stages[stage].Endpoint.Name
	src := env.sources(cfg)
	s, err := src.stages.Serving(ctx, stageEnv, endpoint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read what %s serves: %w", stage, err)
	case s == nil:
		return nil, fmt.Errorf("endpoint %s does not exist in %s: there is no version to revert to", endpoint, stage)
	case s.SourceVersion == 0 || !strings.Contains(s.SourcePackageARN, "/"+strings.ToLower(doc.ModelPackageGroup)+"/"):
		return nil, fmt.Errorf("endpoint %s in %s serves %s: there is no version of %s to revert to", endpoint, stage, describe(s), doc.ModelPackageGroup)
	}
	return open(ctx, env, snap, src, Request{Kind: KindRevert, Model: model, Stage: stage, Version: s.SourceVersion,
		FailedVersion: failedVersion, FailedPR: failedPR})
}
