package registry

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// card is the parts of a card's content the tests read.
type card struct {
	Overview struct {
		ModelName string `json:"model_name"`
	} `json:"model_overview"`
	IntendedUses map[string]string `json:"intended_uses"`
	Evaluations  []struct {
		Name        string            `json:"name"`
		Observation string            `json:"evaluation_observation"`
		Metadata    map[string]string `json:"metadata"`
		Groups      []struct {
			Name string `json:"name"`
			Data []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Value any    `json:"value"`
			} `json:"metric_data"`
		} `json:"metric_groups"`
	} `json:"evaluation_details"`
	Additional struct {
		Custom map[string]string `json:"custom_details"`
	} `json:"additional_information"`
}

func (c card) evaluationNames() string {
	var names []string
	for _, e := range c.Evaluations {
		names = append(names, e.Name)
	}
	return strings.Join(names, ", ")
}

func deployment(stage string, version int, reports ...string) CardDeployment {
	d := CardDeployment{Model: "fraud-detector", Stage: stage, Version: version, Account: "333333333333", Region: "eu-west-1",
		Endpoint: "fraud-detector-" + stage, Since: "2026-12-07T15:00:00Z", PullRequestURL: "https://github.com/acme/ml/pull/7",
		Approvers: []string{"bob"}, EvidenceURI: "s3://acme/evidence.json"}
	for _, r := range reports {
		d.Evaluations = append(d.Evaluations, CardEvaluation{Report: r, Name: "v" + strconv.Itoa(version) + " " + r, Observation: "read " + r,
			Groups: []CardMetricGroup{{Name: "binary_classification_metrics", Metrics: []CardMetric{{Name: "auc", Value: 0.9}}}}})
	}
	return d
}

// What a promotion writes on the card: the schema's sections, merged with
// what the card holds, always content CreateModelCard and UpdateModelCard
// take.
func TestCardContent(t *testing.T) {
	foreign := `{"name":"governance review","evaluation_observation":"by hand"}`
	entry := func(version int, report string) string {
		return `{"name":"v` + strconv.Itoa(version) + ` ` + report + `","metadata":{"modelpromote_version":"` + strconv.Itoa(version) + `","modelpromote_report":"` + report + `"}}`
	}
	stages := func(lines map[string]int) string {
		var parts []string
		for stage, v := range lines {
			parts = append(parts, `"modelpromote_stage_`+stage+`":"v`+strconv.Itoa(v)+` on endpoint x"`)
		}
		return `"additional_information":{"custom_details":{` + strings.Join(parts, ",") + `}}`
	}
	history := func(n int) string {
		var parts []string
		for i := 1; i <= n; i++ {
			parts = append(parts, `"modelpromote_deployment_`+strconv.Itoa(i)+`":"staging: v`+strconv.Itoa(i)+`"`)
		}
		return `{"additional_information":{"custom_details":{` + strings.Join(parts, ",") + `}}}`
	}
	for _, tc := range []struct {
		name  string
		doc   string // "" for a new card
		d     CardDeployment
		check func(t *testing.T, c card)
	}{
		{"a new card: the model, the stage, the deployment and the reports read", "", deployment("staging", 13, "modelQuality"), func(t *testing.T, c card) {
			if c.Overview.ModelName != "fraud-detector" || c.evaluationNames() != "v13 modelQuality" {
				t.Errorf("overview %+v, evaluations %s", c.Overview, c.evaluationNames())
			}
			e := c.Evaluations[0]
			if e.Metadata["modelpromote_version"] != "13" || e.Metadata["modelpromote_report"] != "modelQuality" || e.Observation != "read modelQuality" ||
				len(e.Groups) != 1 || e.Groups[0].Data[0].Name != "auc" || e.Groups[0].Data[0].Type != "number" || e.Groups[0].Data[0].Value != 0.9 {
				t.Errorf("evaluation %+v", e)
			}
			if !strings.HasPrefix(c.Additional.Custom["modelpromote_stage_staging"], "v13 on endpoint fraud-detector-staging (account 333333333333, eu-west-1) since 2026-12-07T15:00:00Z; https://github.com/acme/ml/pull/7; approved by bob") ||
				!strings.HasPrefix(c.Additional.Custom["modelpromote_deployment_1"], "staging: v13 on endpoint") || len(c.Additional.Custom) != 2 {
				t.Errorf("custom details %+v", c.Additional.Custom)
			}
		}},
		{"versions no stage runs lose their evaluations; the governance team's stay", `{"evaluation_details":[` + foreign + `,` + entry(11, "modelQuality") + `,` + entry(12, "modelQuality") + `],` +
			stages(map[string]int{"staging": 11, "prod": 12}) + `}`, deployment("staging", 13, "modelQuality"), func(t *testing.T, c card) {
			if got := c.evaluationNames(); got != "governance review, v12 modelQuality, v13 modelQuality" {
				t.Errorf("evaluations %s", got)
			}
		}},
		{"a later stage's reports replace the same version's, and the rest stay", `{"evaluation_details":[` + entry(13, "modelQuality") + `,` + entry(13, "dataQuality") + `],` +
			stages(map[string]int{"staging": 13}) + `}`, deployment("prod", 13, "modelQuality", "explainability"), func(t *testing.T, c card) {
			if got := c.evaluationNames(); got != "v13 dataQuality, v13 modelQuality, v13 explainability" {
				t.Errorf("evaluations %s", got)
			}
			if c.Evaluations[1].Observation != "read modelQuality" {
				t.Errorf("the replaced entry: %+v", c.Evaluations[1])
			}
		}},
		{"a promotion without reports leaves the version's evaluations", `{"evaluation_details":[` + entry(13, "modelQuality") + `],` + stages(map[string]int{"staging": 13}) + `}`,
			deployment("prod", 13), func(t *testing.T, c card) {
				if got := c.evaluationNames(); got != "v13 modelQuality" {
					t.Errorf("evaluations %s", got)
				}
			}},
		{"intended uses fill an empty section", `{"intended_uses":{}}`, func() CardDeployment {
			d := deployment("prod", 13)
			d.IntendedUses = &CardIntendedUses{Purpose: "Flag fraud.", Uses: strings.Repeat("x", 3000), RiskRating: "Severe"}
			return d
		}(), func(t *testing.T, c card) {
			u := c.IntendedUses
			if u["purpose_of_model"] != "Flag fraud." || len([]rune(u["intended_uses"])) != 2048 || !strings.HasSuffix(u["intended_uses"], "…") {
				t.Errorf("intended uses %+v", u)
			}
			if _, ok := u["risk_rating"]; ok {
				t.Errorf("a risk rating outside the schema's enum was written: %q", u["risk_rating"])
			}
		}},
		{"intended uses the card states are kept", `{"intended_uses":{"purpose_of_model":"As the governance team wrote it.","risk_rating":"High"}}`, func() CardDeployment {
			d := deployment("prod", 13)
			d.IntendedUses = &CardIntendedUses{Purpose: "Flag fraud.", RiskRating: "Low"}
			return d
		}(), func(t *testing.T, c card) {
			if c.IntendedUses["purpose_of_model"] != "As the governance team wrote it." || c.IntendedUses["risk_rating"] != "High" {
				t.Errorf("intended uses %+v", c.IntendedUses)
			}
		}},
		{"the history keeps the last 50 deployments, numbered on", history(50), deployment("staging", 51), func(t *testing.T, c card) {
			_, first := c.Additional.Custom["modelpromote_deployment_1"]
			if first || !strings.HasPrefix(c.Additional.Custom["modelpromote_deployment_51"], "staging: v51") || c.Additional.Custom["modelpromote_deployment_2"] != "staging: v2" {
				t.Errorf("history %v", c.Additional.Custom)
			}
		}},
		{"a line longer than a custom detail may be is cut", "", func() CardDeployment {
			d := deployment("prod", 13)
			for i := range 200 {
				d.Approvers = append(d.Approvers, "approver-"+strconv.Itoa(i))
			}
			return d
		}(), func(t *testing.T, c card) {
			if s := c.Additional.Custom["modelpromote_stage_prod"]; len([]rune(s)) != 1024 || !strings.HasSuffix(s, "…") {
				t.Errorf("stage line of %d characters", len([]rune(s)))
			}
		}},
		{"a registry-only stage deploys nothing", "", func() CardDeployment {
			d := deployment("central", 13)
			d.Endpoint = ""
			return d
		}(), func(t *testing.T, c card) {
			if !strings.HasPrefix(c.Additional.Custom["modelpromote_stage_central"], "v13 registered, deploying nothing (account 333333333333, eu-west-1)") {
				t.Errorf("stage line %q", c.Additional.Custom["modelpromote_stage_central"])
			}
		}},
		{"a stage name's hyphens become underscores", "", deployment("prod-eu", 13), func(t *testing.T, c card) {
			if _, ok := c.Additional.Custom["modelpromote_stage_prod_eu"]; !ok {
				t.Errorf("custom details %v", c.Additional.Custom)
			}
		}},
		{"a value that is not a finite number is written as text", "", func() CardDeployment {
			d := deployment("staging", 13)
			d.Evaluations = []CardEvaluation{{Report: "modelQuality", Name: "v13 model quality", Groups: []CardMetricGroup{{Name: "regression_metrics",
				Metrics: []CardMetric{{Name: "r2", Value: math.NaN()}, {Name: "mse", Value: math.Inf(1)}, {Name: "mae", Text: "NaN"}}}}}}
			return d
		}(), func(t *testing.T, c card) {
			data := c.Evaluations[0].Groups[0].Data
			if data[0].Type != "string" || data[0].Value != "NaN" || data[1].Value != "+Inf" || data[2].Value != "NaN" {
				t.Errorf("metrics %+v", data)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if tc.doc != "" {
				if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
					t.Fatal(err)
				}
			}
			content, err := cardContent(doc, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if err := smemu.CheckModelCardContent(content); err != nil {
				t.Fatalf("SageMaker would refuse the content: %v\n%s", err, content)
			}
			var c card
			if err := json.Unmarshal([]byte(content), &c); err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
			if got := CardStages(content); !strings.Contains(strings.Join(got, ","), tc.d.Stage) {
				t.Errorf("CardStages %v lacks %s", got, tc.d.Stage)
			}
		})
	}
}

// A card whose own sections are too large for the deployment history and
// the evaluations is refused with the reason, before SageMaker would.
func TestCardContentOverTheLimit(t *testing.T) {
	big := map[string]any{"business_details": map[string]any{"business_problem": strings.Repeat("x", 100000)}}
	if _, err := cardContent(big, deployment("prod", 13, "modelQuality")); err == nil || !strings.Contains(err.Error(), "more than SageMaker's 100,000") {
		t.Fatalf("err %v", err)
	}
}

// Near the limit, the metrics of modelpromote's evaluations are left out,
// saying so, and the entries naming the reports stay.
func TestCardContentLeavesMetricsOutNearTheLimit(t *testing.T) {
	doc := map[string]any{"business_details": map[string]any{"business_problem": strings.Repeat("x", 98000)}}
	d := deployment("prod", 13, "modelQuality")
	for i := range 200 {
		d.Evaluations[0].Groups[0].Metrics = append(d.Evaluations[0].Groups[0].Metrics, CardMetric{Name: "metric_" + strconv.Itoa(i), Value: float64(i)})
	}
	content, err := cardContent(doc, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := smemu.CheckModelCardContent(content); err != nil {
		t.Fatal(err)
	}
	var c card
	if err := json.Unmarshal([]byte(content), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Evaluations) != 1 || len(c.Evaluations[0].Groups) != 0 || !strings.Contains(c.Evaluations[0].Observation, "metrics left out") {
		t.Errorf("evaluations %+v", c.Evaluations)
	}
}
