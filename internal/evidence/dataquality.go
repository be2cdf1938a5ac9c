package evidence

import (
	"fmt"
	"io"
)

// DataStatistics is a Model Monitor data quality statistics report
// (statistics.json of a data quality baseline or monitoring job).
type DataStatistics struct {
	Version   Number
	ItemCount Number
	Features  []FeatureStatistics
}

// FeatureStatistics describes one column of the dataset.
type FeatureStatistics struct {
	Name string
	// InferredType is "Integral", "Fractional", "String" or "Unknown".
	InferredType string
	// Present and Missing count the non-null and null values.
	Present, Missing Number
	// Numerical is set for Integral and Fractional features.
	Numerical *NumericalStatistics
	// String is set for String features.
	String *StringStatistics
}

// NumericalStatistics are a numeric feature's statistics.
type NumericalStatistics struct {
	Mean, Sum, StdDev, Min, Max Number
}

// StringStatistics are a string feature's statistics.
type StringStatistics struct {
	DistinctCount Number
	// Categories counts each observed value, from the categorical
	// distribution; nil when the report has none.
	Categories map[string]float64
}

// Completeness is the fraction of values present, present/(present+missing);
// unset when the counts are missing or zero.
func (f FeatureStatistics) Completeness() Number {
	if !f.Present.Finite() || !f.Missing.Finite() || f.Present.Float+f.Missing.Float <= 0 {
		return Number{}
	}
	return Num(f.Present.Float / (f.Present.Float + f.Missing.Float))
}

const dataStatisticsReport = "data quality statistics"

// ParseDataStatistics reads a data quality statistics report. opts may be nil.
func ParseDataStatistics(r io.Reader, opts *Options) (*DataStatistics, error) {
	d, err := parseDoc(dataStatisticsReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.dataStatistics()
}

func (d *doc) dataStatistics() (*DataStatistics, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	s := &DataStatistics{}
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
	fs := d.root.field("features")
	if fs == nil {
		return nil, d.errorf(d.root, "", `missing "features"`)
	}
	if err := d.wantArray(fs, "features"); err != nil {
		return nil, err
	}
	for i := range fs.length() {
		f, err := d.featureStatistics(fs.elem(i), index("features", i))
		if err != nil {
			return nil, err
		}
		s.Features = append(s.Features, f)
	}
	return s, nil
}

func (d *doc) featureStatistics(n *node, path string) (FeatureStatistics, error) {
	var f FeatureStatistics
	if err := d.wantObject(n, path); err != nil {
		return f, err
	}
	var err error
	if f.Name, err = d.requiredString(n, path, "name"); err != nil {
		return f, err
	}
	if f.InferredType, err = d.str(n.field("inferred_type"), join(path, "inferred_type")); err != nil {
		return f, err
	}
	if ns := n.field("numerical_statistics"); ns != nil {
		p := join(path, "numerical_statistics")
		if err := d.wantObject(ns, p); err != nil {
			return f, err
		}
		if f.Present, f.Missing, err = d.common(ns, p); err != nil {
			return f, err
		}
		st := &NumericalStatistics{}
		if err := d.numberFields(ns, p, fieldNum{"mean", &st.Mean}, fieldNum{"sum", &st.Sum},
			fieldNum{"std_dev", &st.StdDev}, fieldNum{"min", &st.Min}, fieldNum{"max", &st.Max}); err != nil {
			return f, err
		}
		f.Numerical = st
	}
	if ss := n.field("string_statistics"); ss != nil {
		p := join(path, "string_statistics")
		if err := d.wantObject(ss, p); err != nil {
			return f, err
		}
		if f.Present, f.Missing, err = d.common(ss, p); err != nil {
			return f, err
		}
		st := &StringStatistics{}
		if st.DistinctCount, err = d.number(ss.field("distinct_count"), join(p, "distinct_count")); err != nil {
			return f, err
		}
		if st.Categories, err = d.categories(ss, p); err != nil {
			return f, err
		}
		f.String = st
	}
	return f, nil
}

func (d *doc) requiredString(n *node, path, key string) (string, error) {
	v := n.field(key)
	if v == nil {
		return "", d.errorf(n, path, "missing %q", key)
	}
	s, err := d.str(v, join(path, key))
	if err == nil && s == "" {
		err = d.errorf(v, join(path, key), "empty")
	}
	return s, err
}

func (d *doc) common(n *node, path string) (present, missing Number, err error) {
	c := n.field("common")
	if c == nil {
		return present, missing, nil
	}
	p := join(path, "common")
	if err := d.wantObject(c, p); err != nil {
		return present, missing, err
	}
	if present, err = d.number(c.field("num_present"), join(p, "num_present")); err != nil {
		return present, missing, err
	}
	missing, err = d.number(c.field("num_missing"), join(p, "num_missing"))
	return present, missing, err
}

func (d *doc) categories(ss *node, path string) (map[string]float64, error) {
	dist := ss.field("distribution")
	if dist == nil {
		return nil, nil
	}
	cat := dist.field("categorical")
	if cat == nil {
		return nil, nil
	}
	p := join(join(join(path, "distribution"), "categorical"), "buckets")
	buckets := cat.field("buckets")
	if buckets == nil {
		return nil, nil
	}
	if err := d.wantArray(buckets, p); err != nil {
		return nil, err
	}
	out := make(map[string]float64, buckets.length())
	for i := range buckets.length() {
		b, bp := buckets.elem(i), index(p, i)
		if err := d.wantObject(b, bp); err != nil {
			return nil, err
		}
		v, err := d.text(b.field("value"), join(bp, "value"))
		if err != nil {
			return nil, err
		}
		c, err := d.number(b.field("count"), join(bp, "count"))
		if err != nil {
			return nil, err
		}
		if c.Finite() {
			out[v] += c.Float
		}
	}
	return out, nil
}

// DataConstraints is a Model Monitor data quality constraints report
// (constraints.json of a data quality baseline job).
type DataConstraints struct {
	Version    Number
	Features   []FeatureConstraint
	Monitoring MonitoringConfig
}

// FeatureConstraint constrains one column.
type FeatureConstraint struct {
	Name         string
	InferredType string
	// Completeness is the least fraction of values that must be present;
	// unset when unconstrained.
	Completeness Number
	// NonNegative is num_constraints.is_non_negative.
	NonNegative bool
	// Domains lists the values allowed for a string feature
	// (string_constraints.domains); nil when unconstrained.
	Domains []string
}

// MonitoringConfig is the report's monitoring_config.
type MonitoringConfig struct {
	EvaluateConstraints    string // "Enabled" or "Disabled"
	EmitMetrics            string
	DatatypeCheckThreshold Number
	DomainContentThreshold Number
	// Distribution is distribution_constraints.
	Distribution DistributionConstraints
}

// DistributionConstraints configure the baseline drift check.
type DistributionConstraints struct {
	PerformComparison   string
	ComparisonThreshold Number
	// ComparisonMethod is "Simple" or "Robust". (The documented schema
	// spells the key "comparion_method"; both spellings are read.)
	ComparisonMethod string
}

const dataConstraintsReport = "data quality constraints"

// ParseDataConstraints reads a data quality constraints report. opts may be nil.
func ParseDataConstraints(r io.Reader, opts *Options) (*DataConstraints, error) {
	d, err := parseDoc(dataConstraintsReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.dataConstraints()
}

func (d *doc) dataConstraints() (*DataConstraints, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	c := &DataConstraints{}
	var err error
	if c.Version, err = d.number(d.root.field("version"), "version"); err != nil {
		return nil, err
	}
	fs := d.root.field("features")
	if fs == nil {
		return nil, d.errorf(d.root, "", `missing "features"`)
	}
	if err := d.wantArray(fs, "features"); err != nil {
		return nil, err
	}
	for i := range fs.length() {
		f, err := d.featureConstraint(fs.elem(i), index("features", i))
		if err != nil {
			return nil, err
		}
		c.Features = append(c.Features, f)
	}
	if mc := d.root.field("monitoring_config"); mc != nil {
		if c.Monitoring, err = d.monitoringConfig(mc, "monitoring_config"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (d *doc) featureConstraint(n *node, path string) (FeatureConstraint, error) {
	var f FeatureConstraint
	if err := d.wantObject(n, path); err != nil {
		return f, err
	}
	var err error
	if f.Name, err = d.requiredString(n, path, "name"); err != nil {
		return f, err
	}
	if f.InferredType, err = d.str(n.field("inferred_type"), join(path, "inferred_type")); err != nil {
		return f, err
	}
	if f.Completeness, err = d.number(n.field("completeness"), join(path, "completeness")); err != nil {
		return f, err
	}
	if nc := n.field("num_constraints"); nc != nil {
		p := join(path, "num_constraints")
		if err := d.wantObject(nc, p); err != nil {
			return f, err
		}
		if nn := nc.field("is_non_negative"); nn != nil {
			if nn.kind != kindBool {
				return f, d.errorf(nn, join(p, "is_non_negative"), "want true or false, got %s", nn.describe())
			}
			f.NonNegative = nn.b
		}
	}
	if sc := n.field("string_constraints"); sc != nil {
		p := join(path, "string_constraints")
		if err := d.wantObject(sc, p); err != nil {
			return f, err
		}
		if dn := sc.field("domains"); dn != nil {
			dp := join(p, "domains")
			if err := d.wantArray(dn, dp); err != nil {
				return f, err
			}
			f.Domains = []string{}
			for i := range dn.length() {
				s, err := d.text(dn.elem(i), index(dp, i))
				if err != nil {
					return f, err
				}
				f.Domains = append(f.Domains, s)
			}
		}
	}
	return f, nil
}

func (d *doc) monitoringConfig(n *node, path string) (MonitoringConfig, error) {
	var m MonitoringConfig
	if err := d.wantObject(n, path); err != nil {
		return m, err
	}
	var err error
	if m.EvaluateConstraints, err = d.str(n.field("evaluate_constraints"), join(path, "evaluate_constraints")); err != nil {
		return m, err
	}
	if m.EmitMetrics, err = d.str(n.field("emit_metrics"), join(path, "emit_metrics")); err != nil {
		return m, err
	}
	if err := d.numberFields(n, path, fieldNum{"datatype_check_threshold", &m.DatatypeCheckThreshold},
		fieldNum{"domain_content_threshold", &m.DomainContentThreshold}); err != nil {
		return m, err
	}
	if dc := n.field("distribution_constraints"); dc != nil {
		p := join(path, "distribution_constraints")
		if err := d.wantObject(dc, p); err != nil {
			return m, err
		}
		if m.Distribution.PerformComparison, err = d.str(dc.field("perform_comparison"), join(p, "perform_comparison")); err != nil {
			return m, err
		}
		if m.Distribution.ComparisonThreshold, err = d.number(dc.field("comparison_threshold"), join(p, "comparison_threshold")); err != nil {
			return m, err
		}
		method := dc.field("comparison_method")
		if method == nil {
			method = dc.field("comparion_method")
		}
		if m.Distribution.ComparisonMethod, err = d.str(method, join(p, "comparison_method")); err != nil {
			return m, err
		}
	}
	return m, nil
}

// Data quality checks, named as Model Monitor names them in
// constraint_violations.json.
const (
	MissingColumnCheck = "missing_column_check"
	CompletenessCheck  = "completeness_check"
	NonNegativeCheck   = "non_negative_check"
	DataTypeCheck      = "data_type_check"
)

// DataViolation is a feature that breaks a data quality constraint.
type DataViolation struct {
	Feature string
	Check   string
	Message string
}

// Evaluate checks data statistics against the constraints: every constrained
// feature is present, at least as complete as required, non-negative when
// required, and of a compatible type (Integral data satisfies a Fractional
// constraint). Violations come in the constraints' feature order. Distribution
// drift and domain content are not checked. It checks whatever
// monitoring_config.evaluate_constraints says: what "Disabled" means for a
// promotion is the policy's call.
func (c *DataConstraints) Evaluate(s *DataStatistics) []DataViolation {
	if s == nil {
		s = &DataStatistics{}
	}
	byName := make(map[string]FeatureStatistics, len(s.Features))
	for _, f := range s.Features {
		byName[f.Name] = f
	}
	var out []DataViolation
	add := func(feature, check, format string, args ...any) {
		out = append(out, DataViolation{Feature: feature, Check: check, Message: fmt.Sprintf("%s: %s", feature, fmt.Sprintf(format, args...))})
	}
	for _, con := range c.Features {
		f, ok := byName[con.Name]
		if !ok {
			add(con.Name, MissingColumnCheck, "missing from the statistics")
			continue
		}
		if con.Completeness.Finite() {
			got := f.Completeness()
			switch {
			case !got.Finite():
				add(con.Name, CompletenessCheck, "completeness unknown (no present/missing counts), want at least %s", con.Completeness)
			case got.Float < con.Completeness.Float:
				add(con.Name, CompletenessCheck, "completeness %.4g below the required %s", got.Float, con.Completeness)
			}
		}
		if con.NonNegative && f.Numerical != nil && f.Numerical.Min.Finite() && f.Numerical.Min.Float < 0 {
			add(con.Name, NonNegativeCheck, "minimum %s is negative", f.Numerical.Min)
		}
		if !typeCompatible(con.InferredType, f.InferredType) {
			add(con.Name, DataTypeCheck, "inferred type %s, constraint wants %s", f.InferredType, con.InferredType)
		}
	}
	return out
}

func typeCompatible(want, got string) bool {
	switch {
	case want == "" || got == "" || want == "Unknown" || want == got:
		return true
	case want == "Fractional" && got == "Integral":
		return true
	}
	return false
}

type fieldNum struct {
	key string
	dst *Number
}

// numberFields reads optional number members of n, in order.
func (d *doc) numberFields(n *node, path string, fields ...fieldNum) error {
	for _, f := range fields {
		v, err := d.number(n.field(f.key), join(path, f.key))
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}
