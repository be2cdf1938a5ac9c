package apply

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// summary is an evaluation as one line: its name, then each group with
// its metrics.
func summary(e registry.CardEvaluation) string {
	s := e.Report + " " + e.Name
	for _, g := range e.Groups {
		var ms []string
		for _, m := range g.Metrics {
			v := fmt.Sprint(m.Value)
			if m.Text != "" {
				v = m.Text
			}
			ms = append(ms, m.Name+"="+v)
		}
		s += " | " + g.Name + ": " + strings.Join(ms, " ")
	}
	return s
}

func checked(kind manifest.ReportKind, part, uri string, status plan.Status, problem string) plan.ReportCheck {
	return plan.ReportCheck{ReportRef: plan.ReportRef{Kind: kind, Part: part, S3URI: uri, Digest: "sha256:recorded"},
		ComputedDigest: "sha256:" + part, Status: status, Problem: problem}
}

func row(path string, old, new evidence.Number) plan.MetricRow {
	return plan.MetricRow{Change: evidence.Change{Path: path, Old: old, New: new}}
}

// The reports the promotion's check read become the card's
// evaluation_details: one per report kind in the policy's order, the model
// card excluded, with the candidate's metrics grouped as SageMaker groups
// them, and an observation naming each file, its digest and the verdict.
func TestCardEvaluationsFromTheReportsRead(t *testing.T) {
	quality := []plan.ReportCheck{checked(manifest.ReportModelQuality, "statistics", "s3://dev/q/statistics.json", plan.StatusPass, ""),
		checked(manifest.ReportModelQuality, "constraints", "s3://dev/q/constraints.json", plan.StatusPass, "")}
	for _, tc := range []struct {
		name    string
		details plan.Details
		want    []string
		obs     []string // substrings of the first evaluation's observation
	}{
		{"nothing read, nothing written", plan.Details{}, nil, nil},
		{"model quality: the candidate's metrics by problem group, live-only metrics left out", plan.Details{
			Reports: quality,
			Evaluation: []plan.MetricRow{row("binary_classification_metrics.auc", evidence.Num(0.9), evidence.Num(0.93)),
				row("binary_classification_metrics.f1", evidence.Num(0.8), evidence.Num(0.81)),
				row("binary_classification_metrics.recall", evidence.Num(0.7), evidence.Number{})},
		}, []string{"modelQuality v13 model quality | binary_classification_metrics: auc=0.93 f1=0.81"},
			[]string{"The model quality report of v13, read by modelpromote from the source registry's package for the promotion to prod",
				"statistics s3://dev/q/statistics.json (sha256:statistics, pass)", "constraints s3://dev/q/constraints.json (sha256:constraints, pass)"}},
		{"every kind, in the policy's order, the model card left out", plan.Details{
			Reports: append([]plan.ReportCheck{checked(manifest.ReportModelCard, "report", "model-card/fraud", plan.StatusPass, ""),
				checked(manifest.ReportExplainability, "report", "s3://dev/clarify/analysis.json", plan.StatusPass, ""),
				checked(manifest.ReportBiasPostTraining, "report", "s3://dev/clarify/analysis.json", plan.StatusPass, ""),
				checked(manifest.ReportDataQuality, "statistics", "s3://dev/d/statistics.json", plan.StatusPass, "")}, quality...),
			Evaluation: []plan.MetricRow{row("regression_metrics.rmse", evidence.Number{}, evidence.Num(math.NaN()))},
			Bias: []plan.MetricRow{row("bias.post_training.DI[sex=female]", evidence.Number{}, evidence.Num(0.95)),
				row("bias.post_training.DPPL[age=\"(40, 50]\"]", evidence.Number{}, evidence.Num(0.02)),
				row("bias.post_training.DPPL[sex=female]", evidence.Number{}, evidence.Num(0.01))},
			SHAP: []evidence.Shift{{Feature: "amount", New: evidence.Num(0.4)}, {Feature: "gone", Old: evidence.Num(0.1)}},
		}, []string{
			"modelQuality v13 model quality | regression_metrics: rmse=NaN",
			"dataQuality v13 data quality",
			"biasPostTraining v13 post-training bias | post_training_bias_metrics - facet sex=female: DI=0.95 DPPL=0.01 | post_training_bias_metrics - facet age=(40, 50]: DPPL=0.02",
			"explainability v13 explainability | explanations - global_shap_values: amount=0.4",
		}, nil},
		{"read from the central registry's copy, with a report that did not pass (break-glass)", plan.Details{
			Source:  &plan.SourceDetail{Stage: "central", Account: "444444444444", Region: "eu-west-1"},
			Reports: []plan.ReportCheck{checked(manifest.ReportDataQuality, "statistics", "s3://central/d/statistics.json", plan.StatusFail, "older than 30 days")},
		}, []string{"dataQuality v13 data quality"},
			[]string{"from the copy in central's registry (account 444444444444)", "statistics s3://central/d/statistics.json (sha256:statistics, fail: older than 30 days)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := &plan.Promotion{Details: tc.details}
			pr.Model, pr.Stage, pr.ToVersion = "fraud-detector", "prod", 13
			got := cardEvaluations(pr)
			var lines []string
			for _, e := range got {
				lines = append(lines, summary(e))
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, o := range tc.obs {
				if !strings.Contains(got[0].Observation, o) {
					t.Errorf("observation %q lacks %q", got[0].Observation, o)
				}
			}
		})
	}
}

// The package's own model card's intended uses go to the governance card;
// none read, none written.
func TestCardIntendedUses(t *testing.T) {
	if cardIntendedUses(nil) != nil {
		t.Error("intended uses without a card read")
	}
	got := cardIntendedUses(&plan.IntendedUses{Purpose: "p", Uses: "u", Factors: "f", RiskRating: "Medium", RiskExplanation: "e"})
	if *got != (registry.CardIntendedUses{Purpose: "p", Uses: "u", Factors: "f", RiskRating: "Medium", RiskExplanation: "e"}) {
		t.Errorf("%+v", got)
	}
}
