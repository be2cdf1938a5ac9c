package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// cardStep records a successful promotion on the model's card in the
// governance account, after the evidence record. It runs only when every
// step before it succeeded (walk skips it after a failure). A card that
// cannot be written fails the promotion's outcome, with the endpoint left
// serving and the record written: the GitHub deployment is not done, so a
// rerun of apply (every step idempotent) completes the card.
type cardStep struct {
	*plan.UpdateModelCard
	r *runner
}

func (s cardStep) run(ctx context.Context, st *state) error {
	cfg := s.r.accts.Governance(manifest.Governance{Account: s.Account, Region: s.Region, RoleARN: s.RoleARN, ExternalID: s.ExternalID})
	rec := st.record
	d := registry.CardDeployment{Model: rec.Model, Stage: rec.Stage, Version: rec.ToVersion, Account: rec.Endpoint.Account, Region: rec.Endpoint.Region,
		Endpoint: rec.Endpoint.Name, Since: rec.FinishedAt.UTC().Format("2006-01-02T15:04:05Z"), PullRequestURL: rec.PullRequest.URL, EvidenceURI: st.recordURI,
		Evaluations: cardEvaluations(st.promotion), IntendedUses: cardIntendedUses(st.promotion.Details.IntendedUses)}
	for _, a := range rec.Approvals {
		d.Approvers = append(d.Approvers, a.Login)
	}
	if err := registry.New(cfg, s.Account).RecordDeployment(ctx, s.Card, d); err != nil {
		return fmt.Errorf("deployed and recorded, but the model card in governance account %s was not updated (re-run apply to complete it): %w", s.Account, err)
	}
	return nil
}

func (s cardStep) predict(context.Context, *state, *PromotionPreview) error {
	return nil
}

// reportTitles name the report kinds on the card.
var reportTitles = map[manifest.ReportKind]string{
	manifest.ReportModelQuality:     "model quality",
	manifest.ReportDataQuality:      "data quality",
	manifest.ReportBiasPreTraining:  "pre-training bias",
	manifest.ReportBiasPostTraining: "post-training bias",
	manifest.ReportExplainability:   "explainability",
}

// cardEvaluations are the reports the promotion's check read for the
// promoted version (apply's own check, through the registry-only stage's
// copies when the stage is sourced from one: nothing is read again), as the
// card's evaluation_details: one entry per report kind, in the policy's
// order, naming each file read with its digest and verdict, with the
// candidate's metrics grouped as SageMaker's model card parsers group Model
// Monitor and Clarify reports. The package's own model card is not an
// evaluation: it gives intended_uses (cardIntendedUses).
func cardEvaluations(pr *plan.Promotion) []registry.CardEvaluation {
	byKind := map[manifest.ReportKind][]plan.ReportCheck{}
	for _, rc := range pr.Details.Reports {
		byKind[rc.Kind] = append(byKind[rc.Kind], rc)
	}
	groups := metricGroups(pr.Details)
	var out []registry.CardEvaluation
	for _, kind := range manifest.ReportKinds {
		title, ok := reportTitles[kind]
		if !ok || len(byKind[kind]) == 0 {
			continue
		}
		out = append(out, registry.CardEvaluation{Report: string(kind), Name: fmt.Sprintf("v%d %s", pr.ToVersion, title),
			Observation: observation(pr, title, byKind[kind]), Groups: groups[kind]})
	}
	return out
}

// observation says which files of a report were read for which promotion,
// and what the check found.
func observation(pr *plan.Promotion, title string, checks []plan.ReportCheck) string {
	from := "the source registry's package"
	if src := pr.Details.Source; src != nil {
		from = fmt.Sprintf("the copy in %s's registry (account %s)", src.Stage, src.Account)
	}
	parts := make([]string, 0, len(checks))
	for _, rc := range checks {
		digest := rc.ComputedDigest
		if digest == "" {
			digest = rc.Digest
		}
		verdict := string(rc.Status)
		if rc.Problem != "" {
			verdict += ": " + rc.Problem
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s, %s)", rc.Part, rc.S3URI, orDefault(digest, "no digest"), verdict))
	}
	return fmt.Sprintf("The %s report of v%d, read by modelpromote from %s for the promotion to %s: %s.",
		title, pr.ToVersion, from, pr.Stage, strings.Join(parts, "; "))
}

// metricGroups are the candidate's metrics by report kind: model quality
// by the statistics' problem group ("binary_classification_metrics"), bias
// by stage and facet ("post_training_bias_metrics - facet sex=female"), and
// the top SHAP features. Metrics only the live version has are left out.
func metricGroups(d plan.Details) map[manifest.ReportKind][]registry.CardMetricGroup {
	out := map[manifest.ReportKind][]registry.CardMetricGroup{}
	add := func(kind manifest.ReportKind, group, name string, v evidence.Number) {
		if !v.Set {
			return
		}
		gs := out[kind]
		i := slices.IndexFunc(gs, func(g registry.CardMetricGroup) bool { return g.Name == group })
		if i < 0 {
			gs, i = append(gs, registry.CardMetricGroup{Name: group}), len(gs)
		}
		gs[i].Metrics = append(gs[i].Metrics, cardMetric(name, v))
		out[kind] = gs
	}
	for _, row := range append(append([]plan.MetricRow{}, d.Evaluation...), d.Bias...) {
		p, err := evidence.ParsePath(row.Path)
		if err != nil {
			continue
		}
		group := p.Group
		if phase, ok := strings.CutPrefix(p.Group, "bias."); ok {
			group = phase + "_bias_metrics"
			if p.Qualified {
				group += " - facet " + p.Facet + "=" + p.FacetValue
			}
		}
		add(manifest.ReportFor(row.Path), group, p.Metric, row.New)
	}
	for _, s := range d.SHAP {
		add(manifest.ReportExplainability, "explanations - global_shap_values", s.Feature, s.New)
	}
	return out
}

func cardMetric(name string, v evidence.Number) registry.CardMetric {
	if v.Finite() {
		return registry.CardMetric{Name: name, Value: v.Float}
	}
	return registry.CardMetric{Name: name, Text: fmt.Sprint(v.Float)}
}

// cardIntendedUses are the package's own model card's intended uses, when
// the check read the card.
func cardIntendedUses(u *plan.IntendedUses) *registry.CardIntendedUses {
	if u == nil {
		return nil
	}
	return &registry.CardIntendedUses{Purpose: u.Purpose, Uses: u.Uses, Factors: u.Factors, RiskRating: u.RiskRating, RiskExplanation: u.RiskExplanation}
}
