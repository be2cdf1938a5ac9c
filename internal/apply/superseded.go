package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// StateSuperseded is a promotion a later merge changed before this merge
// was applied: applying it would move the endpoint back to what main no
// longer says.
const StateSuperseded = "superseded"

// supersededOutcome reports a superseded promotion: already applied when
// this merge's deployment of it finished before it was superseded,
// otherwise not applied, with why. It creates no deployment.
func (r *runner) supersededOutcome(ctx context.Context, pr *plan.Promotion, why string) Outcome {
	o := Outcome{Model: pr.Model, Stage: pr.Stage, State: StateSuperseded, Error: why}
	d, err := r.env.Repo.FindDeployment(ctx, r.deploymentSpec(pr))
	switch {
	case err != nil:
		o.State, o.Error = StateFailure, err.Error()
	case d.Done():
		o.State, o.Error = StateAlreadyApplied, ""
	}
	return o
}

// superseded finds the plan's promotions that a later merge into the
// default branch has superseded: the branch's tip no longer names this
// version of this model package group for the stage, or no longer has the
// stage at all. An older merge applied after a newer one (a manual rerun,
// reconciliation after a lost delivery, a rerun after a failed rollout)
// would otherwise put the endpoint back on the older version while main
// says the newer. It reads the branch's tip as admit found it, and returns
// the reason per promotion key.
func superseded(ctx context.Context, env Env, branch defaultBranch, mergeSHA string, p *plan.Plan) (map[string]string, error) {
	def, tip := branch.name, branch.tip
	if len(p.Promotions) == 0 || tip == "" || tip == mergeSHA {
		return nil, nil
	}
	tree, err := env.Repo.Tree(ctx, tip, env.Dir)
	if err != nil {
		return nil, err
	}
	now := manifest.Load(tree, env.Dir)
	out := map[string]string{}
	for _, pr := range p.Promotions {
		doc := now.Models[pr.Model]
		var st manifest.Stage
		has := doc != nil && doc.Model != nil
		if has {
			st, has = doc.Stages[pr.Stage]
		}
		switch {
		case !has:
			out[pr.Key()] = fmt.Sprintf("superseded: %s at %s no longer promotes %s to %s (a later merge removed it); this merge's v%d is not applied",
				def, gitsha.Short(tip), pr.Model, pr.Stage, pr.ToVersion)
		case st.Version != pr.ToVersion || !strings.EqualFold(doc.ModelPackageGroup, pr.ModelPackageGroup):
			out[pr.Key()] = fmt.Sprintf("superseded by a later merge: %s at %s says %s v%d for %s, this merge says %s v%d; applying it would put %s back on what main no longer says",
				def, gitsha.Short(tip), doc.ModelPackageGroup, st.Version, pr.Stage, pr.ModelPackageGroup, pr.ToVersion, pr.To.Name)
		}
	}
	return out, nil
}
