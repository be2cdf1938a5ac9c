package attack_test

import (
	"strings"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Issue 12 §4: the identity of a promotion, and §12's version numbers.

// The pull request points fraud-detector at another model package group
// but keeps the version numbers, so the diff reads like a change of
// settings. It is a different model: prod's version 11 of the new group was
// never live in staging.
func TestAttackGroupSwapKeepingVersionsSkipsNoGate(t *testing.T) {
	w := newWorld(t)
	if err := w.SeedVersions("fraud-detector-v2", 12); err != nil {
		t.Fatal(err)
	}
	swap := edit{"promotions/fraud-detector.yaml", "modelPackageGroup: fraud-detector\n", "modelPackageGroup: fraud-detector-v2\n"}
	n := openPR(t, w, "swap-group", swap, ghemu.Change{})
	approve(t, w, n, world.Bob, world.Gina, world.Gus)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, "fraud-detector/prod", plan.GatePolicy, "version 11 is not live in staging")
	mergeAnyway(t, w, n, "version 11 is not live in staging")
}

// Another model's file names fraud-detector's staging endpoint with other
// capitals. SageMaker endpoint names ignore case: applied, it would replace
// fraud-detector in staging.
func TestAttackEndpointNameCaseHijack(t *testing.T) {
	w := newWorld(t)
	if err := w.SeedVersions("churn-predictor", 8); err != nil {
		t.Fatal(err)
	}
	hijack := edit{"promotions/churn-predictor.yaml", "    version: 7\n    endpoint:\n      name: churn-predictor-staging\n",
		"    version: 8\n    endpoint:\n      name: Fraud-Detector-Staging\n"}
	n := openPR(t, w, "hijack", hijack, ghemu.Change{})
	approve(t, w, n, world.Bob)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, "churn-predictor/staging", plan.GateManifest, `endpoint "Fraud-Detector-Staging" in staging is also used by promotions/fraud-detector.yaml`)
	if !saidOnPR(w, n, "SageMaker endpoint names ignore case") {
		t.Error("the comment does not say why the names collide")
	}
	mergeAnyway(t, w, n, "SageMaker endpoint names ignore case")
}

// YAML reads 0x0D, 0o15, 1_3, +13 and !!int "13" as 13: the reviewer sees
// something else than a version number. Only plain decimal integers are
// read, and the error names the line and column.
func TestAttackNonDecimalVersionIsRefused(t *testing.T) {
	for _, written := range []string{"0x0D", "0o15", "1_3", "+13", `!!int "13"`} {
		t.Run(written, func(t *testing.T) {
			w := newWorld(t)
			e := edit{"promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: " + written + "\n"}
			n := openPR(t, w, "promote-13", e, ghemu.Change{})
			approve(t, w, n, world.Bob)
			res := runCheck(t, w, n)
			reason := "stages.staging.version must be an integer written as a plain decimal number, not " + written
			stopped(t, w, n, res, "", plan.GateManifest, reason)
			for _, f := range res.Plan.Findings {
				if strings.Contains(f.Message, reason) && (f.File != "promotions/fraud-detector.yaml" || f.Pos.Line != 10 || f.Pos.Col != 14) {
					t.Errorf("the finding is at %s:%d:%d, want promotions/fraud-detector.yaml:10:14", f.File, f.Pos.Line, f.Pos.Col)
				}
			}
			mergeAnyway(t, w, n, reason)
		})
	}
}
