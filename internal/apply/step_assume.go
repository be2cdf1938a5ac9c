package apply

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// assumeStep assumes the environment's deploy role; the steps after it
// work with the configuration it hands on.
type assumeStep struct {
	*plan.AssumeRole
	r *runner
}

func (s assumeStep) run(ctx context.Context, st *state) error {
	st.target = s.config()
	if _, err := st.target.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("assume %s: %w", s.RoleARN, err)
	}
	return nil
}

// predict hands on the configuration; its credentials are fetched by the
// first read that needs them.
func (s assumeStep) predict(_ context.Context, st *state, _ *PromotionPreview) error {
	st.target = s.config()
	return nil
}

func (s assumeStep) config() aws.Config {
	return s.r.accts.Environment(manifest.Environment{Name: s.Environment, Account: s.Account, Region: s.Region, RoleARN: s.RoleARN, ExternalID: s.ExternalID})
}
