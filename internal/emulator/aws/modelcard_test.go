package awsemu_test

import (
	"encoding/json"
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
