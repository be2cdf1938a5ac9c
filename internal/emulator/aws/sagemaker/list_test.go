package sagemaker_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
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
