package awsemu_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// Model cards are written as SageMaker documents: a create, then one new
// version per update; content or status per call, never both; no content
// change once Archived; content must be JSON of at most 100,000 characters.
// The AWS CLI reads the versions back.
func TestModelCardVersionsAndStatusRules(t *testing.T) {
	e := newEnv(t)
	svc := sagemaker.New(sagemaker.Options{})
	e.srv.Mount(svc)
	c := sm.NewFromConfig(e.srv.Config(e.prod))
	create := &sm.CreateModelCardInput{ModelCardName: aws.String("fraud-detector"), ModelCardStatus: smtypes.ModelCardStatusDraft,
		Content: aws.String(`{"model_overview":{"model_name":"fraud-detector"}}`), Tags: []smtypes.Tag{{Key: aws.String("Team"), Value: aws.String("fraud")}}}
	if _, err := c.CreateModelCard(ctx(t), create); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateModelCard(ctx(t), create); apiCode(t, err) != "ConflictException" {
		t.Errorf("second create: %v", err)
	}
	update := func(content *string, status smtypes.ModelCardStatus) error {
		_, err := c.UpdateModelCard(ctx(t), &sm.UpdateModelCardInput{ModelCardName: aws.String("fraud-detector"), Content: content, ModelCardStatus: status})
		return err
	}
	if err := update(aws.String(`{"model_overview":{"model_name":"fraud-detector","model_version":2}}`), ""); err != nil {
		t.Fatal(err)
	}
	if err := update(aws.String(`{}`), smtypes.ModelCardStatusApproved); apiCode(t, err) != "ValidationException" {
		t.Errorf("content and status in one call: %v", err)
	}
	if err := update(aws.String(`not json`), ""); apiCode(t, err) != "ValidationException" {
		t.Errorf("content that is not JSON: %v", err)
	}
	if err := update(aws.String(`"`+strings.Repeat("x", 100000)+`"`), ""); apiCode(t, err) != "ValidationException" {
		t.Errorf("content over 100,000 characters: %v", err)
	}
	if err := update(nil, smtypes.ModelCardStatusArchived); err != nil {
		t.Fatal(err)
	}
	if err := update(aws.String(`{}`), ""); err == nil || !strings.Contains(err.Error(), "Model Card is in Archived state") {
		t.Errorf("content change on an Archived card: %v", err)
	}
	v1, err := c.DescribeModelCard(ctx(t), &sm.DescribeModelCardInput{ModelCardName: aws.String("fraud-detector"), ModelCardVersion: aws.Int32(1)})
	if err != nil || !strings.Contains(aws.ToString(v1.Content), `"model_name":"fraud-detector"}`) || v1.ModelCardStatus != smtypes.ModelCardStatusDraft {
		t.Errorf("version 1: %v %+v", err, v1)
	}

	run := awsCLI(t, e, e.prod)
	var versions struct {
		ModelCardVersionSummaryList []struct {
			ModelCardVersion int
			ModelCardStatus  string
		}
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "list-model-card-versions", "--model-card-name", "fraud-detector", "--sort-order", "Ascending")), &versions); err != nil {
		t.Fatal(err)
	}
	got := versions.ModelCardVersionSummaryList
	if len(got) != 3 || got[0].ModelCardVersion != 1 || got[1].ModelCardStatus != "Draft" || got[2].ModelCardStatus != "Archived" {
		t.Errorf("versions %+v, want 1 and 2 Draft, 3 Archived", got)
	}
	var latest struct {
		ModelCardVersion int
		Content          string
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "describe-model-card", "--model-card-name", "fraud-detector")), &latest); err != nil {
		t.Fatal(err)
	}
	if latest.ModelCardVersion != 3 || !strings.Contains(latest.Content, `"model_version":2`) {
		t.Errorf("latest %+v", latest)
	}
}

// Content must be in the model card JSON schema: CreateModelCard and
// UpdateModelCard refuse content whose sections the emulator models break
// the schema's rules, naming the field, and change nothing. The AWS CLI
// reads back the evaluation details of a card that follows them.
func TestModelCardContentFollowsTheSchema(t *testing.T) {
	e := newEnv(t)
	svc := sagemaker.New(sagemaker.Options{})
	e.srv.Mount(svc)
	c := sm.NewFromConfig(e.srv.Config(e.prod))
	metric := `{"name":"auc","type":"number","value":0.91}`
	evaluation := func(members string) string {
		return `{"evaluation_details":[{"name":"v13 model quality"` + members + `}]}`
	}
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	for i, tc := range []struct {
		name, content, field string // field: "" when the content is valid
	}{
		{"empty object", `{}`, ""},
		{"every modelled section", `{"model_overview":{"model_name":"fraud"},"intended_uses":{"purpose_of_model":"` + long(2048) + `","risk_rating":"Low"},` +
			`"evaluation_details":[{"name":"` + long(63) + `","evaluation_observation":"` + long(2096) + `","datasets":["s3://d/1"],"metadata":{"modelpromote_version":"13"},` +
			`"metric_groups":[{"name":"binary_classification_metrics","metric_data":[` + metric + `,{"name":"note","type":"string","value":"NaN"},{"name":"ok","type":"boolean","value":true},` +
			`{"name":"roc","type":"linear_graph","value":[[0,0],[1,1]],"x_axis_name":"fpr","y_axis_name":["tpr"]}]}]}],` +
			`"additional_information":{"custom_details":{"modelpromote_stage_prod":"` + long(1024) + `"}}}`, ""},
		{"not an object", `[]`, "JSON object"},
		{"unknown section", `{"deployments":{}}`, "deployments"},
		{"overview not an object", `{"model_overview":"fraud"}`, "model_overview"},
		{"risk rating outside the enum", `{"intended_uses":{"risk_rating":"Severe"}}`, "intended_uses.risk_rating"},
		{"intended use too long", `{"intended_uses":{"intended_uses":"` + long(2049) + `"}}`, "intended_uses.intended_uses"},
		{"unknown intended_uses member", `{"intended_uses":{"users":"x"}}`, "intended_uses.users"},
		{"evaluation without a name", `{"evaluation_details":[{"evaluation_observation":"x"}]}`, "evaluation_details[0].name"},
		{"evaluation name too long", `{"evaluation_details":[{"name":"` + long(64) + `"}]}`, "evaluation_details[0].name"},
		{"observation too long", evaluation(`,"evaluation_observation":"` + long(2097) + `"`), "evaluation_observation"},
		{"eleven datasets", evaluation(`,"datasets":["a","a","a","a","a","a","a","a","a","a","a"]`), "datasets"},
		{"metadata key with a space", evaluation(`,"metadata":{"model version":"13"}`), "metadata.model version"},
		{"metric group without metric_data", evaluation(`,"metric_groups":[{"name":"g"}]`), "metric_groups[0].metric_data"},
		{"metric without a value", evaluation(`,"metric_groups":[{"name":"g","metric_data":[{"name":"auc","type":"number"}]}]`), "metric_data[0].value"},
		{"metric of an unknown type", evaluation(`,"metric_groups":[{"name":"g","metric_data":[{"name":"auc","type":"float","value":1}]}]`), "metric_data[0].type"},
		{"number written as a string", evaluation(`,"metric_groups":[{"name":"g","metric_data":[{"name":"auc","type":"number","value":"0.9"}]}]`), "metric_data[0].value"},
		{"metric name too long", evaluation(`,"metric_groups":[{"name":"g","metric_data":[{"name":"` + long(256) + `","type":"number","value":1}]}]`), "metric_data[0].name"},
		{"custom detail key with a colon", `{"additional_information":{"custom_details":{"modelpromote: stage prod":"v13"}}}`, "custom_details.modelpromote: stage prod"},
		{"custom detail too long", `{"additional_information":{"custom_details":{"history":"` + long(1025) + `"}}}`, "custom_details.history"},
		{"custom detail not a string", `{"additional_information":{"custom_details":{"n":3}}}`, "custom_details.n"},
	} {
		name := "card-" + strconv.Itoa(i)
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateModelCard(ctx(t), &sm.CreateModelCardInput{ModelCardName: aws.String(name), ModelCardStatus: smtypes.ModelCardStatusDraft, Content: aws.String(tc.content)})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid content refused: %v", err)
				}
				// The same content as an update is taken too.
				if _, err := c.UpdateModelCard(ctx(t), &sm.UpdateModelCardInput{ModelCardName: aws.String(name), Content: aws.String(tc.content)}); err != nil {
					t.Fatalf("valid update refused: %v", err)
				}
				return
			}
			if apiCode(t, err) != "ValidationException" || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("create: %v, want a ValidationException naming %s", err, tc.field)
			}
			if len(svc.ModelCardVersions(prodAccount, "us-east-1", name)) != 0 {
				t.Fatal("a refused create made a card")
			}
			if _, err := c.CreateModelCard(ctx(t), &sm.CreateModelCardInput{ModelCardName: aws.String(name), ModelCardStatus: smtypes.ModelCardStatusDraft, Content: aws.String(`{}`)}); err != nil {
				t.Fatal(err)
			}
			_, err = c.UpdateModelCard(ctx(t), &sm.UpdateModelCardInput{ModelCardName: aws.String(name), Content: aws.String(tc.content)})
			if apiCode(t, err) != "ValidationException" || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("update: %v, want a ValidationException naming %s", err, tc.field)
			}
			if v := svc.ModelCardVersions(prodAccount, "us-east-1", name); len(v) != 1 {
				t.Fatalf("a refused update made version %d", len(v))
			}
		})
	}

	var card struct{ Content string }
	run := awsCLI(t, e, e.prod)
	if err := json.Unmarshal([]byte(run("sagemaker", "describe-model-card", "--model-card-name", "card-1")), &card); err != nil {
		t.Fatal(err)
	}
	var content struct {
		EvaluationDetails []struct {
			MetricGroups []struct {
				Name       string
				MetricData []struct {
					Name  string
					Value any
				} `json:"metric_data"`
			} `json:"metric_groups"`
		} `json:"evaluation_details"`
	}
	if err := json.Unmarshal([]byte(card.Content), &content); err != nil {
		t.Fatal(err)
	}
	if e := content.EvaluationDetails; len(e) != 1 || len(e[0].MetricGroups) != 1 || e[0].MetricGroups[0].MetricData[0].Name != "auc" || e[0].MetricGroups[0].MetricData[0].Value != 0.91 {
		t.Errorf("describe-model-card: %+v", content)
	}
}
