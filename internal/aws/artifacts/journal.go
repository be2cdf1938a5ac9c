package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// ScalingJournal reads the scaling journal of endpoint's variant in env's
// bucket (plan.ScalingJournalKey), with what S3 said of the object: nil
// when there is none. Bytes that are not a journal are the result's Err;
// only a failed read is an error. Apply (before an update) and drift both
// read it here and judge it with plan.StoredScalingJournal.Untrusted.
func (s *Store) ScalingJournal(ctx context.Context, env manifest.Environment, endpoint, variant string) (*plan.StoredScalingJournal, error) {
	uri := URI{Bucket: env.ArtifactBucket, Key: plan.ScalingJournalKey(endpoint, variant)}.String()
	body, info, err := s.Open(ctx, uri)
	if errors.Is(err, plan.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, plan.MaxScalingJournalBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	j := &plan.StoredScalingJournal{URI: uri, Object: info}
	j.Journal, j.Err = plan.DecodeScalingJournal(uri, data)
	return j, nil
}

// ScalingJournal reads a stage's scaling journal with env's credentials.
func (e *Evidence) ScalingJournal(ctx context.Context, env manifest.Environment, endpoint, variant string) (*plan.StoredScalingJournal, error) {
	return e.Store(env).ScalingJournal(ctx, env, endpoint, variant)
}
