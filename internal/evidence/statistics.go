package evidence

import (
	"encoding/json"
	"io"
	"strings"
)

// ProblemType is the kind of model a model quality report describes. Its
// value is the prefix of the report's top-level key.
type ProblemType string

// The problem types Model Monitor and the SageMaker Pipelines evaluation
// step write.
const (
	Regression               ProblemType = "regression"
	BinaryClassification     ProblemType = "binary_classification"
	MulticlassClassification ProblemType = "multiclass_classification"
)

// MetricsKey is the statistics report's top-level key: "binary_classification_metrics", …
func (p ProblemType) MetricsKey() string { return string(p) + "_metrics" }

// ConstraintsKey is the constraints report's top-level key: "binary_classification_constraints", …
func (p ProblemType) ConstraintsKey() string { return string(p) + "_constraints" }

// Curve is a non-scalar metric made of named series, e.g. the
// receiver_operating_characteristic_curve's "false_positive_rates" and
// "true_positive_rates".
type Curve map[string][]float64

// Statistics is a model quality statistics report, written by a Model Monitor
// model quality job or a SageMaker Pipelines evaluation step:
//
//	{"binary_classification_metrics": {"auc": {"value": 0.93, "standard_deviation": "NaN"}, …}}
type Statistics struct {
	// ProblemType is taken from the top-level key; empty when the report
	// has only custom "<name>_metrics" groups.
	ProblemType ProblemType
	// Version is the report's "version", if any.
	Version Number
	// ItemCount is dataset.item_count, the number of samples evaluated, if
	// the report has it (Model Monitor writes it; evaluation steps may not).
	ItemCount Number
	// Metrics holds every scalar metric ({"value", "standard_deviation"}),
	// keyed by path "<group>.<metric>", e.g. "binary_classification_metrics.auc".
	Metrics map[string]Metric
	// ConfusionMatrix is the confusion matrix, actual class → predicted
	// class → count; nil when the report has none.
	ConfusionMatrix map[string]map[string]float64
	// Curves holds the curves (e.g. receiver_operating_characteristic_curve,
	// precision_recall_curve), keyed by path like Metrics.
	Curves map[string]Curve
	// Other holds any other non-scalar entry as written, keyed by path.
	Other map[string]json.RawMessage
}

const statisticsReport = "model quality statistics"

// ParseStatistics reads a model quality statistics report. opts may be nil.
func ParseStatistics(r io.Reader, opts *Options) (*Statistics, error) {
	d, err := parseDoc(statisticsReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.statistics()
}

func (d *doc) statistics() (*Statistics, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	s := &Statistics{Metrics: map[string]Metric{}}
	var err error
	if s.Version, err = d.number(d.root.field("version"), "version"); err != nil {
		return nil, err
	}
	if ds := d.root.field("dataset"); ds != nil {
		if err := d.wantObject(ds, "dataset"); err != nil {
			return nil, err
		}
		if s.ItemCount, err = d.number(ds.field("item_count"), "dataset.item_count"); err != nil {
			return nil, err
		}
	}
	groups := 0
	for i, key := range d.root.keys {
		if !strings.HasSuffix(key, "_metrics") {
			continue
		}
		groups++
		if p := ProblemType(strings.TrimSuffix(key, "_metrics")); p.known() && s.ProblemType == "" {
			s.ProblemType = p
		}
		if err := d.metricGroup(s, key, d.root.vals[i]); err != nil {
			return nil, err
		}
	}
	if groups == 0 {
		return nil, d.errorf(d.root, "", "no metrics: want a regression_metrics, binary_classification_metrics or multiclass_classification_metrics object")
	}
	return s, nil
}

func (p ProblemType) known() bool {
	return p == Regression || p == BinaryClassification || p == MulticlassClassification
}

func (d *doc) metricGroup(s *Statistics, group string, n *node) error {
	path := join("", group)
	if !pathName.MatchString(group) {
		return d.errorf(n, path, "group name %q is not a plain name", group)
	}
	if err := d.wantObject(n, path); err != nil {
		return err
	}
	for i, name := range n.keys {
		v, mpath := n.vals[i], join(path, name)
		if !pathName.MatchString(name) {
			// Metric paths are "<group>.<metric>": a name with dots or
			// brackets would make them ambiguous.
			return d.errorf(v, mpath, "metric name %q is not a plain name", name)
		}
		key := group + "." + name
		switch {
		case v.kind == kindObject && (v.field("value") != nil || v.field("standard_deviation") != nil):
			m, err := d.scalarMetric(v, mpath)
			if err != nil {
				return err
			}
			m.Path = key
			s.Metrics[key] = m
		case name == "confusion_matrix":
			cm, err := d.confusionMatrix(v, mpath)
			if err != nil {
				return err
			}
			s.ConfusionMatrix = cm
		case strings.HasSuffix(name, "_curve"):
			c, err := d.curve(v, mpath)
			if err != nil {
				return err
			}
			if s.Curves == nil {
				s.Curves = map[string]Curve{}
			}
			s.Curves[key] = c
		case v.kind == kindObject || v.kind == kindArray:
			if s.Other == nil {
				s.Other = map[string]json.RawMessage{}
			}
			s.Other[key] = d.raw(v)
		default:
			// A bare number where {"value": …} belongs is a malformed report,
			// not a metric without a standard deviation: refuse to guess.
			return d.errorf(v, mpath, `want a metric {"value": …, "standard_deviation": …}, got %s`, v.describe())
		}
	}
	return nil
}

func (d *doc) scalarMetric(n *node, path string) (Metric, error) {
	var m Metric
	var err error
	if n.field("value") == nil {
		return m, d.errorf(n, path, `missing "value"`)
	}
	if m.Value, err = d.number(n.field("value"), join(path, "value")); err != nil {
		return m, err
	}
	if m.StdDev, err = d.number(n.field("standard_deviation"), join(path, "standard_deviation")); err != nil {
		return m, err
	}
	return m, nil
}

func (d *doc) confusionMatrix(n *node, path string) (map[string]map[string]float64, error) {
	if err := d.wantObject(n, path); err != nil {
		return nil, err
	}
	cm := make(map[string]map[string]float64, len(n.keys))
	for i, actual := range n.keys {
		row, rpath := n.vals[i], join(path, actual)
		if err := d.wantObject(row, rpath); err != nil {
			return nil, err
		}
		cm[actual] = make(map[string]float64, len(row.keys))
		for j, predicted := range row.keys {
			c, err := d.number(row.vals[j], join(rpath, predicted))
			if err != nil {
				return nil, err
			}
			if !c.Finite() {
				return nil, d.errorf(row.vals[j], join(rpath, predicted), "want a count, got %s", row.vals[j].describe())
			}
			cm[actual][predicted] = c.Float
		}
	}
	return cm, nil
}

func (d *doc) curve(n *node, path string) (Curve, error) {
	if err := d.wantObject(n, path); err != nil {
		return nil, err
	}
	c := make(Curve, len(n.keys))
	for i, name := range n.keys {
		vals, err := d.numbers(n.vals[i], join(path, name))
		if err != nil {
			return nil, err
		}
		c[name] = vals
	}
	return c, nil
}

// numbers reads an array of finite numbers.
func (d *doc) numbers(n *node, path string) ([]float64, error) {
	if err := d.wantArray(n, path); err != nil {
		return nil, err
	}
	if n.nums != nil {
		return n.nums, nil
	}
	out := make([]float64, 0, len(n.elems))
	for i, e := range n.elems {
		v, err := d.number(e, index(path, i))
		if err != nil {
			return nil, err
		}
		if !v.Set {
			return nil, d.errorf(e, index(path, i), "want a number, got null")
		}
		out = append(out, v.Float)
	}
	return out, nil
}
