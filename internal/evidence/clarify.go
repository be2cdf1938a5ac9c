package evidence

import (
	"fmt"
	"io"
)

// Bias stages, as they appear in metric paths ("bias.<stage>.<METRIC>").
const (
	PreTraining  = "pre_training"
	PostTraining = "post_training"
)

// Analysis is a SageMaker Clarify analysis.json: bias metrics from a bias
// job, SHAP explanations from an explainability job, or both.
type Analysis struct {
	Version string
	// PreTraining and PostTraining are the bias reports; nil when absent.
	PreTraining, PostTraining *BiasReport
	// SHAP holds explanations.kernel_shap by label.
	SHAP map[string]SHAP
	// Metrics holds every bias metric, keyed by path
	// "bias.<stage>.<METRIC>[<facet>=<value>]".
	Metrics map[string]Metric
}

// BiasReport is pre_training_bias_metrics or post_training_bias_metrics.
type BiasReport struct {
	// Stage is PreTraining or PostTraining.
	Stage string
	// Label is the label column; LabelValueOrThreshold its positive value(s)
	// or threshold (a list is joined with commas, as Clarify writes it).
	Label, LabelValueOrThreshold string
	// Groups are the facet groups, in report order.
	Groups []FacetGroup
}

// FacetGroup is the metrics for one value (or threshold) of one facet.
type FacetGroup struct {
	Facet, ValueOrThreshold string
	Metrics                 []BiasMetric
}

// BiasMetric is one bias metric of a facet group.
type BiasMetric struct {
	// Name is Clarify's short name: "CI", "DPL", "DI", "DPPL", …
	Name, Description string
	// Value is unset when Clarify could not compute it (then Error says why),
	// and may be ±Inf (DI when a group has no positive outcome) or NaN.
	Value Number
	Error string
}

// SHAP is one label's global SHAP explanation.
type SHAP struct {
	Label         string
	ExpectedValue Number
	// Values is global_shap_values: feature → mean |SHAP value|.
	Values map[string]float64
}

const clarifyReport = "clarify analysis"

// ParseClarify reads a Clarify analysis.json. opts may be nil.
func ParseClarify(r io.Reader, opts *Options) (*Analysis, error) {
	d, err := parseDoc(clarifyReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.analysis()
}

func (d *doc) analysis() (*Analysis, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	a := &Analysis{Metrics: map[string]Metric{}}
	var err error
	if a.Version, err = d.text(d.root.field("version"), "version"); err != nil {
		return nil, err
	}
	for _, stage := range []string{PreTraining, PostTraining} {
		key := stage + "_bias_metrics"
		n := d.root.field(key)
		if n == nil {
			continue
		}
		rep, err := d.biasReport(a, stage, n, key)
		if err != nil {
			return nil, err
		}
		if stage == PreTraining {
			a.PreTraining = rep
		} else {
			a.PostTraining = rep
		}
	}
	if ex := d.root.field("explanations"); ex != nil {
		if err := d.explanations(a, ex, "explanations"); err != nil {
			return nil, err
		}
	}
	if a.PreTraining == nil && a.PostTraining == nil && a.SHAP == nil {
		return nil, d.errorf(d.root, "", "no pre_training_bias_metrics, post_training_bias_metrics or explanations.kernel_shap")
	}
	return a, nil
}

func (d *doc) biasReport(a *Analysis, stage string, n *node, path string) (*BiasReport, error) {
	if err := d.wantObject(n, path); err != nil {
		return nil, err
	}
	rep := &BiasReport{Stage: stage}
	var err error
	if rep.Label, err = d.text(n.field("label"), join(path, "label")); err != nil {
		return nil, err
	}
	if rep.LabelValueOrThreshold, err = d.textJoin(n.field("label_value_or_threshold"), join(path, "label_value_or_threshold"), ","); err != nil {
		return nil, err
	}
	facets := n.field("facets")
	fpath := join(path, "facets")
	if facets == nil {
		return nil, d.errorf(n, path, `missing "facets"`)
	}
	if err := d.wantObject(facets, fpath); err != nil {
		return nil, err
	}
	for i, facet := range facets.keys {
		groups, gpath := facets.vals[i], join(fpath, facet)
		if err := d.wantArray(groups, gpath); err != nil {
			return nil, err
		}
		for j := range groups.length() {
			g, err := d.facetGroup(a, stage, facet, groups.elem(j), index(gpath, j))
			if err != nil {
				return nil, err
			}
			rep.Groups = append(rep.Groups, g)
		}
	}
	return rep, nil
}

func (d *doc) facetGroup(a *Analysis, stage, facet string, n *node, path string) (FacetGroup, error) {
	g := FacetGroup{Facet: facet}
	if err := d.wantObject(n, path); err != nil {
		return g, err
	}
	var err error
	if g.ValueOrThreshold, err = d.textJoin(n.field("value_or_threshold"), join(path, "value_or_threshold"), ","); err != nil {
		return g, err
	}
	ms, mpath := n.field("metrics"), join(path, "metrics")
	if ms == nil {
		return g, d.errorf(n, path, `missing "metrics"`)
	}
	if err := d.wantArray(ms, mpath); err != nil {
		return g, err
	}
	for k := range ms.length() {
		m, mp := ms.elem(k), index(mpath, k)
		if err := d.wantObject(m, mp); err != nil {
			return g, err
		}
		var bm BiasMetric
		if bm.Name, err = d.requiredString(m, mp, "name"); err != nil {
			return g, err
		}
		if !pathName.MatchString(bm.Name) {
			return g, d.errorf(m.field("name"), join(mp, "name"), "metric name %q is not a plain name", bm.Name)
		}
		if bm.Description, err = d.text(m.field("description"), join(mp, "description")); err != nil {
			return g, err
		}
		if m.field("value") == nil && m.field("error") == nil {
			return g, d.errorf(m, mp, `missing "value"`)
		}
		if bm.Value, err = d.number(m.field("value"), join(mp, "value")); err != nil {
			return g, err
		}
		if bm.Error, err = d.text(m.field("error"), join(mp, "error")); err != nil {
			return g, err
		}
		g.Metrics = append(g.Metrics, bm)
		p := Path{Group: "bias." + stage, Metric: bm.Name, Qualified: true, Facet: facet, FacetValue: g.ValueOrThreshold}.String()
		if _, dup := a.Metrics[p]; dup {
			return g, d.errorf(m, mp, "metric %s appears twice", p)
		}
		a.Metrics[p] = Metric{Path: p, Value: bm.Value, Description: bm.Description}
	}
	return g, nil
}

func (d *doc) explanations(a *Analysis, n *node, path string) error {
	if err := d.wantObject(n, path); err != nil {
		return err
	}
	ks := n.field("kernel_shap")
	if ks == nil {
		return nil // other methods (pdp, …) are not read
	}
	kpath := join(path, "kernel_shap")
	if err := d.wantObject(ks, kpath); err != nil {
		return err
	}
	a.SHAP = make(map[string]SHAP, len(ks.keys))
	for i, label := range ks.keys {
		e, lpath := ks.vals[i], join(kpath, label)
		if err := d.wantObject(e, lpath); err != nil {
			return err
		}
		s := SHAP{Label: label}
		var err error
		if s.ExpectedValue, err = d.number(e.field("expected_value"), join(lpath, "expected_value")); err != nil {
			return err
		}
		gv, gpath := e.field("global_shap_values"), join(lpath, "global_shap_values")
		if gv == nil {
			return d.errorf(e, lpath, `missing "global_shap_values"`)
		}
		if err := d.wantObject(gv, gpath); err != nil {
			return err
		}
		s.Values = make(map[string]float64, len(gv.keys))
		for j, feature := range gv.keys {
			v, err := d.number(gv.vals[j], join(gpath, feature))
			if err != nil {
				return err
			}
			if !v.Finite() {
				return d.errorf(gv.vals[j], join(gpath, feature), "want a finite SHAP value, got %s", gv.vals[j].describe())
			}
			s.Values[feature] = v.Float
		}
		a.SHAP[label] = s
	}
	return nil
}

// String summarises a facet group for messages: "sex=female".
func (g FacetGroup) String() string { return fmt.Sprintf("%s=%s", g.Facet, g.ValueOrThreshold) }
