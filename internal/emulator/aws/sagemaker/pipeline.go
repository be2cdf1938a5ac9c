package sagemaker

import (
	"cmp"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Pipeline is a SageMaker Pipelines pipeline, as ListPipelines summarizes
// it. Pipelines come into being with their first seeded execution
// ([Service.SeedPipelineExecution]); their definitions are not modelled.
type Pipeline struct {
	PipelineName      string
	PipelineArn       string
	CreationTime      Timestamp
	LastModifiedTime  Timestamp
	LastExecutionTime Timestamp `json:",omitzero"`

	seq uint64
}

func init() {
	handlers["ListPipelines"] = (*Service).listPipelines
	handlers["ListPipelineExecutions"] = (*Service).listPipelineExecutions
}

// addPipelineExecution records x and the pipeline it ran, creating the
// pipeline with it.
func (st *state) addPipelineExecution(pipelineName string, x *PipelineExecution) {
	st.pipelineExecutions[x.PipelineExecutionArn] = x
	p, ok := st.pipelines[strings.ToLower(pipelineName)]
	if !ok {
		p = &Pipeline{PipelineName: pipelineName, PipelineArn: x.PipelineArn, CreationTime: x.CreationTime, LastModifiedTime: x.CreationTime, seq: st.next()}
		st.pipelines[strings.ToLower(pipelineName)] = p
	}
	if x.CreationTime.After(p.LastExecutionTime.Time) {
		p.LastExecutionTime = x.CreationTime
	}
}

// listPipelines serves ListPipelines: PipelineNamePrefix and a creation time
// window filter, SortBy Name or CreationTime (the default), SortOrder
// (default Descending). See
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelines.html
func (s *Service) listPipelines(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		PipelineNamePrefix, SortBy, SortOrder, NextToken string
		CreatedAfter, CreatedBefore                      *Timestamp
		MaxResults                                       int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	byARN := map[string]*Pipeline{}
	var items []nameSummary
	for _, p := range inOrder(st.pipelines, func(p *Pipeline) uint64 { return p.seq }) {
		if strings.HasPrefix(p.PipelineName, in.PipelineNamePrefix) {
			byARN[p.PipelineArn] = p
			items = append(items, nameSummary{p.PipelineName, p.PipelineArn, p.CreationTime})
		}
	}
	f := listFilter{SortBy: in.SortBy, SortOrder: in.SortOrder, NextToken: in.NextToken, MaxResults: in.MaxResults,
		CreationTimeAfter: in.CreatedAfter, CreationTimeBefore: in.CreatedBefore}
	page, next, err := f.list(items)
	if err != nil {
		return nil, err
	}
	out := []Pipeline{}
	for _, it := range page {
		out = append(out, *byARN[it.arn])
	}
	return struct {
		PipelineSummaries []Pipeline
		NextToken         string `json:",omitempty"`
	}{out, next}, nil
}

// listPipelineExecutions serves ListPipelineExecutions for one pipeline,
// newest first unless SortOrder is Ascending. See
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelineExecutions.html
func (s *Service) listPipelineExecutions(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		PipelineName, SortBy, SortOrder, NextToken string
		CreatedAfter, CreatedBefore                *Timestamp
		MaxResults                                 int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.PipelineName, "pipelineName"); err != nil {
		return nil, err
	}
	p, ok := st.pipelines[strings.ToLower(nameFromARN(in.PipelineName, "pipeline"))]
	if !ok {
		return nil, resourceNotFound("Pipeline %s does not exist.", in.PipelineName)
	}
	type summary struct {
		PipelineExecutionArn           string
		StartTime                      Timestamp
		PipelineExecutionStatus        string
		PipelineExecutionDisplayName   string `json:",omitempty"`
		PipelineExecutionDescription   string `json:",omitempty"`
		PipelineExecutionFailureReason string `json:",omitempty"`
	}
	var all []summary
	for _, x := range st.pipelineExecutions {
		if x.PipelineArn == p.PipelineArn && inTimeRange(x.CreationTime, in.CreatedAfter, in.CreatedBefore) {
			all = append(all, summary{x.PipelineExecutionArn, x.CreationTime, x.PipelineExecutionStatus,
				x.PipelineExecutionDisplayName, x.PipelineExecutionDescription, x.FailureReason})
		}
	}
	slices.SortFunc(all, func(a, b summary) int {
		if in.SortBy == "PipelineExecutionArn" {
			return strings.Compare(a.PipelineExecutionArn, b.PipelineExecutionArn)
		}
		return cmp.Or(a.StartTime.Compare(b.StartTime.Time), strings.Compare(a.PipelineExecutionArn, b.PipelineExecutionArn))
	})
	if in.SortOrder != "Ascending" {
		slices.Reverse(all)
	}
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		PipelineExecutionSummaries []summary
		NextToken                  string `json:",omitempty"`
	}{nonNil(items), next}, nil
}
