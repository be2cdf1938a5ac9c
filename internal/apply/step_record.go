package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// recordStep writes the evidence record into the target bucket, encrypted
// with the environment's key, whatever the other steps did.
type recordStep struct {
	*plan.RecordEvidence
	r *runner
}

func (s recordStep) run(ctx context.Context, st *state) error {
	data, err := json.MarshalIndent(st.record, "", "  ")
	if err != nil {
		return err
	}
	store := artifacts.New(st.target, s.Account, s.r.env.S3PathStyle)
	uri := artifacts.URI{Bucket: s.Bucket, Key: s.Key(st.merge.MergeSHA)}
	if err := store.Put(ctx, uri, data, "application/json", s.KMSKeyARN); err != nil {
		return fmt.Errorf("write evidence record: %w", err)
	}
	return nil
}

// predict has nothing to add: the record is written in any case.
func (s recordStep) predict(context.Context, *state, *PromotionPreview) error { return nil }

// finish stamps the record with how the steps before it ended.
func (st *state) finish(now time.Time) {
	st.record.FinishedAt = now.UTC()
	st.record.Outcome, st.record.Error = StateSuccess, ""
	if st.failed != nil {
		st.record.Outcome, st.record.Error = StateFailure, st.failed.Error()
	}
}
