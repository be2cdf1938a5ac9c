package attack_test

import (
	"math"
	"strings"
	"testing"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Issue 12 §3: gates that fail open. Prod bounds the AUC's regression
// against the live version (maxRegression 0.01) and comes after staging.

const prodKey = "fraud-detector/prod"

// regressingWorld puts version 14 live in staging: its AUC is 0.015 below
// prod's live version 11, beyond prod's bound.
func regressingWorld(t *testing.T) *world.World {
	t.Helper()
	w := newWorld(t)
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", StdDev: math.NaN(),
		Metrics: map[string]float64{"auc": 0.84, "f1": 0.78, "precision": 0.8, "recall": 0.76, "accuracy": 0.82}})
	if err != nil || v != 14 {
		t.Fatalf("seeded %d: %v", v, err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 14, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	return w
}

var prodTo14 = edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n", "  prod:\n    version: 14\n"}

// Someone who can write in the dev bucket overwrites the live version's
// statistics. The regression bound used to be skipped for want of a
// baseline, and once digests were required the overwrite failed it (a dev
// writer could block a promotion). The baseline now comes from the copy
// prod took of version 11, verified against its evidence record: the
// overwrite moves nothing, and the regressing candidate is refused for its
// regression.
func TestAttackTamperedLiveReportInDevDoesNotMoveTheBaseline(t *testing.T) {
	w := regressingWorld(t)
	stats := w.Models["fraud-detector"][11].Package.ModelMetrics.ModelQuality.Statistics.S3Uri
	if err := w.AWS.S3().PutObject(world.DevBucket, strings.TrimPrefix(stats, "s3://"+world.DevBucket+"/"), []byte(`{"binary_classification_metrics":{}}`)); err != nil {
		t.Fatal(err)
	}
	n := openPR(t, w, "promote-prod-14", prodTo14, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, prodKey, plan.GateEvaluation, "binary_classification_metrics.auc: regression 0.015 > allowed 0.01 (live 0.855 → 0.84)")
	mergeAnyway(t, w, n, "regression 0.015 > allowed 0.01")
}

// Someone who can write in prod's bucket overwrites prod's copy of the
// live version's statistics with a lower AUC, so that the regressing
// candidate looks like an improvement. The copy no longer has the SHA-256
// the evidence record of version 11's deployment lists: there is no
// baseline, and the bound fails saying why.
func TestAttackTamperedBaselineCopyInTheTargetFailsClosed(t *testing.T) {
	w := regressingWorld(t)
	env, _ := w.Config.Environment("prod")
	stats := w.Models["fraud-detector"][11].Package.ModelMetrics.ModelQuality.Statistics.S3Uri
	copied := plan.TargetKey(plan.ArtifactPrefix("fraud-detector", 11), stats)
	lower := evidence.SampleModelQuality(evidence.BinaryClassification, map[string]float64{"auc": 0.80, "f1": 0.7, "precision": 0.7, "recall": 0.7, "accuracy": 0.8}, math.NaN())
	if err := w.AWS.S3().PutObject(env.ArtifactBucket, copied, lower); err != nil {
		t.Fatal(err)
	}
	n := openPR(t, w, "promote-prod-14", prodTo14, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	res := runCheck(t, w, n)
	reason := "no baseline to judge the regression bound: report modelQuality (statistics) of the live version 11 has a copy s3://" + env.ArtifactBucket + "/" + copied + " whose SHA-256"
	stopped(t, w, n, res, prodKey, plan.GateEvaluation, reason)
	mergeAnyway(t, w, n, "no baseline to judge the regression bound")
}

// The check's role cannot read the prod endpoint: what it serves, and so
// the regression baseline, is unknown.
func TestAttackUnreadableLiveEndpointFailsClosed(t *testing.T) {
	w := regressingWorld(t)
	n := openPR(t, w, "promote-prod-14", prodTo14, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	remove := w.AWS.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "DescribeEndpoint", Account: world.ProdAccount, AccessDenied: true})
	defer remove()
	res := runCheck(t, w, n)
	stopped(t, w, n, res, prodKey, plan.GateEvaluation, "could not read what endpoint fraud-detector serves in prod")
	mergeAnyway(t, w, n, "could not read what endpoint fraud-detector serves in prod")
}

// The promotion also moves prod to a new endpoint name, which does not
// exist yet: it used to read as a first deployment, with no baseline, so
// the regression bound was skipped.
func TestAttackRenamedEndpointKeepsTheRegressionBaseline(t *testing.T) {
	w := regressingWorld(t)
	renamed := edit{"promotions/fraud-detector.yaml", "  prod:\n    version: 11\n    endpoint:\n      name: fraud-detector\n",
		"  prod:\n    version: 14\n    endpoint:\n      name: fraud-detector-v2\n"}
	n := openPR(t, w, "promote-prod-14", renamed, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	res := runCheck(t, w, n)
	stopped(t, w, n, res, prodKey, plan.GateEvaluation, "binary_classification_metrics.auc: regression 0.015 > allowed 0.01")
	mergeAnyway(t, w, n, "regression 0.015 > allowed 0.01")
}
