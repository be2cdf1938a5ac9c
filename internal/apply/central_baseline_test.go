package apply_test

import (
	"testing"

	"github.com/modelpromote/modelpromote/internal/world"
)

// A stage sourced from the central registry judges a new version against
// the one it runs: the live version's reports are the copies its evidence
// record lists, at the keys apply wrote them (the dev version's numbers,
// which the central registry's copy of the live version does not carry).
func TestStageSourcedFromCentralComparesWithTheVersionItRuns(t *testing.T) {
	w := centralWorld(t)
	steps := []change{
		{file: riskFile, to: riskCentral, approvers: []string{world.Bob}},
		{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging, approvers: []string{world.Bob}},
		{file: riskFile, from: "  central:\n    version: 3\n", to: "  central:\n    version: 4\n", approvers: []string{world.Bob}},
		{file: riskFile, from: "  staging:\n    version: 3\n", to: "  staging:\n    version: 4\n", approvers: []string{world.Bob}},
	}
	for i, c := range steps {
		res := runApply(t, applyEnv(w), mergedPR(t, w, c))
		if res.Failed() {
			t.Fatalf("step %d: refused %v outcomes %+v", i+1, res.Refused, res.Outcomes)
		}
		if i < len(steps)-1 {
			continue
		}
		pr := res.Plan.Promotions[0]
		compared := false
		for _, row := range pr.Details.Evaluation {
			if row.Path == "binary_classification_metrics.auc" && row.Old.Set && row.New.Set {
				compared = true
			}
		}
		if !compared {
			t.Errorf("staging's v4 was not compared with the v3 it runs: %+v", pr.Details.Evaluation)
		}
	}
	if s := serving(t, w, "staging", "risk-score-staging"); s == nil || s.SourceVersion != 4 {
		t.Fatalf("staging serves %+v", s)
	}
}
