package apply

import (
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// The record step writes the record at the key the plan and the merge fix,
// encrypted with the environment's key, saying how the steps ended.
func TestRecordStepWritesTheOutcome(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.RecordEvidence](t, s)
	s.run(t, action[*plan.AssumeRole](t, s))
	s.st.failed = errors.New("copy s3://x: access denied")
	s.st.finish(s.r.env.now())
	s.run(t, a)
	if s.st.recordURI != "s3://"+a.Bucket+"/"+a.Key(stepMergeSHA) {
		t.Errorf("the record goes to %s/%s, the package names %s", a.Bucket, a.Key(stepMergeSHA), s.st.recordURI)
	}
	obj, ok := s.w.AWS.S3().Object(a.Bucket, a.Key(stepMergeSHA))
	if !ok || obj.KMSKeyID != a.KMSKeyARN || obj.ContentType != "application/json" {
		t.Fatalf("record object %+v (found %v)", obj, ok)
	}
	rc, err := s.w.AWS.S3().Open(a.Bucket, a.Key(stepMergeSHA))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != StateFailure || rec.Error != "copy s3://x: access denied" || rec.PullRequest.MergeSHA != stepMergeSHA || rec.FinishedAt.IsZero() {
		t.Errorf("record %+v", rec)
	}
}

// Predicting the record reads nothing and writes nothing.
func TestRecordStepPredictCallsNothing(t *testing.T) {
	s := newStepWorld(t)
	s.w.AWS.ResetRequests()
	st, _ := s.r.stepFor(action[*plan.RecordEvidence](t, s))
	if err := st.predict(t.Context(), s.st, &PromotionPreview{}); err != nil || len(s.w.AWS.Requests()) != 0 {
		t.Errorf("predict = %v, calls %v", err, s.w.AWS.Requests())
	}
}
