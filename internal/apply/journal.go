package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// scalingJournal is the deploy step's endpoints.Journal: the registration
// an instance-type change takes down is kept as a plan.ScalingJournal in
// the stage's artifact bucket (plan.ScalingJournalKey), written with the
// deploy role under the stage's KMS key, and read back only when the
// core's trust rule holds (plan.StoredScalingJournal.Untrusted). A journal
// that fails it stops the deployment before anything changes, saying why.
type scalingJournal struct {
	store             *artifacts.Store
	env               manifest.Environment
	endpoint, variant string
	now               func() time.Time
}

func (j scalingJournal) uri() artifacts.URI {
	return artifacts.URI{Bucket: j.env.ArtifactBucket, Key: plan.ScalingJournalKey(j.endpoint, j.variant)}
}

// Load implements endpoints.Journal.
func (j scalingJournal) Load(ctx context.Context) ([]byte, error) {
	s, err := j.store.ScalingJournal(ctx, j.env, j.endpoint, j.variant)
	if err != nil {
		return nil, fmt.Errorf("the scaling journal of variant %s cannot be read (%w): nothing is registered and the endpoint is left as it is until it can", j.variant, err)
	}
	if s == nil {
		return nil, nil
	}
	if why := s.Untrusted(j.env, j.endpoint, j.variant); why != "" {
		return nil, fmt.Errorf("the scaling journal %s is not trusted: %s. Nothing is registered from it and the endpoint is left as it is: "+
			"find out who wrote it, put the variant's scaling back by hand if an earlier deployment took it down, then delete the object", s.URI, why)
	}
	return s.Journal.Registration, nil
}

// Save implements endpoints.Journal.
func (j scalingJournal) Save(ctx context.Context, registration []byte) error {
	data, err := json.MarshalIndent(plan.NewScalingJournal(j.env, j.endpoint, j.variant, registration, j.now()), "", "  ")
	if err != nil {
		return err
	}
	if len(data) > plan.MaxScalingJournalBytes {
		return fmt.Errorf("the registration (%d bytes) is larger than a scaling journal may be (%d); deregister it by hand, deploy, and register it again", len(data), plan.MaxScalingJournalBytes)
	}
	return j.store.Put(ctx, j.uri(), data, "application/json", j.env.KMSKeyARN)
}

// Clear implements endpoints.Journal.
func (j scalingJournal) Clear(ctx context.Context) error {
	return j.store.Delete(ctx, j.uri())
}
