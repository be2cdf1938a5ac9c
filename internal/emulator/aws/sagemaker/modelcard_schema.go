package sagemaker

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"
)

// Model card content must follow the model card JSON schema: "Content must
// be in model card JSON schema and provided as a string"
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelCard.html,
// API_UpdateModelCard.html; the schema is
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html#model-cards-json-schema).
// The emulator checks the sections it models, with the limits the
// CloudFormation resource documents for the same fields:
//   - the top level holds only the schema's sections;
//   - intended_uses: text of at most 2048 characters, risk_rating one of
//     High, Medium, Low, Unknown
//     (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-sagemaker-modelcard-intendeduses.html);
//   - evaluation_details: a list of evaluation jobs, each with a name of 1 to
//     63 characters, an evaluation_observation of at most 2096, an
//     evaluation_job_arn of at most 256, at most 10 datasets of at most 1024,
//     metadata of strings, and metric_groups (a name of 1 to 63 characters and
//     metric_data: each metric a name of 1 to 255, a type among number,
//     string, boolean, linear_graph, bar_chart, matrix with a value of that
//     type, notes of at most 1024)
//     (aws-properties-sagemaker-modelcard-evaluationdetail.html, -metricgroup.html,
//     -simplemetric.html; the types as the SageMaker Python SDK's
//     schema_constraints.MetricTypeEnum lists them);
//   - additional_information: ethical_considerations and
//     caveats_and_recommendations of at most 2048 characters, custom_details
//     an object of strings of at most 1024 characters under keys matching
//     [a-zA-Z_][a-zA-Z0-9_]*
//     (aws-properties-sagemaker-modelcard-additionalinformation.html).
//
// The other sections (model_overview, business_details, training_details,
// model_package_details) must be objects; their members are not checked.
// Lengths are in characters, as JSON Schema's maxLength counts them.
// SageMaker's exact wording of the error is not documented; the emulator's
// names the field.

var cardSections = []string{"model_overview", "model_package_details", "intended_uses", "business_details",
	"training_details", "evaluation_details", "additional_information"}

var (
	cardPropertyKeyRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	cardRiskRatings   = []string{"High", "Medium", "Low", "Unknown"}
	cardMetricTypes   = []string{"number", "string", "boolean", "linear_graph", "bar_chart", "matrix"}
)

// CheckModelCardContent is what CreateModelCard and UpdateModelCard check
// of a card's content, for the tests of what writes cards.
func CheckModelCardContent(content string) error { return checkCardContent(content) }

// checkCardSchema checks content (valid JSON) against the sections of the
// model card JSON schema the emulator models.
func checkCardSchema(content string) error {
	var doc any
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return validationError("Model card content is not valid JSON.")
	}
	if err := cardDocument(doc); err != nil {
		return validationError("Model card content does not conform to the model card JSON schema: %v", err)
	}
	return nil
}

func cardDocument(doc any) error {
	top, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("the content must be a JSON object")
	}
	for _, k := range sortedKeys(top) {
		if !slices.Contains(cardSections, k) {
			return fmt.Errorf("%s: not a section of the model card schema", k)
		}
		v := top[k]
		var err error
		switch k {
		case "intended_uses":
			err = cardIntendedUses(v)
		case "evaluation_details":
			err = cardEvaluations(v)
		case "additional_information":
			err = cardAdditional(v)
		default:
			if _, ok := v.(map[string]any); !ok {
				err = fmt.Errorf("must be an object")
			}
		}
		if err != nil {
			return fmt.Errorf("%s%s", k, prefixed(err))
		}
	}
	return nil
}

// prefixed formats a nested error after its parent's path.
func prefixed(err error) string {
	s := err.Error()
	if len(s) > 0 && (s[0] == '.' || s[0] == '[') {
		return s
	}
	return ": " + s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cardObject checks v is an object whose members are among fields, each
// checked by its function.
func cardObject(v any, fields map[string]func(any) error) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf(": must be an object")
	}
	for _, k := range sortedKeys(obj) {
		check, known := fields[k]
		if !known {
			return fmt.Errorf(".%s: not a member of the model card schema", k)
		}
		if err := check(obj[k]); err != nil {
			return fmt.Errorf(".%s%s", k, prefixed(err))
		}
	}
	return nil
}

func cardText(max int) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string")
		}
		if n := utf8.RuneCountInString(s); n > max {
			return fmt.Errorf("%d characters, more than %d", n, max)
		}
		return nil
	}
}

func cardName(max int) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string")
		}
		if n := utf8.RuneCountInString(s); n < 1 || n > max {
			return fmt.Errorf("must be 1 to %d characters, is %d", max, n)
		}
		return nil
	}
}

func cardEnum(values []string) func(any) error {
	return func(v any) error {
		if s, ok := v.(string); !ok || !slices.Contains(values, s) {
			return fmt.Errorf("must be one of %v", values)
		}
		return nil
	}
}

func cardIntendedUses(v any) error {
	return cardObject(v, map[string]func(any) error{
		"purpose_of_model":                   cardText(2048),
		"intended_uses":                      cardText(2048),
		"factors_affecting_model_efficiency": cardText(2048),
		"risk_rating":                        cardEnum(cardRiskRatings),
		"explanations_for_risk_rating":       cardText(2048),
	})
}

func cardAdditional(v any) error {
	return cardObject(v, map[string]func(any) error{
		"ethical_considerations":      cardText(2048),
		"caveats_and_recommendations": cardText(2048),
		"custom_details":              cardStringMap(1024),
	})
}

// cardStringMap is an object of strings of at most max characters under
// keys matching [a-zA-Z_][a-zA-Z0-9_]*.
func cardStringMap(max int) func(any) error {
	return func(v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("must be an object")
		}
		text := cardText(max)
		for _, k := range sortedKeys(obj) {
			if !cardPropertyKeyRE.MatchString(k) {
				return fmt.Errorf(".%s: the key must match [a-zA-Z_][a-zA-Z0-9_]*", k)
			}
			if err := text(obj[k]); err != nil {
				return fmt.Errorf(".%s: %v", k, err)
			}
		}
		return nil
	}
}

func cardList(v any, max int, each func(any) error) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("must be an array")
	}
	if max > 0 && len(list) > max {
		return fmt.Errorf("%d items, more than %d", len(list), max)
	}
	for i, item := range list {
		if err := each(item); err != nil {
			return fmt.Errorf("[%d]%s", i, prefixed(err))
		}
	}
	return nil
}

// cardRequired checks v is an object with the members named.
func cardRequired(v any, names ...string) error {
	obj, _ := v.(map[string]any)
	for _, n := range names {
		if _, ok := obj[n]; !ok {
			return fmt.Errorf(".%s: required", n)
		}
	}
	return nil
}

func cardEvaluations(v any) error {
	return cardList(v, 0, func(e any) error {
		if err := cardObject(e, map[string]func(any) error{
			"name":                   cardName(63),
			"evaluation_observation": cardText(2096),
			"evaluation_job_arn":     cardText(256),
			"datasets":               func(v any) error { return cardList(v, 10, cardText(1024)) },
			"metadata":               cardStringMap(1024),
			"metric_groups":          func(v any) error { return cardList(v, 0, cardMetricGroup) },
		}); err != nil {
			return err
		}
		return cardRequired(e, "name")
	})
}

func cardMetricGroup(g any) error {
	if err := cardObject(g, map[string]func(any) error{
		"name":        cardName(63),
		"metric_data": func(v any) error { return cardList(v, 0, cardMetric) },
	}); err != nil {
		return err
	}
	return cardRequired(g, "name", "metric_data")
}

func cardAxis(v any) error {
	if _, ok := v.(string); ok {
		return cardText(63)(v)
	}
	return cardList(v, 0, cardText(63))
}

func cardMetric(m any) error {
	if err := cardObject(m, map[string]func(any) error{
		"name":        cardName(255),
		"type":        cardEnum(cardMetricTypes),
		"value":       func(any) error { return nil }, // checked against type below
		"notes":       cardText(1024),
		"x_axis_name": cardAxis,
		"y_axis_name": cardAxis,
	}); err != nil {
		return err
	}
	if err := cardRequired(m, "name", "type", "value"); err != nil {
		return err
	}
	obj := m.(map[string]any)
	ok := false
	switch obj["value"].(type) {
	case float64:
		ok = obj["type"] == "number"
	case string:
		ok = obj["type"] == "string"
	case bool:
		ok = obj["type"] == "boolean"
	case []any:
		ok = obj["type"] == "linear_graph" || obj["type"] == "bar_chart" || obj["type"] == "matrix"
	}
	if !ok {
		return fmt.Errorf(".value: not a value of type %v", obj["type"])
	}
	return nil
}
