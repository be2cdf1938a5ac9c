// Package evidence reads the compliance reports a SageMaker model package
// points to from its ModelMetrics, and compares their metrics.
//
// It knows these formats, each read from an io.Reader with a size limit
// (Options.MaxBytes, default 16 MiB; a larger report is refused after reading
// at most one byte past the limit, and before reading at all when the reader
// knows its size or Options.Size gives it):
//
//   - model quality statistics and constraints (Model Monitor model quality
//     jobs, SageMaker Pipelines evaluation steps): ParseStatistics,
//     ParseConstraints, Constraints.Evaluate;
//   - data quality statistics and constraints (Model Monitor data quality
//     jobs): ParseDataStatistics, ParseDataConstraints, DataConstraints.Evaluate;
//   - Clarify analysis.json, bias and explainability: ParseClarify, SHAP.Top,
//     ShiftSHAP;
//   - model card content: ParseModelCard.
//
// Every error from a Parse function is an *Error naming the report and, when
// the fault is at one place, its JSON path, byte offset, line and column.
// Numbers are never decoded into a bare float64: reports write "NaN",
// "Infinity" and null where numbers belong, and Number keeps them apart.
//
// ContentDigest values are Digests ("sha256:" + hex); Verifier checks a body
// while it is read.
//
// The package is domain code: it imports no AWS SDK. Fetching the reports is
// the job of the adapters.
//
// # Metric paths
//
// Scalar metrics are keyed by a path:
//
//	path      = group "." metric [ qualifier ]
//	group     = name *( "." name )
//	metric    = name
//	name      = 1*( ALPHA / DIGIT / "_" / "-" )
//	qualifier = "[" part "=" part "]"
//	part      = bare / quoted
//	bare      = 1*( any character but [ ] = " \ and control characters,
//	              not starting or ending with a space )
//	quoted    = a Go/JSON double-quoted string
//
// Model quality metrics are "<problem>_metrics.<metric>", as the statistics
// report nests them: "binary_classification_metrics.auc",
// "regression_metrics.rmse", "multiclass_classification_metrics.weighted_f1".
// Constraints use the same paths (binary_classification_constraints.auc
// constrains binary_classification_metrics.auc).
//
// Clarify bias metrics are "bias.<stage>.<METRIC>[<facet>=<value>]", where
// stage is pre_training or post_training, METRIC is Clarify's short name (CI,
// DPL, DI, DPPL, …) and the qualifier names the facet and the facet value or
// threshold of the group: "bias.post_training.DI[sex=female]",
// `bias.pre_training.CI[age="(40, 50]"]`.
//
// A path without a qualifier used as a selector (Select, Path.Selects)
// selects that metric in every facet group: a threshold on
// "bias.post_training.DI" is a threshold on every facet group's DI.
package evidence
