package apply

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// cardStep records a successful promotion on the model's card in the
// governance account, after the evidence record. It runs only when every
// step before it succeeded (walk skips it after a failure). A card that
// cannot be written fails the promotion's outcome, with the endpoint left
// serving and the record written: the GitHub deployment is not done, so a
// rerun of apply (every step idempotent) completes the card.
type cardStep struct {
	*plan.UpdateModelCard
	r *runner
}

func (s cardStep) run(ctx context.Context, st *state) error {
	cfg := s.r.accts.Governance(manifest.Governance{Account: s.Account, Region: s.Region, RoleARN: s.RoleARN, ExternalID: s.ExternalID})
	rec := st.record
	d := registry.CardDeployment{Model: rec.Model, Stage: rec.Stage, Version: rec.ToVersion, Account: rec.Endpoint.Account, Region: rec.Endpoint.Region,
		Endpoint: rec.Endpoint.Name, Since: rec.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"), PullRequestURL: rec.PullRequest.URL, EvidenceURI: st.recordURI}
	for _, a := range rec.Approvals {
		d.Approvers = append(d.Approvers, a.Login)
	}
	if err := registry.New(cfg, s.Account).RecordDeployment(ctx, s.Card, d); err != nil {
		return fmt.Errorf("deployed and recorded, but the model card in governance account %s was not updated (re-run apply to complete it): %w", s.Account, err)
	}
	return nil
}

func (s cardStep) predict(context.Context, *state, *PromotionPreview) error {
	return nil
}
