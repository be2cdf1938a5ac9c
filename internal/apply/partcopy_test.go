package apply_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Model data large enough for parts, which the check read to bind (S3
// keeps no full-object SHA-256 of it), is copied server-side in the parts
// the check hashed, verified by S3's part SHA-256s against the composite
// the check bound: apply reads no byte of the source. The evidence record
// keeps the whole SHA-256 as the copy's identity and the parts digest
// beside it; a rerun changes nothing.
func TestLargeModelDataIsCopiedInTheChecksPartsWithoutReadingIt(t *testing.T) {
	w := newWorld(t, world.Options{})
	model := w.Models["fraud-detector"][13].Package.InferenceSpecification.Containers[0].ModelDataUrl
	key := strings.TrimPrefix(model, "s3://"+world.DevBucket+"/")
	size := int64(plan.PartsDigestAbove + 9<<20)
	if err := w.AWS.S3().PutSyntheticObject(world.DevBucket, key, 7, size); err != nil {
		t.Fatal(err)
	}
	want, _ := w.AWS.S3().SyntheticSHA256(7, size)
	reads := func() (callers []string) {
		for _, r := range w.AWS.Requests() {
			if r.Service == "s3" && r.Operation == "GetObject" && r.Path == "/"+world.DevBucket+"/"+key {
				callers = append(callers, r.Caller)
			}
		}
		return callers
	}
	n := mergedPR(t, w, stagingChange)
	if len(reads()) == 0 {
		t.Fatal("the check's read of the model data is not seen: the read assertion below could not fail")
	}
	w.AWS.ResetRequests()
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if callers := reads(); len(callers) > 0 {
		t.Errorf("apply read the model data (GetObject as %v)", callers)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	var got *apply.RecordArtifact
	for i, a := range rec.Artifacts {
		if a.Source == model {
			got = &rec.Artifacts[i]
		}
	}
	if got == nil {
		t.Fatalf("model data not in the record: %+v", rec.Artifacts)
	}
	if got.Path != artifacts.PathServerSideMultipart || got.SHA256 != want || got.Size != size || got.Parts == nil || got.Parts.PartSize != 32<<20 {
		t.Fatalf("model data recorded as %+v (parts %+v), want multipart in 32 MiB parts with SHA-256 %s", got, got.Parts, want)
	}
	bucket, tkey, _ := strings.Cut(strings.TrimPrefix(got.Target, "s3://"), "/")
	o, _ := w.AWS.S3().Object(bucket, tkey)
	if o.ChecksumType != "COMPOSITE" || o.Checksum != got.Parts.SHA256 || o.Parts != 5 {
		t.Errorf("target checksum %s %s in %d parts, want the recorded composite %s in 5", o.ChecksumType, o.Checksum, o.Parts, got.Parts.SHA256)
	}
	if sum, err := w.AWS.S3().SHA256(bucket, tkey); err != nil || sum != want {
		t.Errorf("target SHA-256 %s (%v), want %s", sum, err, want)
	}

	w.AWS.ResetRequests()
	again := runApply(t, applyEnv(w), n)
	if again.Failed() || again.Outcomes[0].State != apply.StateAlreadyApplied {
		t.Fatalf("second run %+v", again.Outcomes)
	}
	if n := w.AWS.Count("s3", "UploadPartCopy") + w.AWS.Count("s3", "CopyObject"); n != 0 {
		t.Errorf("rerun copied again: %d calls", n)
	}
}
