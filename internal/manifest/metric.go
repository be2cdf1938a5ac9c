package manifest

import (
	"fmt"
	"regexp"
	"strings"
)

// Metric paths name one metric in a model's reports:
//
//	<problem>_metrics.<metric>            model quality statistics, e.g.
//	                                      binary_classification_metrics.auc,
//	                                      regression_metrics.rmse
//	bias.<phase>.<METRIC>                 a Clarify bias metric for every facet
//	                                      value, e.g. bias.post_training.DI
//	bias.<phase>.<facet>.<METRIC>         the same for one facet, every value
//	bias.<phase>.<facet>=<value>.<METRIC> the same for one facet value
//
// where <problem> is regression, binary_classification or
// multiclass_classification and <phase> is pre_training or post_training.
var (
	problemMetricRE = regexp.MustCompile(`^(regression|binary_classification|multiclass_classification)_metrics\.[a-z][a-z0-9_]{0,127}$`)
	biasMetricRE    = regexp.MustCompile(`^bias\.(pre_training|post_training)\.([A-Za-z0-9_][A-Za-z0-9_ -]{0,127}(=[^.]{1,128})?\.)?[A-Za-z][A-Za-z0-9_]{0,31}$`)
)

// ValidateMetricPath reports whether p is a well-formed metric path.
func ValidateMetricPath(p string) error {
	switch {
	case problemMetricRE.MatchString(p), biasMetricRE.MatchString(p):
		return nil
	case strings.HasPrefix(p, "bias."):
		return fmt.Errorf("%q is not a bias metric path: use bias.pre_training.METRIC or bias.post_training.METRIC (optionally bias.PHASE.FACET.METRIC or bias.PHASE.FACET=VALUE.METRIC)", p)
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
	name := t.Metric[strings.LastIndexByte(t.Metric, '.')+1:]
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
