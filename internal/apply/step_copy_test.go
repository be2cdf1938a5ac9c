package apply

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The copy step copies every object the plan lists to its target, with the
// digest the check saw, and hands on where each went.
func TestCopyStepCopiesEveryPlannedObject(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.CopyArtifacts](t, s)
	if len(a.Objects) < 3 {
		t.Fatalf("the check bound %d objects: %+v", len(a.Objects), a.Objects)
	}
	s.run(t, action[*plan.AssumeRole](t, s), a)
	if len(s.st.copied) != len(a.Objects) || len(s.st.record.Artifacts) != len(a.Objects) {
		t.Fatalf("copied %v, recorded %+v", s.st.copied, s.st.record.Artifacts)
	}
	for i, o := range a.Objects {
		u, _ := artifacts.ParseURI(o.Target)
		got, err := s.w.AWS.S3().SHA256(u.Bucket, u.Key)
		if err != nil || got != s.st.record.Artifacts[i].SHA256 || (o.SHA256 != "" && got != o.SHA256) {
			t.Errorf("%s: target sha %s (%v), recorded %s, planned %s", o.Source, got, err, s.st.record.Artifacts[i].SHA256, o.SHA256)
		}
		if s.st.copied[o.Source] != o.Target {
			t.Errorf("%s handed on as %s", o.Source, s.st.copied[o.Source])
		}
	}
}

// Predict says how each object would be copied, writing nothing; after the
// copy it says each is already there.
func TestCopyStepPredictWritesNothing(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.CopyArtifacts](t, s)
	s.run(t, action[*plan.AssumeRole](t, s))
	st, _ := s.r.stepFor(a)
	s.w.AWS.ResetRequests()
	var pv PromotionPreview
	if err := st.predict(t.Context(), s.st, &pv); err != nil {
		t.Fatal(err)
	}
	if w := s.writes(); len(w) > 0 || len(pv.Copies) != len(a.Objects) {
		t.Fatalf("writes %v, copies %+v", w, pv.Copies)
	}
	for _, c := range pv.Copies {
		if c.Path == artifacts.PathSkipped {
			t.Errorf("%s predicted skipped before any copy", c.Source)
		}
	}
	s.run(t, a)
	pv = PromotionPreview{}
	if err := st.predict(t.Context(), s.st, &pv); err != nil {
		t.Fatal(err)
	}
	for _, c := range pv.Copies {
		if c.Path != artifacts.PathSkipped {
			t.Errorf("after the copy %s predicted %s", c.Source, c.Path)
		}
	}
}

// An object that cannot be copied safely stops the whole copy before any
// byte moves.
func TestCopyStepRefusesAnUnsafeObject(t *testing.T) {
	for name, spoil := range map[string]func(*plan.CopyArtifacts){
		"digest not SHA-256": func(a *plan.CopyArtifacts) { a.Objects[0].Problem = "x: ContentDigest \"md5:1\" is not sha256:<hex>" },
		"climbing key":       func(a *plan.CopyArtifacts) { a.Objects[0].Source = "s3://" + world.DevBucket + "/a/../../b" },
		"unbound":            func(a *plan.CopyArtifacts) { a.SourcePackageARN = "" },
		"object not bound":   func(a *plan.CopyArtifacts) { a.Objects[1].ETag, a.Objects[1].SHA256 = "", "" },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStepWorld(t)
			a := action[*plan.CopyArtifacts](t, s)
			spoil(a)
			s.run(t, action[*plan.AssumeRole](t, s))
			s.w.AWS.ResetRequests()
			st, _ := s.r.stepFor(a)
			err := st.run(t.Context(), s.st)
			if err == nil || !(strings.Contains(err.Error(), "cannot be copied safely") || strings.Contains(err.Error(), "objects are unknown") || strings.Contains(err.Error(), "did not bind")) {
				t.Fatalf("run = %v", err)
			}
			if len(s.w.AWS.Requests()) != 0 || s.st.copied != nil {
				t.Errorf("calls %v, copied %v", s.w.AWS.Requests(), s.st.copied)
			}
		})
	}
}
