package registry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/plan"
)

func tagsOf(a accounts, arn string) map[string]string {
	out := map[string]string{}
	for _, t := range a.sm.Tags(prod, region, arn) {
		out[t.Key] = t.Value
	}
	return out
}

const prodGroup = "arn:aws:sagemaker:" + region + ":" + prod + ":model-package-group/fraud"

// In an account whose service control policies require tags, the target
// group is created with the environment's and the endpoint's tags; the
// versioned package takes none of its own (SageMaker refuses them) and is
// admitted by its group's.
func TestRegisterTagsTheGroupInAGuardedAccount(t *testing.T) {
	a, ctx := start(t), t.Context()
	a.sm.SetGuardrail(prod, smemu.Guardrail{RequiredTags: []string{"CostCenter", "DataClassification"}})
	source, target, pkg, copied := a.copyOf(t, ctx)
	tags := map[string]string{"CostCenter": "4711", "DataClassification": "confidential", "Team": "fraud"}
	reg, err := target.RegisterCopy(ctx, source, registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied,
		Provenance: map[string]string{plan.ProvenanceSourceARN: pkg.ARN}, Tags: tags}, time.Millisecond)
	if err != nil {
		t.Fatalf("RegisterCopy: %v", err)
	}
	if got := tagsOf(a, prodGroup); len(got) != 3 || got["CostCenter"] != "4711" || got["DataClassification"] != "confidential" || got["Team"] != "fraud" {
		t.Errorf("group tags %v", got)
	}
	if got, ok := a.sm.ModelPackage(prod, region, reg.ARN); !ok || got.CustomerMetadataProperties[plan.ProvenanceSourceARN] != pkg.ARN {
		t.Errorf("package %s: provenance %+v", reg.ARN, got.CustomerMetadataProperties)
	}
}

// A group that predates the policy (or lost a tag) gets the keys it lacks;
// a value someone set on a key it has stays.
func TestRegisterCompletesTheTagsOfAnExistingGroup(t *testing.T) {
	a, ctx := start(t), t.Context()
	source, target, pkg, copied := a.copyOf(t, ctx)
	req := registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied,
		Provenance: map[string]string{plan.ProvenanceSourceARN: pkg.ARN}, Tags: map[string]string{"Team": "fraud-ops"}}
	if _, err := target.RegisterCopy(ctx, source, req, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	a.sm.SetGuardrail(prod, smemu.Guardrail{RequiredTags: []string{"CostCenter"}})
	req.Tags = map[string]string{"CostCenter": "4711", "Team": "fraud"}
	if _, err := target.RegisterCopy(ctx, source, req, time.Millisecond); err != nil {
		t.Fatalf("RegisterCopy into the group that predates the policy: %v", err)
	}
	if got := tagsOf(a, prodGroup); got["CostCenter"] != "4711" || got["Team"] != "fraud-ops" {
		t.Errorf("group tags %v, want CostCenter added and Team kept", got)
	}
}

// A tag the configuration does not have is explained: what was denied, that
// a version takes its group's tags, and which tags apply made sure of.
func TestRegisterExplainsAGuardrailDeny(t *testing.T) {
	a, ctx := start(t), t.Context()
	a.sm.SetGuardrail(prod, smemu.Guardrail{RequiredTags: []string{"CostCenter", "Owner"}})
	source, target, pkg, copied := a.copyOf(t, ctx)
	_, err := target.RegisterCopy(ctx, source, registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied,
		Provenance: map[string]string{plan.ProvenanceSourceARN: pkg.ARN}, Tags: map[string]string{"CostCenter": "4711"}}, time.Millisecond)
	if !errors.Is(err, registry.ErrGuardrail) {
		t.Fatalf("err = %v, want ErrGuardrail", err)
	}
	for _, want := range []string{"creating model package group fraud was denied by a service control policy", "perhaps require a tag", "it carried the tags CostCenter", "explicit deny"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if snap := a.sm.Snapshot(prod, region); len(snap.ModelPackages) != 0 {
		t.Errorf("%d packages created", len(snap.ModelPackages))
	}
}
