package artifacts_test

import (
	"testing"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
)

// Predict says which path Copy takes without writing anything, and agrees
// with what Copy then does.
func TestPredictAgreesWithCopyAndWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.put(t, shared, "m/readable.bin", pattern(1<<20), false)
	w.put(t, private, "m/private.bin", pattern(1<<20), false)
	c := w.copier()
	for _, tc := range []struct {
		bucket, key, want string
	}{
		{shared, "m/readable.bin", artifacts.PathServerSide},
		{private, "m/private.bin", artifacts.PathStreamed},
	} {
		src := artifacts.URI{Bucket: tc.bucket, Key: tc.key}
		dst := artifacts.URI{Bucket: target, Key: "copies/" + tc.key}
		w.srv.ResetRequests()
		got, err := c.Predict(ctx(t), src, dst)
		if err != nil || got.Path != tc.want || got.Size != 1<<20 {
			t.Fatalf("Predict(%s) = %+v, %v; want %s", src, got, err, tc.want)
		}
		for _, r := range w.srv.Requests() {
			if r.Operation != "HeadObject" {
				t.Errorf("Predict made a %s call", r.Operation)
			}
		}
		res, err := c.Copy(ctx(t), src, dst, "")
		if err != nil || res.Path != tc.want {
			t.Fatalf("Copy(%s) = %+v, %v; Predict said %s", src, res, err, tc.want)
		}
		if again, _ := c.Predict(ctx(t), src, dst); again.Path != artifacts.PathSkipped {
			t.Errorf("after the copy Predict says %s, want skipped", again.Path)
		}
	}
}
