package sagemaker

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// TrainingJob is a training job as DescribeTrainingJob returns it. Jobs are
// seeded from Go ([Service.SeedTrainingJob]); nothing runs.
type TrainingJob struct {
	TrainingJobName        string
	TrainingJobArn         string
	TrainingJobStatus      string
	SecondaryStatus        string
	ModelArtifacts         *ModelArtifacts `json:",omitempty"`
	RoleArn                string          `json:",omitempty"`
	HyperParameters        map[string]string
	Environment            map[string]string `json:",omitempty"`
	AlgorithmSpecification json.RawMessage   `json:",omitempty"`
	InputDataConfig        json.RawMessage   `json:",omitempty"`
	OutputDataConfig       json.RawMessage   `json:",omitempty"`
	ResourceConfig         json.RawMessage   `json:",omitempty"`
	StoppingCondition      json.RawMessage   `json:",omitempty"`
	FinalMetricDataList    json.RawMessage   `json:",omitempty"`
	FailureReason          string            `json:",omitempty"`
	CreationTime           Timestamp
	TrainingStartTime      Timestamp `json:",omitzero"`
	TrainingEndTime        Timestamp `json:",omitzero"`
	LastModifiedTime       Timestamp `json:",omitzero"`
}

// ModelArtifacts is where a training job wrote its model.
type ModelArtifacts struct {
	S3ModelArtifacts string
}

// ProcessingJob is a processing job as DescribeProcessingJob returns it.
type ProcessingJob struct {
	ProcessingJobName      string
	ProcessingJobArn       string
	ProcessingJobStatus    string
	AppSpecification       json.RawMessage   `json:",omitempty"`
	ProcessingResources    json.RawMessage   `json:",omitempty"`
	ProcessingInputs       json.RawMessage   `json:",omitempty"`
	ProcessingOutputConfig json.RawMessage   `json:",omitempty"`
	StoppingCondition      json.RawMessage   `json:",omitempty"`
	Environment            map[string]string `json:",omitempty"`
	RoleArn                string            `json:",omitempty"`
	ExitMessage            string            `json:",omitempty"`
	FailureReason          string            `json:",omitempty"`
	CreationTime           Timestamp
	ProcessingStartTime    Timestamp `json:",omitzero"`
	ProcessingEndTime      Timestamp `json:",omitzero"`
	LastModifiedTime       Timestamp `json:",omitzero"`
}

// PipelineExecution is a SageMaker Pipelines run and its steps.
type PipelineExecution struct {
	PipelineArn                  string
	PipelineExecutionArn         string
	PipelineExecutionDisplayName string `json:",omitempty"`
	PipelineExecutionStatus      string
	PipelineExecutionDescription string `json:",omitempty"`
	FailureReason                string `json:",omitempty"`
	CreationTime                 Timestamp
	LastModifiedTime             Timestamp `json:",omitzero"`
	// Steps are returned by ListPipelineExecutionSteps, not by
	// DescribePipelineExecution.
	Steps []PipelineExecutionStep `json:",omitempty"`
}

// PipelineExecutionStep is one step of a pipeline execution.
type PipelineExecutionStep struct {
	StepName        string
	StepDisplayName string `json:",omitempty"`
	StepDescription string `json:",omitempty"`
	StepStatus      string
	StartTime       Timestamp     `json:",omitzero"`
	EndTime         Timestamp     `json:",omitzero"`
	FailureReason   string        `json:",omitempty"`
	AttemptCount    int32         `json:",omitempty"`
	Metadata        *StepMetadata `json:",omitempty"`
}

// StepMetadata is what a step produced; set the member for the step's
// kind (TrainingJob for a Training step, and so on).
type StepMetadata struct {
	TrainingJob   *StepResource   `json:",omitempty"`
	ProcessingJob *StepResource   `json:",omitempty"`
	TransformJob  *StepResource   `json:",omitempty"`
	TuningJob     *StepResource   `json:",omitempty"`
	Model         *StepResource   `json:",omitempty"`
	RegisterModel *StepResource   `json:",omitempty"`
	Condition     json.RawMessage `json:",omitempty"`
	QualityCheck  json.RawMessage `json:",omitempty"`
	ClarifyCheck  json.RawMessage `json:",omitempty"`
	Lambda        json.RawMessage `json:",omitempty"`
}

// StepResource is the ARN a step's metadata points at.
type StepResource struct {
	Arn string
}

func init() {
	handlers["DescribeTrainingJob"] = (*Service).describeTrainingJob
	handlers["ListTrainingJobs"] = (*Service).listTrainingJobs
	handlers["DescribeProcessingJob"] = (*Service).describeProcessingJob
	handlers["ListProcessingJobs"] = (*Service).listProcessingJobs
	handlers["DescribePipelineExecution"] = (*Service).describePipelineExecution
	handlers["ListPipelineExecutionSteps"] = (*Service).listPipelineExecutionSteps
}

// SeedTrainingJob adds a training job to account and region. Name is
// required; the ARN, status (Completed) and times are filled in when empty.
func (s *Service) SeedTrainingJob(account, region string, j TrainingJob) TrainingJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	now := stamp(s.now())
	j.TrainingJobArn = or(j.TrainingJobArn, st.arn("training-job", j.TrainingJobName))
	j.TrainingJobStatus = or(j.TrainingJobStatus, "Completed")
	j.SecondaryStatus = or(j.SecondaryStatus, j.TrainingJobStatus)
	if j.HyperParameters == nil {
		j.HyperParameters = map[string]string{}
	}
	j.CreationTime = orTime(j.CreationTime, now)
	j.LastModifiedTime = orTime(j.LastModifiedTime, now)
	st.trainingJobs[strings.ToLower(j.TrainingJobName)] = &j
	return clone(j)
}

// SeedProcessingJob adds a processing job to account and region.
func (s *Service) SeedProcessingJob(account, region string, j ProcessingJob) ProcessingJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	now := stamp(s.now())
	j.ProcessingJobArn = or(j.ProcessingJobArn, st.arn("processing-job", j.ProcessingJobName))
	j.ProcessingJobStatus = or(j.ProcessingJobStatus, "Completed")
	j.CreationTime = orTime(j.CreationTime, now)
	j.LastModifiedTime = orTime(j.LastModifiedTime, now)
	st.processingJobs[strings.ToLower(j.ProcessingJobName)] = &j
	return clone(j)
}

// SeedPipelineExecution adds an execution of pipelineName with its steps.
// The ARNs, status (Succeeded) and times are filled in when empty.
func (s *Service) SeedPipelineExecution(account, region, pipelineName string, x PipelineExecution) PipelineExecution {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	now := stamp(s.now())
	x.PipelineArn = or(x.PipelineArn, st.arn("pipeline", pipelineName))
	if x.PipelineExecutionArn == "" {
		x.PipelineExecutionArn = fmt.Sprintf("%s/execution/%s", x.PipelineArn, strings.ReplaceAll(requestID(), "-", "")[:12])
	}
	x.PipelineExecutionStatus = or(x.PipelineExecutionStatus, "Succeeded")
	x.CreationTime = orTime(x.CreationTime, now)
	x.LastModifiedTime = orTime(x.LastModifiedTime, now)
	for i := range x.Steps {
		x.Steps[i].StepStatus = or(x.Steps[i].StepStatus, "Succeeded")
		x.Steps[i].StartTime = orTime(x.Steps[i].StartTime, x.CreationTime)
		x.Steps[i].EndTime = orTime(x.Steps[i].EndTime, x.LastModifiedTime)
		if x.Steps[i].AttemptCount == 0 {
			x.Steps[i].AttemptCount = 1
		}
	}
	st.addPipelineExecution(pipelineName, &x)
	return clone(x)
}

func (s *Service) describeTrainingJob(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ TrainingJobName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.TrainingJobName, "trainingJobName"); err != nil {
		return nil, err
	}
	j, ok := st.trainingJobs[strings.ToLower(nameFromARN(in.TrainingJobName, "training-job"))]
	if !ok {
		// The API model declares ResourceNotFound, but SageMaker answers
		// with a ValidationException.
		return nil, validationError("Requested resource not found.")
	}
	return j, nil
}

func (s *Service) describeProcessingJob(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ ProcessingJobName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ProcessingJobName, "processingJobName"); err != nil {
		return nil, err
	}
	j, ok := st.processingJobs[strings.ToLower(nameFromARN(in.ProcessingJobName, "processing-job"))]
	if !ok {
		return nil, validationError("Could not find requested job with name %s", in.ProcessingJobName)
	}
	return j, nil
}

// jobListInput is the request of ListTrainingJobs and ListProcessingJobs.
type jobListInput struct {
	NameContains, StatusEquals, SortBy, SortOrder, NextToken string
	CreationTimeAfter, CreationTimeBefore                    *Timestamp
	MaxResults                                               int
}

func (in jobListInput) keep(name, status string, created Timestamp) bool {
	return (in.NameContains == "" || strings.Contains(name, in.NameContains)) &&
		(in.StatusEquals == "" || status == in.StatusEquals) &&
		inTimeRange(created, in.CreationTimeAfter, in.CreationTimeBefore)
}

// order sorts a job list as SortBy/SortOrder ask (default: by creation
// time, ascending, as the API documents).
func order[T any](items []T, in jobListInput, name func(T) string, status func(T) string, created func(T) Timestamp) {
	slices.SortStableFunc(items, func(a, b T) int {
		switch in.SortBy {
		case "Name":
			return strings.Compare(name(a), name(b))
		case "Status":
			return strings.Compare(status(a), status(b))
		}
		return created(a).Compare(created(b).Time)
	})
	if in.SortOrder == "Descending" {
		slices.Reverse(items)
	}
}

func (s *Service) listTrainingJobs(st *state, _ service.Caller, body []byte) (any, error) {
	var in jobListInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	type summary struct {
		TrainingJobName, TrainingJobArn, TrainingJobStatus string
		SecondaryStatus                                    string `json:",omitempty"`
		CreationTime                                       Timestamp
		TrainingEndTime                                    Timestamp `json:",omitzero"`
		LastModifiedTime                                   Timestamp `json:",omitzero"`
	}
	var all []summary
	for _, j := range st.trainingJobs {
		if in.keep(j.TrainingJobName, j.TrainingJobStatus, j.CreationTime) {
			all = append(all, summary{j.TrainingJobName, j.TrainingJobArn, j.TrainingJobStatus, j.SecondaryStatus, j.CreationTime, j.TrainingEndTime, j.LastModifiedTime})
		}
	}
	order(all, in, func(x summary) string { return x.TrainingJobName }, func(x summary) string { return x.TrainingJobStatus }, func(x summary) Timestamp { return x.CreationTime })
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		TrainingJobSummaries []summary
		NextToken            string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

func (s *Service) listProcessingJobs(st *state, _ service.Caller, body []byte) (any, error) {
	var in jobListInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	type summary struct {
		ProcessingJobName, ProcessingJobArn, ProcessingJobStatus string
		CreationTime                                             Timestamp
		ProcessingEndTime                                        Timestamp `json:",omitzero"`
		LastModifiedTime                                         Timestamp `json:",omitzero"`
		ExitMessage                                              string    `json:",omitempty"`
		FailureReason                                            string    `json:",omitempty"`
	}
	var all []summary
	for _, j := range st.processingJobs {
		if in.keep(j.ProcessingJobName, j.ProcessingJobStatus, j.CreationTime) {
			all = append(all, summary{j.ProcessingJobName, j.ProcessingJobArn, j.ProcessingJobStatus, j.CreationTime, j.ProcessingEndTime, j.LastModifiedTime, j.ExitMessage, j.FailureReason})
		}
	}
	order(all, in, func(x summary) string { return x.ProcessingJobName }, func(x summary) string { return x.ProcessingJobStatus }, func(x summary) Timestamp { return x.CreationTime })
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		ProcessingJobSummaries []summary
		NextToken              string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

func (st *state) pipelineExecution(arn string) (*PipelineExecution, error) {
	x, ok := st.pipelineExecutions[strings.ToLower(arn)]
	if !ok {
		x, ok = st.pipelineExecutions[arn]
	}
	if !ok {
		return nil, resourceNotFound("Pipeline execution %s does not exist.", arn)
	}
	return x, nil
}

func (s *Service) describePipelineExecution(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ PipelineExecutionArn string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.PipelineExecutionArn, "pipelineExecutionArn"); err != nil {
		return nil, err
	}
	x, err := st.pipelineExecution(in.PipelineExecutionArn)
	if err != nil {
		return nil, err
	}
	out := *x
	out.Steps = nil
	return out, nil
}

// listPipelineExecutionSteps lists steps newest first unless SortOrder is
// Ascending, as the API does.
func (s *Service) listPipelineExecutionSteps(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		PipelineExecutionArn, SortOrder, NextToken string
		MaxResults                                 int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	x, err := st.pipelineExecution(in.PipelineExecutionArn)
	if err != nil {
		return nil, err
	}
	steps := slices.Clone(x.Steps)
	if in.SortOrder != "Ascending" {
		slices.Reverse(steps)
	}
	items, next, err := page(steps, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		PipelineExecutionSteps []PipelineExecutionStep
		NextToken              string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orTime(v, def Timestamp) Timestamp {
	if v.IsZero() {
		return def
	}
	return v
}
