package sagemaker_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

func TestListModelsAndEndpointConfigsFilterSortAndPaginate(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"churn-v1", "fraud-v1", "churn-v2"} {
		deployable(t, e, name)
	}

	var configs []string
	in := &sm.ListEndpointConfigsInput{NameContains: aws.String("CHURN"), SortOrder: types.OrderKeyAscending, MaxResults: aws.Int32(1)}
	for p := sm.NewListEndpointConfigsPaginator(e.prod, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.EndpointConfigs {
			if aws.ToString(c.EndpointConfigArn) == "" || c.CreationTime == nil {
				t.Errorf("summary %+v lacks its ARN or creation time", c)
			}
			configs = append(configs, aws.ToString(c.EndpointConfigName))
		}
	}
	if want := []string{"churn-v1", "churn-v2"}; !slices.Equal(configs, want) {
		t.Errorf("configs = %v, want %v", configs, want)
	}

	models, err := e.prod.ListModels(ctx(t), &sm.ListModelsInput{SortBy: types.ModelSortKeyName})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models.Models {
		names = append(names, aws.ToString(m.ModelName))
	}
	if want := []string{"fraud-v1", "churn-v2", "churn-v1"}; !slices.Equal(names, want) {
		t.Errorf("models by name, descending = %v, want %v", names, want)
	}

	other, err := e.dev.ListEndpointConfigs(ctx(t), &sm.ListEndpointConfigsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(other.EndpointConfigs) != 0 {
		t.Errorf("another account lists %d configs", len(other.EndpointConfigs))
	}
}

func TestListModelCardsShowsEachCardsLatestVersion(t *testing.T) {
	e := newEnv(t)
	e.sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "fraud-detector"})
	e.sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "churn", ModelCardStatus: "Approved"})
	e.sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "fraud-detector", ModelCardStatus: "Approved"})

	out, err := e.dev.ListModelCards(ctx(t), &sm.ListModelCardsInput{SortBy: types.ModelCardSortByName, SortOrder: types.ModelCardSortOrderAscending})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range out.ModelCardSummaries {
		got = append(got, aws.ToString(c.ModelCardName)+":"+string(c.ModelCardStatus))
		if !strings.HasPrefix(aws.ToString(c.ModelCardArn), "arn:aws:sagemaker:"+region+":"+devAccount+":model-card/") || c.CreationTime == nil {
			t.Errorf("summary %+v lacks its ARN or creation time", c)
		}
	}
	if want := []string{"churn:Approved", "fraud-detector:Approved"}; !slices.Equal(got, want) {
		t.Errorf("cards = %v, want %v", got, want)
	}

	drafts, err := e.dev.ListModelCards(ctx(t), &sm.ListModelCardsInput{ModelCardStatus: types.ModelCardStatusDraft})
	if err != nil || len(drafts.ModelCardSummaries) != 0 {
		t.Errorf("drafts = %+v (%v), want none: only a card's latest version counts", drafts, err)
	}
	if other, err := e.prod.ListModelCards(ctx(t), &sm.ListModelCardsInput{}); err != nil || len(other.ModelCardSummaries) != 0 {
		t.Errorf("another account lists %+v (%v)", other, err)
	}
}

func TestListPipelinesAndTheirExecutions(t *testing.T) {
	e := newEnv(t)
	var execs []string
	for i := range 3 {
		created := sagemaker.Timestamp{Time: time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC)}
		x := e.sm.SeedPipelineExecution(devAccount, region, "fraud-detector-pipeline", sagemaker.PipelineExecution{CreationTime: created})
		execs = append(execs, x.PipelineExecutionArn)
	}
	e.sm.SeedPipelineExecution(devAccount, region, "churn-pipeline", sagemaker.PipelineExecution{})

	out, err := e.dev.ListPipelines(ctx(t), &sm.ListPipelinesInput{PipelineNamePrefix: aws.String("fraud")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PipelineSummaries) != 1 {
		t.Fatalf("pipelines = %+v, want fraud-detector-pipeline only", out.PipelineSummaries)
	}
	p := out.PipelineSummaries[0]
	if aws.ToString(p.PipelineName) != "fraud-detector-pipeline" || aws.ToString(p.PipelineArn) != "arn:aws:sagemaker:"+region+":"+devAccount+":pipeline/fraud-detector-pipeline" ||
		!aws.ToTime(p.LastExecutionTime).Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("pipeline %s %s last executed %v", aws.ToString(p.PipelineName), aws.ToString(p.PipelineArn), aws.ToTime(p.LastExecutionTime))
	}
	if all, err := e.dev.ListPipelines(ctx(t), &sm.ListPipelinesInput{}); err != nil || len(all.PipelineSummaries) != 2 {
		t.Errorf("all pipelines = %+v (%v), want 2", all, err)
	}

	var got []string
	in := &sm.ListPipelineExecutionsInput{PipelineName: aws.String("fraud-detector-pipeline"), MaxResults: aws.Int32(2)}
	for pg := sm.NewListPipelineExecutionsPaginator(e.dev, in); pg.HasMorePages(); {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.PipelineExecutionSummaries {
			got = append(got, aws.ToString(x.PipelineExecutionArn))
		}
	}
	slices.Reverse(execs) // newest first
	if !slices.Equal(got, execs) {
		t.Errorf("executions = %v, want newest first %v", got, execs)
	}
	_, err = e.dev.ListPipelineExecutions(ctx(t), &sm.ListPipelineExecutionsInput{PipelineName: aws.String("missing")})
	var nf *types.ResourceNotFound
	if !errorsAs(err, &nf) {
		t.Errorf("executions of a missing pipeline: %v, want ResourceNotFound", err)
	}
}

// An operation the emulator lacks fails with a message that names it, not
// with SageMaker's blank UnknownOperationException.
func TestUnknownOperationSaysWhich(t *testing.T) {
	e := newEnv(t)
	_, err := e.dev.ListNotebookInstances(ctx(t), &sm.ListNotebookInstancesInput{})
	if msg := apiError(t, err, "UnknownOperationException"); !strings.Contains(msg, "ListNotebookInstances") {
		t.Errorf("message %q does not name the operation", msg)
	}
}
