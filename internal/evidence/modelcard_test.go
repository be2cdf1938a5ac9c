package evidence

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseModelCardExposesWhatAReviewerReads(t *testing.T) {
	c, err := ParseModelCard(bytes.NewReader(testdata(t, "model_card.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Overview
	if o.ModelName != "fraud-detector" || o.Version != "12" || o.Owner != "ml-fraud" || len(o.Artifacts) != 1 ||
		!strings.HasPrefix(o.Description, "Gradient-boosted") {
		t.Errorf("overview = %+v", o)
	}
	u := c.IntendedUses
	if u.RiskRating != RiskHigh || u.Uses != "Real-time scoring of card-not-present transactions\nNightly batch re-scoring" ||
		u.Purpose == "" || u.RiskRatingExplanation == "" {
		t.Errorf("intended uses = %+v", u)
	}
	if c.Business.LineOfBusiness != "Card payments" {
		t.Errorf("business = %+v", c.Business)
	}
	if !strings.Contains(c.Training.ObjectiveFunction, `"Minimize"`) || len(c.Training.Metrics) != 2 ||
		c.Training.Metrics[0].Value.Float != 0.9141 || !strings.HasSuffix(c.Training.TrainingJobARN, "fraud-detector-2026-11-18-10-02-11") {
		t.Errorf("training = %+v", c.Training)
	}
	if len(c.Evaluations) != 1 {
		t.Fatalf("evaluations = %+v", c.Evaluations)
	}
	e := c.Evaluations[0]
	if e.Name != "fraud-detector-12-evaluation" || len(e.Datasets) != 1 || len(e.Metrics) != 4 {
		t.Fatalf("evaluation = %+v", e)
	}
	if m := e.Metrics[0]; m.Group != "binary_classification_metrics" || m.Name != "auc" || m.Value.Float != 0.9114583333333334 {
		t.Errorf("auc = %+v", m)
	}
	if m := e.Metrics[2]; m.Type != "matrix" || m.Value.Set || m.Text != "[[161, 7], [4, 12]]" {
		t.Errorf("matrix = %+v", m)
	}
	if m := e.Metrics[3]; m.Type != "string" || m.Text != "0.5" {
		t.Errorf("string metric = %+v", m)
	}
	for _, section := range []string{"model_overview", "additional_information", "model_package_details"} {
		if len(c.Sections[section]) == 0 {
			t.Errorf("section %s not kept", section)
		}
	}
	if !strings.Contains(string(c.Sections["additional_information"]), `"validator": "mrm-team"`) {
		t.Errorf("custom_details lost: %s", c.Sections["additional_information"])
	}
}

func TestParseModelCardIsLenientButRejectsWrongShapes(t *testing.T) {
	c, err := ParseModelCard(strings.NewReader(`{"model_overview": {"model_artifact": "s3://b/k"}, "intended_uses": {"risk_rating": "Low"}, "new_section_2027": {"x": 1}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.IntendedUses.RiskRating != RiskLow || len(c.Overview.Artifacts) != 1 || c.Sections["new_section_2027"] == nil {
		t.Errorf("card = %+v", c)
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"model_overview": "fraud"}`, `model_overview: want an object, got string "fraud"`},
		{`{"intended_uses": {"risk_rating": {"level": "High"}}}`, "intended_uses.risk_rating: want text, got an object"},
		{`{"evaluation_details": {"name": "x"}}`, "evaluation_details: want an array"},
		{`{"evaluation_details": [{"metric_groups": [{"name": "g", "metric_data": [7]}]}]}`, "evaluation_details[0].metric_groups[0].metric_data[0]: want an object"},
		{`[]`, "want an object"},
	} {
		_, err := ParseModelCard(strings.NewReader(tc.doc), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "model card: ") {
			t.Errorf("ParseModelCard(%s): err = %v, want %q", tc.doc, err, tc.want)
		}
	}
}
