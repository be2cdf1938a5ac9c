package manifest

import (
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/evidence"
)

// ValidateMetricPath reports whether p is a well-formed threshold metric
// path: evidence's metric path grammar (see package evidence), in one of the
// namespaces a threshold can read:
//
//	<problem>_metrics.<metric>        model quality statistics, e.g.
//	                                  binary_classification_metrics.auc;
//	                                  <problem> is regression,
//	                                  binary_classification or
//	                                  multiclass_classification
//	bias.<phase>.<METRIC>             a Clarify bias metric for every facet
//	                                  group, e.g. bias.post_training.DI;
//	                                  <phase> is pre_training or post_training
//	bias.<phase>.<METRIC>[<facet>=<value>]  the same for one facet group
func ValidateMetricPath(p string) error {
	path, err := evidence.ParsePath(p)
	switch {
	case err != nil:
	case path.Group == "regression_metrics", path.Group == "binary_classification_metrics", path.Group == "multiclass_classification_metrics":
		if path.Qualified {
			return fmt.Errorf("%q: model quality metrics have no facet qualifier", p)
		}
		return nil
	case path.Group == "bias.pre_training", path.Group == "bias.post_training":
		return nil
	}
	if strings.HasPrefix(p, "bias.") {
		return fmt.Errorf("%q is not a bias metric path: use bias.pre_training.METRIC or bias.post_training.METRIC, optionally with [FACET=VALUE]", p)
	}
	return fmt.Errorf("%q is not a metric path: use PROBLEM_metrics.METRIC (PROBLEM is regression, binary_classification or multiclass_classification) or bias.PHASE.METRIC", p)
}

// ReportFor returns the report a metric path is read from.
func ReportFor(p string) ReportKind {
	switch {
	case strings.HasPrefix(p, "bias.pre_training."):
		return ReportBiasPreTraining
	case strings.HasPrefix(p, "bias.post_training."):
		return ReportBiasPostTraining
	}
	return ReportModelQuality
}

// Directions of improvement for well-known metrics.
var (
	higherIsBetter = map[string]bool{
		"auc": true, "f0_5": true, "f1": true, "f2": true, "precision": true, "recall": true,
		"accuracy": true, "balanced_accuracy": true, "r2": true, "true_positive_rate": true,
		"true_negative_rate": true, "weighted_f0_5": true, "weighted_f1": true, "weighted_f2": true,
		"weighted_precision": true, "weighted_recall": true, "weighted_accuracy": true, "pr_auc": true,
	}
	lowerIsBetter = map[string]bool{
		"mae": true, "mse": true, "rmse": true, "false_positive_rate": true,
		"false_negative_rate": true, "log_loss": true, "mape": true,
	}
)

// BetterDirection returns "higher" or "lower" for a threshold: its explicit
// Better, else the known direction of its metric, else "".
func (t Threshold) BetterDirection() string {
	if t.Better != "" {
		return t.Better
	}
	path, err := evidence.ParsePath(t.Metric)
	if err != nil {
		return ""
	}
	name := path.Metric
	if strings.HasPrefix(t.Metric, "bias.") {
		return "" // bias metrics measure distance from parity, not quality
	}
	switch {
	case higherIsBetter[name]:
		return "higher"
	case lowerIsBetter[name]:
		return "lower"
	}
	return ""
}

// HasRegressionBound reports whether the threshold compares the candidate
// with the live version (maxRegression or maxRelativeRegression).
func (t Threshold) HasRegressionBound() bool {
	return t.MaxRegression != nil || t.MaxRelativeRegression != nil
}
