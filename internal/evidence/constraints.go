package evidence

import (
	"fmt"
	"io"
	"strings"
)

// Operator is a model quality constraint's comparison_operator. It names the
// condition that is a violation: Model Monitor suggests
// {"auc": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"}},
// meaning an AUC below 0.8 violates the constraint.
type Operator string

// The comparison operators Model Monitor understands.
const (
	GreaterThan        Operator = "GreaterThanThreshold"
	GreaterThanOrEqual Operator = "GreaterThanOrEqualToThreshold"
	LessThan           Operator = "LessThanThreshold"
	LessThanOrEqual    Operator = "LessThanOrEqualToThreshold"
)

// Valid reports whether o is one of the known operators.
func (o Operator) Valid() bool {
	switch o {
	case GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual:
		return true
	}
	return false
}

// Symbol is the operator as a comparison: ">", ">=", "<", "<=".
func (o Operator) Symbol() string {
	switch o {
	case GreaterThan:
		return ">"
	case GreaterThanOrEqual:
		return ">="
	case LessThan:
		return "<"
	case LessThanOrEqual:
		return "<="
	}
	return string(o)
}

// Violates reports whether value violates a constraint with this operator
// and threshold.
func (o Operator) Violates(value, threshold float64) bool {
	switch o {
	case GreaterThan:
		return value > threshold
	case GreaterThanOrEqual:
		return value >= threshold
	case LessThan:
		return value < threshold
	case LessThanOrEqual:
		return value <= threshold
	}
	return true // an operator we do not understand never passes
}

// Constraint is one model quality constraint.
type Constraint struct {
	// Path is the path of the metric it constrains, as in Statistics.Metrics:
	// the constraint binary_classification_constraints.auc constrains
	// "binary_classification_metrics.auc".
	Path      string
	Threshold Number
	Operator  Operator
}

// Constraints is a model quality constraints report:
//
//	{"version": 0.0, "binary_classification_constraints": {"auc": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"}}}
type Constraints struct {
	ProblemType ProblemType
	Version     Number
	// Constraints is keyed by metric path, like Statistics.Metrics.
	Constraints map[string]Constraint
}

const constraintsReport = "model quality constraints"

// ParseConstraints reads a model quality constraints report. opts may be nil.
func ParseConstraints(r io.Reader, opts *Options) (*Constraints, error) {
	d, err := parseDoc(constraintsReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.constraints()
}

func (d *doc) constraints() (*Constraints, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	c := &Constraints{Constraints: map[string]Constraint{}}
	var err error
	if c.Version, err = d.number(d.root.field("version"), "version"); err != nil {
		return nil, err
	}
	groups := 0
	for i, key := range d.root.keys {
		prefix, ok := strings.CutSuffix(key, "_constraints")
		if !ok {
			continue
		}
		groups++
		if p := ProblemType(prefix); p.known() && c.ProblemType == "" {
			c.ProblemType = p
		}
		n, path := d.root.vals[i], join("", key)
		if !pathName.MatchString(key) {
			return nil, d.errorf(n, path, "group name %q is not a plain name", key)
		}
		if err := d.wantObject(n, path); err != nil {
			return nil, err
		}
		for j, name := range n.keys {
			if !pathName.MatchString(name) {
				return nil, d.errorf(n.vals[j], join(path, name), "metric name %q is not a plain name", name)
			}
			con, err := d.constraint(n.vals[j], join(path, name))
			if err != nil {
				return nil, err
			}
			con.Path = prefix + "_metrics." + name
			c.Constraints[con.Path] = con
		}
	}
	if groups == 0 {
		return nil, d.errorf(d.root, "", "no constraints: want a regression_constraints, binary_classification_constraints or multiclass_classification_constraints object")
	}
	return c, nil
}

func (d *doc) constraint(n *node, path string) (Constraint, error) {
	var c Constraint
	if err := d.wantObject(n, path); err != nil {
		return c, err
	}
	tn := n.field("threshold")
	t, err := d.number(tn, join(path, "threshold"))
	if err != nil {
		return c, err
	}
	if !t.Finite() {
		return c, d.errorf(orNode(tn, n), join(path, "threshold"), "want a finite threshold, got %s", t)
	}
	on := n.field("comparison_operator")
	op, err := d.str(on, join(path, "comparison_operator"))
	if err != nil {
		return c, err
	}
	if !Operator(op).Valid() {
		return c, d.errorf(orNode(on, n), join(path, "comparison_operator"),
			"unknown operator %q: want %s, %s, %s or %s", op, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual)
	}
	c.Threshold, c.Operator = t, Operator(op)
	return c, nil
}

func orNode(n, parent *node) *node {
	if n != nil {
		return n
	}
	return parent
}

// Violation is a metric that breaks a constraint.
type Violation struct {
	Metric    string
	Value     Number
	Operator  Operator
	Threshold Number
	Message   string
}

// Evaluate checks statistics against the constraints and returns the
// violations, sorted by metric. A constrained metric that the statistics lack,
// or whose value is not finite, is a violation: a constraint that cannot be
// checked must not pass.
func (c *Constraints) Evaluate(s *Statistics) []Violation {
	if s == nil {
		s = &Statistics{}
	}
	var out []Violation
	for _, path := range sortedKeys(c.Constraints) {
		con := c.Constraints[path]
		v := Violation{Metric: path, Operator: con.Operator, Threshold: con.Threshold}
		m, ok := s.Metrics[path]
		v.Value = m.Value
		switch {
		case !ok:
			v.Message = fmt.Sprintf("%s: missing from the statistics (constraint %s %s)", path, con.Operator.Symbol(), con.Threshold)
		case !m.Value.Finite():
			v.Message = fmt.Sprintf("%s: value %s cannot be checked against %s %s", path, m.Value, con.Operator.Symbol(), con.Threshold)
		case con.Operator.Violates(m.Value.Float, con.Threshold.Float):
			value, threshold := Readable(m.Value, con.Threshold)
			v.Message = fmt.Sprintf("%s: %s %s threshold %s (%s)", path, value, con.Operator.Symbol(), threshold, con.Operator)
		default:
			continue
		}
		out = append(out, v)
	}
	return out
}
