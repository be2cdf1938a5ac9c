package evidence

import (
	"encoding/json"
	"io"
)

// Risk ratings of the SageMaker model card schema (intended_uses.risk_rating).
const (
	RiskHigh    = "High"
	RiskMedium  = "Medium"
	RiskLow     = "Low"
	RiskUnknown = "Unknown"
)

// ModelCard is the content of a SageMaker model card (DescribeModelCard's
// Content). It is read leniently: cards are written by hand and by several
// tools, so text fields may be strings or lists of strings, and members this
// type does not know are kept, as written, in Sections.
type ModelCard struct {
	Overview     ModelOverview
	IntendedUses IntendedUses
	Business     BusinessDetails
	Training     TrainingDetails
	Evaluations  []Evaluation
	Additional   AdditionalInformation
	// Sections holds every top-level member as written, known or not,
	// e.g. Sections["model_overview"].
	Sections map[string]json.RawMessage
}

// ModelOverview is the card's model_overview.
type ModelOverview struct {
	ModelID, ModelName, Description, Version   string
	Owner, Creator, ProblemType, AlgorithmType string
	Artifacts                                  []string
}

// IntendedUses is the card's intended_uses.
type IntendedUses struct {
	Purpose, Uses, FactorsAffectingEfficiency string
	// RiskRating is High, Medium, Low or Unknown, as written.
	RiskRating, RiskRatingExplanation string
}

// BusinessDetails is the card's business_details.
type BusinessDetails struct {
	Problem, Stakeholders, LineOfBusiness string
}

// TrainingDetails is the part of the card's training_details a reviewer reads.
type TrainingDetails struct {
	ObjectiveFunction, Observations string
	TrainingJobARN                  string
	Metrics                         []CardMetric
}

// Evaluation is one entry of the card's evaluation_details.
type Evaluation struct {
	Name, Observation, JobARN string
	Datasets                  []string
	Metrics                   []CardMetric
}

// CardMetric is a metric as listed in a model card.
type CardMetric struct {
	// Group is the metric group's name (empty for training metrics).
	Group, Name string
	// Type is the card's metric type: number, string, boolean, matrix,
	// linear_graph, bar_chart.
	Type string
	// Value is set for numeric values.
	Value Number
	// Text is a non-numeric value: the string, or the JSON as written.
	Text  string
	Notes string
}

// AdditionalInformation is the card's additional_information.
type AdditionalInformation struct {
	EthicalConsiderations, CaveatsAndRecommendations string
}

const modelCardReport = "model card"

// ParseModelCard reads model card content. opts may be nil.
func ParseModelCard(r io.Reader, opts *Options) (*ModelCard, error) {
	d, err := parseDoc(modelCardReport, r, opts)
	if err != nil {
		return nil, err
	}
	return d.modelCard()
}

// textField is a lenient text member and where to store it.
type textField struct {
	key string
	dst *string
}

func (d *doc) textFields(n *node, path string, fields ...textField) error {
	for _, f := range fields {
		v, err := d.text(n.field(f.key), join(path, f.key))
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}

// section returns an optional object member; nil when absent or null.
func (d *doc) section(n *node, key string) (*node, error) {
	s := n.field(key)
	if s == nil || s.kind == kindNull {
		return nil, nil
	}
	return s, d.wantObject(s, key)
}

func (d *doc) modelCard() (*ModelCard, error) {
	if err := d.wantObject(d.root, ""); err != nil {
		return nil, err
	}
	c := &ModelCard{Sections: make(map[string]json.RawMessage, len(d.root.keys))}
	for i, k := range d.root.keys {
		c.Sections[k] = d.raw(d.root.vals[i])
	}
	if s, err := d.section(d.root, "model_overview"); err != nil {
		return nil, err
	} else if s != nil {
		o := &c.Overview
		if err := d.textFields(s, "model_overview",
			textField{"model_id", &o.ModelID}, textField{"model_name", &o.ModelName},
			textField{"model_description", &o.Description}, textField{"model_version", &o.Version},
			textField{"model_owner", &o.Owner}, textField{"model_creator", &o.Creator},
			textField{"problem_type", &o.ProblemType}, textField{"algorithm_type", &o.AlgorithmType}); err != nil {
			return nil, err
		}
		if o.Artifacts, err = d.texts(s.field("model_artifact"), "model_overview.model_artifact"); err != nil {
			return nil, err
		}
	}
	if s, err := d.section(d.root, "intended_uses"); err != nil {
		return nil, err
	} else if s != nil {
		u := &c.IntendedUses
		if err := d.textFields(s, "intended_uses",
			textField{"purpose_of_model", &u.Purpose}, textField{"intended_uses", &u.Uses},
			textField{"factors_affecting_model_efficiency", &u.FactorsAffectingEfficiency},
			textField{"risk_rating", &u.RiskRating}, textField{"explanations_for_risk_rating", &u.RiskRatingExplanation}); err != nil {
			return nil, err
		}
	}
	if s, err := d.section(d.root, "business_details"); err != nil {
		return nil, err
	} else if s != nil {
		b := &c.Business
		if err := d.textFields(s, "business_details",
			textField{"business_problem", &b.Problem}, textField{"business_stakeholders", &b.Stakeholders},
			textField{"line_of_business", &b.LineOfBusiness}); err != nil {
			return nil, err
		}
	}
	if s, err := d.section(d.root, "training_details"); err != nil {
		return nil, err
	} else if s != nil {
		if err := d.trainingDetails(&c.Training, s, "training_details"); err != nil {
			return nil, err
		}
	}
	if ev := d.root.field("evaluation_details"); ev != nil && ev.kind != kindNull {
		if err := d.wantArray(ev, "evaluation_details"); err != nil {
			return nil, err
		}
		for i := range ev.length() {
			e, err := d.evaluation(ev.elem(i), index("evaluation_details", i))
			if err != nil {
				return nil, err
			}
			c.Evaluations = append(c.Evaluations, e)
		}
	}
	if s, err := d.section(d.root, "additional_information"); err != nil {
		return nil, err
	} else if s != nil {
		a := &c.Additional
		if err := d.textFields(s, "additional_information",
			textField{"ethical_considerations", &a.EthicalConsiderations},
			textField{"caveats_and_recommendations", &a.CaveatsAndRecommendations}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (d *doc) trainingDetails(t *TrainingDetails, s *node, path string) error {
	if err := d.textFields(s, path, textField{"training_observations", &t.Observations}); err != nil {
		return err
	}
	// objective_function is an object {function: {function, facet, condition}, notes}
	// in the schema, and a plain string in many hand-written cards.
	if of := s.field("objective_function"); of != nil {
		if of.kind == kindObject {
			t.ObjectiveFunction = string(d.raw(of))
		} else {
			var err error
			if t.ObjectiveFunction, err = d.text(of, join(path, "objective_function")); err != nil {
				return err
			}
		}
	}
	job := s.field("training_job_details")
	if job == nil || job.kind == kindNull {
		return nil
	}
	jpath := join(path, "training_job_details")
	if err := d.wantObject(job, jpath); err != nil {
		return err
	}
	if err := d.textFields(job, jpath, textField{"training_arn", &t.TrainingJobARN}); err != nil {
		return err
	}
	for _, key := range []string{"training_metrics", "user_provided_training_metrics"} {
		ms := job.field(key)
		if ms == nil || ms.kind == kindNull {
			continue
		}
		mpath := join(jpath, key)
		if err := d.wantArray(ms, mpath); err != nil {
			return err
		}
		for i := range ms.length() {
			m, err := d.cardMetric("", ms.elem(i), index(mpath, i))
			if err != nil {
				return err
			}
			t.Metrics = append(t.Metrics, m)
		}
	}
	return nil
}

func (d *doc) evaluation(n *node, path string) (Evaluation, error) {
	var e Evaluation
	if err := d.wantObject(n, path); err != nil {
		return e, err
	}
	if err := d.textFields(n, path, textField{"name", &e.Name},
		textField{"evaluation_observation", &e.Observation}, textField{"evaluation_job_arn", &e.JobARN}); err != nil {
		return e, err
	}
	var err error
	if e.Datasets, err = d.texts(n.field("datasets"), join(path, "datasets")); err != nil {
		return e, err
	}
	groups := n.field("metric_groups")
	if groups == nil || groups.kind == kindNull {
		return e, nil
	}
	gpath := join(path, "metric_groups")
	if err := d.wantArray(groups, gpath); err != nil {
		return e, err
	}
	for i := range groups.length() {
		g, gp := groups.elem(i), index(gpath, i)
		if err := d.wantObject(g, gp); err != nil {
			return e, err
		}
		name, err := d.text(g.field("name"), join(gp, "name"))
		if err != nil {
			return e, err
		}
		data := g.field("metric_data")
		if data == nil || data.kind == kindNull {
			continue
		}
		dp := join(gp, "metric_data")
		if err := d.wantArray(data, dp); err != nil {
			return e, err
		}
		for j := range data.length() {
			m, err := d.cardMetric(name, data.elem(j), index(dp, j))
			if err != nil {
				return e, err
			}
			e.Metrics = append(e.Metrics, m)
		}
	}
	return e, nil
}

func (d *doc) cardMetric(group string, n *node, path string) (CardMetric, error) {
	m := CardMetric{Group: group}
	if err := d.wantObject(n, path); err != nil {
		return m, err
	}
	if err := d.textFields(n, path, textField{"name", &m.Name}, textField{"type", &m.Type}, textField{"notes", &m.Notes}); err != nil {
		return m, err
	}
	v := n.field("value")
	switch {
	case v == nil || v.kind == kindNull:
	case v.kind == kindNumber:
		num, err := d.number(v, join(path, "value"))
		if err != nil {
			return m, err
		}
		m.Value = num
	case v.kind == kindString:
		m.Text = v.text
		if f, ok := nonFinite(v.text); ok && m.Type == "number" {
			m.Value = Num(f)
		}
	default:
		m.Text = string(d.raw(v))
	}
	return m, nil
}

// texts reads a list of strings, accepting a single string too.
func (d *doc) texts(n *node, path string) ([]string, error) {
	if n == nil || n.kind == kindNull {
		return nil, nil
	}
	if n.kind != kindArray {
		s, err := d.text(n, path)
		return []string{s}, err
	}
	out := make([]string, 0, n.length())
	for i := range n.length() {
		s, err := d.text(n.elem(i), index(path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
