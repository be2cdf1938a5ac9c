package apply

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The register step registers the copy in the target account with the
// plan's provenance and the merge's, every URI on the copies, and hands on
// its ARN; predict says create before and adopt after.
func TestRegisterStepRegistersTheCopyWithTheMergesProvenance(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.RegisterPackage](t, s)
	s.run(t, action[*plan.AssumeRole](t, s), action[*plan.CopyArtifacts](t, s))
	st, _ := s.r.stepFor(a)
	var before PromotionPreview
	if err := st.predict(t.Context(), s.st, &before); err != nil || !strings.HasPrefix(before.Package, "create a package in group fraud-detector") {
		t.Fatalf("predict before = %q, %v", before.Package, err)
	}
	s.run(t, a)
	if s.st.packageARN == "" || s.st.record.Target.PackageARN != s.st.packageARN || s.st.record.Target.Version == 0 {
		t.Fatalf("handed on %q, recorded %+v", s.st.packageARN, s.st.record.Target)
	}
	pkg, ok := s.w.SageMaker.ModelPackage(world.StagingAccount, world.Region, s.st.packageARN)
	if !ok {
		t.Fatalf("no package %s in staging", s.st.packageARN)
	}
	meta := pkg.CustomerMetadataProperties
	for k, want := range map[string]string{
		plan.ProvenanceSourceARN:     world.PackageARN("fraud-detector", 13),
		plan.ProvenanceSourceAccount: world.DevAccount,
		plan.ProvenanceMergeSHA:      stepMergeSHA,
		plan.ProvenanceApprovers:     world.Bob,
		plan.ProvenanceEvidence:      s.st.recordURI,
	} {
		if meta[k] != want {
			t.Errorf("%s = %q, want %q", k, meta[k], want)
		}
	}
	if pkg.ModelApprovalStatus != "Approved" || strings.Contains(pkg.InferenceSpecification.Containers[0].ModelDataUrl, world.DevBucket) {
		t.Errorf("package %s approval %s, model data %s", pkg.ModelPackageArn, pkg.ModelApprovalStatus, pkg.InferenceSpecification.Containers[0].ModelDataUrl)
	}
	var after PromotionPreview
	if err := st.predict(t.Context(), s.st, &after); err != nil || after.Package != "adopt "+s.st.packageARN+" (registered from the same source package by an earlier run)" {
		t.Errorf("predict after = %q, %v", after.Package, err)
	}
}

// Without the copy step's copies, nothing is registered: the package would
// point back into the source account.
func TestRegisterStepRefusesWhatWasNotCopied(t *testing.T) {
	s := newStepWorld(t)
	s.run(t, action[*plan.AssumeRole](t, s))
	st, _ := s.r.stepFor(action[*plan.RegisterPackage](t, s))
	if err := st.run(t.Context(), s.st); err == nil || !strings.Contains(err.Error(), "was not copied to the target account") {
		t.Fatalf("run = %v", err)
	}
	for _, p := range s.w.SageMaker.Snapshot(world.StagingAccount, world.Region).ModelPackages {
		if p.CustomerMetadataProperties[plan.ProvenanceSourceARN] == world.PackageARN("fraud-detector", 13) {
			t.Errorf("registered %s", p.ModelPackageArn)
		}
	}
}
