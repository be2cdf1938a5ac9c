package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// deployStep deploys the registered package to the endpoint with the
// manifest's rollout, waits for the verdict, and then cleans up configs
// the rollout superseded.
type deployStep struct {
	*plan.Deploy
	r *runner
}

func (s deployStep) run(ctx context.Context, st *state) error {
	if len(s.Images) == 0 {
		return fmt.Errorf("the images of %s version %d were not bound to digests by the check", s.Model, s.SourceVersion)
	}
	d := s.deployer(st)
	out, err := d.Deploy(ctx, endpoints.Request{
		Endpoint:         s.Endpoint,
		PackageARN:       st.packageARN,
		ExecutionRoleARN: s.ExecutionRoleARN,
		DeployID:         fmt.Sprintf("v%d-%s", s.SourceVersion, gitsha.Short(st.merge.MergeSHA)),
		Tags: map[string]string{
			plan.ProvenanceSourceARN: s.SourcePackageARN,
			plan.ProvenanceMergeSHA:  st.merge.MergeSHA,
		},
		Settings: s.Settings,
		Journal: scalingJournal{store: artifacts.New(st.target, s.Account, s.r.env.S3PathStyle), env: st.promotion.Environment,
			endpoint: s.Endpoint.Name, variant: s.Endpoint.Variant(), now: s.r.env.now},
	})
	ep := &st.record.Endpoint
	ep.ConfigBefore, ep.ConfigAfter, ep.Model = out.PreviousConfig, out.NewConfig, out.Model
	ep.Status, ep.FailureReason, ep.RolledBack, ep.CreatedNew = out.Status, out.FailureReason, out.RolledBack, out.Created
	var notes []string
	for _, n := range []string{out.Sizing.Note, out.Scaling, out.Warning} {
		if n != "" {
			s.r.progress("%s/%s: endpoint %s: %s", s.Model, s.Stage, s.Endpoint.Name, n)
			notes = append(notes, n)
		}
	}
	ep.Capacity = strings.Join(notes, "; ")
	if err != nil {
		return err
	}
	if err := d.Cleanup(ctx, s.Endpoint.Name, 2); err != nil {
		s.r.progress("%s/%s: cleanup of superseded configs failed (left in place): %v", s.Model, s.Stage, err)
	}
	return nil
}

func (s deployStep) predict(ctx context.Context, st *state, pv *PromotionPreview) error {
	ep, err := s.deployer(st).Describe(ctx, s.Endpoint.Name)
	switch {
	case err != nil:
		return err
	case ep.EndpointStatus == "":
		pv.Endpoint = fmt.Sprintf("create endpoint %s: %s", s.Endpoint.Name, plan.CapacitySummary(s.Endpoint))
	default:
		pv.Endpoint = fmt.Sprintf("update endpoint %s (%s, on config %s) with rollout %s: %s", s.Endpoint.Name, ep.EndpointStatus,
			ep.Config, plan.RolloutSummary(s.Endpoint.Rollout), plan.CapacitySummary(s.Endpoint))
	}
	if sum := s.Settings.Summary(); sum != "" {
		pv.Endpoint += "; " + sum
	}
	for _, i := range s.Images {
		pv.Endpoint += "; image " + i.Image
	}
	return nil
}

func (s deployStep) deployer(st *state) *endpoints.Deployer {
	d := endpoints.NewDeployer(st.target)
	d.Poll, d.Timeout, d.RecreateFailed = s.r.env.Poll, s.r.env.EndpointTimeout, s.r.env.RecreateFailed
	if s.r.env.Interrupt != nil {
		// The deploy step's inner boundaries (scaling taken down, rollout
		// ended) are crash points too.
		d.Interrupt = func(b endpoints.Boundary) error {
			return s.r.interruptAt(s.Model, s.Stage, DeployBoundary(b))
		}
	}
	d.Progress = func(p endpoints.Status) {
		state := p.EndpointStatus
		if state == "" {
			state = "absent"
		}
		if p.Stage != "" {
			state += " [" + p.Stage + "]"
		}
		s.r.progress("%s/%s: endpoint %s %s (config %s)", s.Model, s.Stage, s.Endpoint.Name, state, orDefault(p.Config, "none"))
	}
	return d
}

// DeployBoundary is the step kind Env.Interrupt sees at a boundary inside
// the deploy step: "deploy:<boundary>".
func DeployBoundary(b endpoints.Boundary) plan.ActionKind {
	return plan.ActionDeploy + ":" + plan.ActionKind(b)
}
