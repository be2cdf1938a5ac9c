package evidence

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The Sample functions write reports shaped as SageMaker writes them, for
// tests, the emulator and `modelpromote demo`. They are deterministic: the
// same arguments give the same bytes (and so the same Digest).

// SampleModelQuality returns a model quality statistics report for problem
// with the given metrics (by short name: "auc", "f1", "mae", …), each with
// standard deviation stdDev (pass math.NaN() to get "NaN", as Model Monitor
// writes below 200 samples). A nil map gives typical metrics for the problem.
// Binary and multiclass reports also get a confusion matrix; binary reports
// get ROC and precision-recall curves.
func SampleModelQuality(problem ProblemType, metrics map[string]float64, stdDev float64) []byte {
	if metrics == nil {
		metrics = defaultMetrics[problem]
	}
	group := map[string]any{}
	for name, v := range metrics {
		group[name] = map[string]Number{"value": Num(v), "standard_deviation": Num(stdDev)}
	}
	switch problem {
	case BinaryClassification:
		group["confusion_matrix"] = map[string]map[string]int{"0": {"0": 1880, "1": 52}, "1": {"0": 21, "1": 47}}
		group["receiver_operating_characteristic_curve"] = map[string][]float64{
			"false_positive_rates": {0, 0.01, 0.03, 0.08, 0.2, 1},
			"true_positive_rates":  {0, 0.45, 0.69, 0.83, 0.94, 1},
		}
		group["precision_recall_curve"] = map[string][]float64{
			"precisions": {1, 0.71, 0.47, 0.26, 0.12},
			"recalls":    {0, 0.45, 0.69, 0.83, 0.94},
		}
	case MulticlassClassification:
		group["confusion_matrix"] = map[string]map[string]int{
			"0": {"0": 1180, "1": 42, "2": 18}, "1": {"0": 35, "1": 402, "2": 21}, "2": {"0": 12, "1": 25, "2": 265},
		}
	}
	return marshalSample(map[string]any{"version": 0.0, problem.MetricsKey(): group})
}

var defaultMetrics = map[ProblemType]map[string]float64{
	Regression: {"mae": 0.371, "mse": 0.2209, "rmse": 0.47, "r2": 0.812},
	BinaryClassification: {
		"accuracy": 0.9635, "auc": 0.912, "f1": 0.5629, "precision": 0.4747, "recall": 0.6912,
		"true_positive_rate": 0.6912, "false_positive_rate": 0.0269, "true_negative_rate": 0.9731, "false_negative_rate": 0.3088,
	},
	MulticlassClassification: {
		"accuracy": 0.9235, "weighted_f1": 0.9231, "weighted_precision": 0.9236, "weighted_recall": 0.9235,
	},
}

// lowerIsBetter lists the metrics whose constraint is an upper bound.
var lowerIsBetter = map[string]bool{
	"mae": true, "mse": true, "rmse": true, "false_positive_rate": true, "false_negative_rate": true,
}

// SampleConstraints returns a model quality constraints report with the
// given thresholds, each with the operator Model Monitor would suggest:
// GreaterThanThreshold for error metrics (mae, mse, rmse, false positive and
// false negative rates), LessThanThreshold for the rest.
func SampleConstraints(problem ProblemType, thresholds map[string]float64) []byte {
	group := map[string]any{}
	for name, t := range thresholds {
		op := LessThan
		if lowerIsBetter[name] {
			op = GreaterThan
		}
		group[name] = map[string]any{"threshold": Num(t), "comparison_operator": op}
	}
	return marshalSample(map[string]any{"version": 0.0, problem.ConstraintsKey(): group})
}

// SampleFacet is the facet group unqualified paths in SampleClarify use.
const SampleFacet = "sex=female"

var biasDescriptions = map[string]string{
	"CI": "Class Imbalance (CI)", "DPL": "Difference in Positive Proportions in Labels (DPL)",
	"KL": "Kullback-Liebler Divergence (KL)", "JS": "Jensen-Shannon Divergence (JS)", "LP": "L-p Norm (LP)",
	"TVD": "Total Variation Distance (TVD)", "KS": "Kolmogorov-Smirnov Distance (KS)",
	"CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
	"DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)", "DI": "Disparate Impact (DI)",
	"DCAcc": "Difference in Conditional Acceptance (DCAcc)", "DCR": "Difference in Conditional Rejection (DCR)",
	"RD": "Recall Difference (RD)", "SD": "Specificity Difference (SD)", "DAR": "Difference in Acceptance Rates (DAR)",
	"DRR": "Difference in Rejection Rates (DRR)", "AD": "Accuracy Difference (AD)", "TE": "Treatment Equality (TE)",
	"CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)", "FT": "Flip Test (FT)",
	"GE": "Generalized Entropy (GE)",
}

// SampleClarify returns a Clarify analysis.json. bias maps metric paths
// ("bias.post_training.DI[sex=male]") to values; an unqualified path
// ("bias.post_training.DI") is the SampleFacet group. shap maps features to
// global SHAP values for label "label0"; nil omits explanations. It panics on
// a malformed path: fixtures are written by programmers.
func SampleClarify(bias, shap map[string]float64) []byte {
	type metric struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Value       Number `json:"value"`
	}
	type group struct {
		ValueOrThreshold string   `json:"value_or_threshold"`
		Metrics          []metric `json:"metrics"`
	}
	stages := map[string]map[string][]*group{}
	for _, key := range sortedKeys(bias) {
		p, err := ParsePath(key)
		if err != nil {
			panic(fmt.Sprintf("evidence.SampleClarify: %v", err))
		}
		stage, ok := strings.CutPrefix(p.Group, "bias.")
		if !ok || (stage != PreTraining && stage != PostTraining) {
			panic(fmt.Sprintf("evidence.SampleClarify: %s: want bias.pre_training or bias.post_training", key))
		}
		if !p.Qualified {
			p.Facet, p.FacetValue, _ = strings.Cut(SampleFacet, "=")
		}
		if stages[stage] == nil {
			stages[stage] = map[string][]*group{}
		}
		var g *group
		for _, have := range stages[stage][p.Facet] {
			if have.ValueOrThreshold == p.FacetValue {
				g = have
			}
		}
		if g == nil {
			g = &group{ValueOrThreshold: p.FacetValue}
			stages[stage][p.Facet] = append(stages[stage][p.Facet], g)
		}
		g.Metrics = append(g.Metrics, metric{Name: p.Metric, Description: biasDescriptions[p.Metric], Value: Num(bias[key])})
	}
	out := map[string]any{"version": "1.0"}
	for stage, facets := range stages {
		out[stage+"_bias_metrics"] = map[string]any{"label": "fraud", "label_value_or_threshold": "1", "facets": facets}
	}
	if shap != nil {
		values := map[string]Number{}
		for f, v := range shap {
			values[f] = Num(v)
		}
		out["explanations"] = map[string]any{"kernel_shap": map[string]any{
			"label0": map[string]any{"global_shap_values": values, "expected_value": 0.0417},
		}}
	}
	return marshalSample(out)
}

// SampleModelCard returns model card content for a model named name with
// the given risk rating and evaluation metrics (by name).
func SampleModelCard(name, riskRating string, metrics map[string]float64) []byte {
	data := make([]map[string]any, 0, len(metrics))
	for _, m := range sortedKeys(metrics) {
		data = append(data, map[string]any{"name": m, "type": "number", "value": Num(metrics[m])})
	}
	return marshalSample(map[string]any{
		"model_overview": map[string]any{
			"model_name":        name,
			"model_description": "Gradient-boosted classifier scoring card transactions for fraud.",
			"model_owner":       "ml-fraud",
			"problem_type":      "Binary Classification",
			"algorithm_type":    "XGBoost",
			"model_artifact":    []string{"s3://ml-artifacts-dev/" + name + "/model.tar.gz"},
		},
		"intended_uses": map[string]any{
			"purpose_of_model":                   "Flag card transactions for manual fraud review.",
			"intended_uses":                      "Batch and real-time scoring of card-present and card-not-present transactions.",
			"factors_affecting_model_efficiency": "Performance degrades on merchant categories absent from training data.",
			"risk_rating":                        riskRating,
			"explanations_for_risk_rating":       "Decisions affect customers; every flag is reviewed by an analyst.",
		},
		"business_details": map[string]any{
			"business_problem":      "Reduce fraud losses without blocking legitimate spend.",
			"business_stakeholders": "Fraud operations, payments risk.",
			"line_of_business":      "Card payments",
		},
		"evaluation_details": []any{map[string]any{
			"name":                   name + "-evaluation",
			"evaluation_observation": "Evaluated on a held-out month of transactions.",
			"datasets":               []string{"s3://ml-datasets-dev/" + name + "/test/"},
			"metric_groups":          []any{map[string]any{"name": "binary_classification_metrics", "metric_data": data}},
		}},
		"additional_information": map[string]any{
			"ethical_considerations":      "Bias across sex and age is monitored with SageMaker Clarify.",
			"caveats_and_recommendations": "Retrain quarterly.",
		},
	})
}

func marshalSample(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("evidence: marshal sample: %v", err)) // only our own types: cannot happen
	}
	return append(b, '\n')
}

// SampleDataStatistics returns a data quality statistics report for s, in
// the shape Model Monitor writes (KLL distributions are omitted).
func SampleDataStatistics(s DataStatistics) []byte {
	features := make([]map[string]any, 0, len(s.Features))
	for _, f := range s.Features {
		out := map[string]any{"name": f.Name, "inferred_type": f.InferredType}
		common := map[string]Number{"num_present": f.Present, "num_missing": f.Missing}
		if n := f.Numerical; n != nil {
			out["numerical_statistics"] = map[string]any{
				"common": common, "mean": n.Mean, "sum": n.Sum, "std_dev": n.StdDev, "min": n.Min, "max": n.Max,
			}
		}
		if st := f.String; st != nil {
			buckets := make([]map[string]any, 0, len(st.Categories))
			for _, v := range sortedKeys(st.Categories) {
				buckets = append(buckets, map[string]any{"value": v, "count": st.Categories[v]})
			}
			out["string_statistics"] = map[string]any{
				"common": common, "distinct_count": st.DistinctCount,
				"distribution": map[string]any{"categorical": map[string]any{"buckets": buckets}},
			}
		}
		features = append(features, out)
	}
	return marshalSample(map[string]any{"version": 0.0, "dataset": map[string]Number{"item_count": s.ItemCount}, "features": features})
}

// SampleDataConstraints returns a data quality constraints report for c, in
// the shape a Model Monitor baseline job suggests. An empty
// c.Monitoring.EvaluateConstraints gets Model Monitor's defaults.
func SampleDataConstraints(c DataConstraints) []byte {
	features := make([]map[string]any, 0, len(c.Features))
	for _, f := range c.Features {
		out := map[string]any{"name": f.Name, "inferred_type": f.InferredType}
		if f.Completeness.Set {
			out["completeness"] = f.Completeness
		}
		if f.InferredType == "Integral" || f.InferredType == "Fractional" {
			out["num_constraints"] = map[string]bool{"is_non_negative": f.NonNegative}
		}
		if f.Domains != nil {
			out["string_constraints"] = map[string]any{"domains": f.Domains}
		}
		features = append(features, out)
	}
	m := c.Monitoring
	if m.EvaluateConstraints == "" {
		m = MonitoringConfig{
			EvaluateConstraints: "Enabled", EmitMetrics: "Enabled",
			DatatypeCheckThreshold: Num(1), DomainContentThreshold: Num(1),
			Distribution: DistributionConstraints{PerformComparison: "Enabled", ComparisonThreshold: Num(0.1), ComparisonMethod: "Robust"},
		}
	}
	return marshalSample(map[string]any{"version": 0.0, "features": features, "monitoring_config": map[string]any{
		"evaluate_constraints": m.EvaluateConstraints, "emit_metrics": m.EmitMetrics,
		"datatype_check_threshold": m.DatatypeCheckThreshold, "domain_content_threshold": m.DomainContentThreshold,
		"distribution_constraints": map[string]any{
			"perform_comparison": m.Distribution.PerformComparison, "comparison_threshold": m.Distribution.ComparisonThreshold,
			"comparison_method": m.Distribution.ComparisonMethod,
		},
	}})
}
