package sagemaker_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// The seeded dev package's lineage holds together the way the lineage check
// walks it: package → GeneratedBy execution → Training step → training job
// → S3ModelArtifacts = ModelDataUrl; digests match the objects' bytes.
func TestSeedDevPackageLineage(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	lin, err := e.sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.dev.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)})
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelPackageStatus != types.ModelPackageStatusCompleted || d.ModelApprovalStatus != types.ModelApprovalStatusApproved {
		t.Errorf("package %s/%s, want Completed/Approved", d.ModelPackageStatus, d.ModelApprovalStatus)
	}
	x, err := e.dev.DescribePipelineExecution(c, &sm.DescribePipelineExecutionInput{PipelineExecutionArn: d.MetadataProperties.GeneratedBy})
	if err != nil {
		t.Fatal(err)
	}
	if x.PipelineExecutionStatus != types.PipelineExecutionStatusSucceeded {
		t.Errorf("execution %s", x.PipelineExecutionStatus)
	}
	steps, err := e.dev.ListPipelineExecutionSteps(c, &sm.ListPipelineExecutionStepsInput{PipelineExecutionArn: x.PipelineExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var trainingARN string
	for _, s := range steps.PipelineExecutionSteps {
		if s.Metadata != nil && s.Metadata.TrainingJob != nil {
			trainingARN = aws.ToString(s.Metadata.TrainingJob.Arn)
		}
	}
	if trainingARN == "" {
		t.Fatalf("no Training step in %+v", steps.PipelineExecutionSteps)
	}
	job, err := e.dev.DescribeTrainingJob(c, &sm.DescribeTrainingJobInput{TrainingJobName: aws.String(trainingARN[strings.LastIndex(trainingARN, "/")+1:])})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(job.ModelArtifacts.S3ModelArtifacts), aws.ToString(d.InferenceSpecification.Containers[0].ModelDataUrl); got != want || job.TrainingJobStatus != types.TrainingJobStatusCompleted {
		t.Errorf("S3ModelArtifacts %s (%s), ModelDataUrl %s", got, job.TrainingJobStatus, want)
	}
	for _, src := range []*types.MetricsSource{d.ModelMetrics.ModelQuality.Statistics, d.ModelMetrics.ModelQuality.Constraints, d.ModelMetrics.Bias.Report, d.ModelMetrics.Explainability.Report} {
		body, ok := lin.Objects[aws.ToString(src.S3Uri)]
		sum := sha256.Sum256(body)
		if !ok || aws.ToString(src.ContentDigest) != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("%s: object present %v, digest %s", aws.ToString(src.S3Uri), ok, aws.ToString(src.ContentDigest))
		}
	}
	if _, err := e.dev.DescribeProcessingJob(c, &sm.DescribeProcessingJobInput{ProcessingJobName: aws.String(lin.EvaluationJob.ProcessingJobName)}); err != nil {
		t.Error(err)
	}
	tj, err := e.dev.ListTrainingJobs(c, &sm.ListTrainingJobsInput{})
	if err != nil || len(tj.TrainingJobSummaries) != 1 {
		t.Errorf("ListTrainingJobs = %+v, %v", tj, err)
	}
	pj, err := e.dev.ListProcessingJobs(c, &sm.ListProcessingJobsInput{StatusEquals: types.ProcessingJobStatusCompleted})
	if err != nil || len(pj.ProcessingJobSummaries) != 1 {
		t.Errorf("ListProcessingJobs = %+v, %v", pj, err)
	}
	// The prod account may not read it without a group policy.
	_, err = e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)})
	apiError(t, err, "AccessDeniedException")
}

func TestLineageNotFound(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	_, err := e.dev.DescribeTrainingJob(c, &sm.DescribeTrainingJobInput{TrainingJobName: aws.String("nope")})
	if msg := apiError(t, err, "ValidationException"); msg != "Requested resource not found." {
		t.Errorf("training job: %q", msg)
	}
	_, err = e.dev.DescribeProcessingJob(c, &sm.DescribeProcessingJobInput{ProcessingJobName: aws.String("nope")})
	apiError(t, err, "ValidationException")
	arn := "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/churn/execution/nope"
	_, err = e.dev.DescribePipelineExecution(c, &sm.DescribePipelineExecutionInput{PipelineExecutionArn: aws.String(arn)})
	var nf *types.ResourceNotFound
	if !errorsAs(err, &nf) || !strings.Contains(aws.ToString(nf.Message), arn) {
		t.Errorf("pipeline execution: %v", err)
	}
	_, err = e.dev.ListPipelineExecutionSteps(c, &sm.ListPipelineExecutionStepsInput{PipelineExecutionArn: aws.String(arn)})
	apiError(t, err, "ResourceNotFound")
}

func TestDescribeModelCard(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	e.sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "churn", Content: `{"model_overview":{"model_name":"churn"}}`})
	e.sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "churn", Content: `{"model_overview":{"model_name":"churn"},"intended_uses":{"risk_rating":"Low"}}`, ModelCardStatus: "Approved"})
	latest, err := e.dev.DescribeModelCard(c, &sm.DescribeModelCardInput{ModelCardName: aws.String("churn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(latest.ModelCardVersion) != 2 || latest.ModelCardStatus != types.ModelCardStatusApproved || !strings.Contains(aws.ToString(latest.Content), "risk_rating") {
		t.Errorf("latest = v%d %s %s", aws.ToInt32(latest.ModelCardVersion), latest.ModelCardStatus, aws.ToString(latest.Content))
	}
	first, err := e.dev.DescribeModelCard(c, &sm.DescribeModelCardInput{ModelCardName: latest.ModelCardArn, ModelCardVersion: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if first.ModelCardStatus != types.ModelCardStatusDraft {
		t.Errorf("v1 status = %s", first.ModelCardStatus)
	}
	for _, in := range []*sm.DescribeModelCardInput{
		{ModelCardName: aws.String("missing")},
		{ModelCardName: aws.String("churn"), ModelCardVersion: aws.Int32(3)},
	} {
		_, err := e.dev.DescribeModelCard(c, in)
		var nf *types.ResourceNotFound
		if !errorsAs(err, &nf) || aws.ToString(nf.Message) == "" {
			t.Errorf("%+v: error %v, want a typed ResourceNotFound with a message", in, err)
		}
	}
}

// QueryLineage starts from the package's artifact, found with ListArtifacts;
// a model package ARN is not a lineage entity.
func TestQueryLineageFromPackageArtifact(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	lin, err := e.sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.dev.QueryLineage(c, &sm.QueryLineageInput{StartArns: []string{lin.Package.ModelPackageArn}})
	if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, "ListArtifacts") {
		t.Errorf("package ARN as StartArn: %q", msg)
	}
	arts, err := e.dev.ListArtifacts(c, &sm.ListArtifactsInput{SourceUri: aws.String(lin.Package.ModelPackageArn)})
	if err != nil || len(arts.ArtifactSummaries) != 1 {
		t.Fatalf("ListArtifacts = %+v, %v", arts, err)
	}
	out, err := e.dev.QueryLineage(c, &sm.QueryLineageInput{
		StartArns:    []string{aws.ToString(arts.ArtifactSummaries[0].ArtifactArn)},
		Direction:    types.DirectionAscendants,
		IncludeEdges: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var gotTraining, gotModelData bool
	for _, v := range out.Vertices {
		gotTraining = gotTraining || (v.LineageType == types.LineageTypeTrialComponent && strings.HasSuffix(aws.ToString(v.Arn), "-aws-training-job"))
		gotModelData = gotModelData || aws.ToString(v.Arn) == lin.ModelArtifact.ArtifactArn
	}
	if !gotTraining || !gotModelData || len(out.Edges) != 4 {
		t.Errorf("vertices %+v, %d edges", out.Vertices, len(out.Edges))
	}
	a, err := e.dev.DescribeArtifact(c, &sm.DescribeArtifactInput{ArtifactArn: aws.String(lin.ModelArtifact.ArtifactArn)})
	if err != nil || aws.ToString(a.Source.SourceUri) != aws.ToString(&lin.Package.InferenceSpecification.Containers[0].ModelDataUrl) {
		t.Errorf("DescribeArtifact = %+v, %v", a, err)
	}
	_, err = e.dev.QueryLineage(c, &sm.QueryLineageInput{StartArns: []string{"arn:aws:sagemaker:eu-west-1:111111111111:artifact/0000"}})
	apiError(t, err, "ResourceNotFound")
}
