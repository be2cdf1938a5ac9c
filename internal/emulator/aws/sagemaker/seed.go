package sagemaker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// SeedModelPackageGroup creates a model package group, as
// CreateModelPackageGroup would.
func (s *Service) SeedModelPackageGroup(account, region, name, description string) (ModelPackageGroup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	body := fmt.Sprintf(`{"ModelPackageGroupName":%q,"ModelPackageGroupDescription":%q}`, name, description)
	if _, err := s.createModelPackageGroup(st, callerOf(st), []byte(body)); err != nil {
		return ModelPackageGroup{}, err
	}
	g, _ := st.group(name)
	return clone(*g), nil
}

// SeedModelPackage creates a model package with CreateModelPackage's rules
// but no wait: it has p.ModelPackageStatus at once (Completed when empty).
// Set ModelPackageGroupName for a versioned package.
func (s *Service) SeedModelPackage(account, region string, p ModelPackage) (ModelPackage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	status := or(p.ModelPackageStatus, "Completed")
	in := createModelPackageInput{ModelPackage: p}
	if err := validateNewPackage(&in); err != nil {
		return ModelPackage{}, err
	}
	created, err := st.addPackage(in, s)
	if err != nil {
		return ModelPackage{}, err
	}
	created.ModelPackageStatus = status
	return clone(*created), nil
}

// ModelPackage returns a copy of a model package, found by ARN or
// "group/version".
func (s *Service) ModelPackage(account, region, arn string) (ModelPackage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.state(account, region).findPackage(arn)
	if p == nil {
		return ModelPackage{}, false
	}
	return clone(*p), true
}

// DevPackage describes a model package as a SageMaker pipeline in a
// development account registers it. Every field has a realistic default.
type DevPackage struct {
	Group          string // model package group; default "churn-model"
	Bucket         string // artifact bucket; default "sagemaker-REGION-ACCOUNT"
	Image          string // inference image; default an ECR image by digest
	PipelineName   string // default GROUP + "-pipeline"
	ApprovalStatus string // default Approved
	CommitId       string // default a fixed commit SHA
	Repository     string // default "https://github.com/acme/churn-model"
	// CustomerMetadata is set on the package as CustomerMetadataProperties.
	CustomerMetadata map[string]string
	// ModelQualityStatistics, Bias and Explainability replace the default
	// report contents (statistics.json, the Clarify bias and explainability
	// analysis.json); the recorded ContentDigests are computed from them.
	ModelQualityStatistics, Bias, Explainability []byte
}

// DevLineage is what SeedDevPackage created.
type DevLineage struct {
	Group             ModelPackageGroup
	Package           ModelPackage
	PipelineExecution PipelineExecution
	TrainingJob       TrainingJob
	EvaluationJob     ProcessingJob
	// ModelArtifact is the lineage artifact of the model data the training
	// job produced; PackageArtifact is the model package's (its SourceUri
	// is the package ARN). The training job's trial component produced
	// the first, which contributed to the second.
	ModelArtifact   Artifact
	PackageArtifact Artifact
	// Objects are the S3 objects the package refers to, by s3:// URI, with
	// the bytes its ContentDigests were computed from. Put them in the S3
	// emulator to make the package's artifacts and reports readable.
	Objects map[string][]byte
}

// SeedDevPackage builds the lineage of a model trained by a SageMaker
// pipeline in a development account: the group (created if missing), a
// pipeline execution whose steps ran a processing job, a training job, an
// evaluation job and registered the model, and a Completed package whose
// MetadataProperties.GeneratedBy is the execution, whose ModelDataUrl is the
// training job's S3ModelArtifacts and whose ModelMetrics and
// DriftCheckBaselines point at reports with real ContentDigests.
func (s *Service) SeedDevPackage(account, region string, o DevPackage) (DevLineage, error) {
	o.Group = or(o.Group, "churn-model")
	o.Bucket = or(o.Bucket, fmt.Sprintf("sagemaker-%s-%s", region, account))
	o.Image = or(o.Image, fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s-inference@sha256:%s", account, region, o.Group, digestHex([]byte(o.Group))))
	o.PipelineName = or(o.PipelineName, o.Group+"-pipeline")
	o.ApprovalStatus = or(o.ApprovalStatus, "Approved")
	o.CommitId = or(o.CommitId, "4f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a")
	o.Repository = or(o.Repository, "https://github.com/acme/churn-model")

	var lin DevLineage
	s.mu.Lock()
	st := s.state(account, region)
	g, ok := st.group(o.Group)
	s.mu.Unlock()
	if ok {
		lin.Group = clone(*g)
	} else {
		var err error
		if lin.Group, err = s.SeedModelPackageGroup(account, region, o.Group, o.Group+" models"); err != nil {
			return DevLineage{}, err
		}
	}

	s.mu.Lock()
	execID := strings.ReplaceAll(requestID(), "-", "")[:12]
	execARN := fmt.Sprintf("%s/execution/%s", st.arn("pipeline", o.PipelineName), execID)
	s.mu.Unlock()
	prefix := fmt.Sprintf("s3://%s/%s/%s", o.Bucket, o.PipelineName, execID)
	objects := map[string][]byte{}
	put := func(key string, body []byte) string {
		uri := prefix + "/" + key
		objects[uri] = body
		return uri
	}
	source := func(key, contentType string, body []byte) *MetricsSource {
		return &MetricsSource{ContentType: contentType, S3Uri: put(key, body), ContentDigest: "sha256:" + digestHex(body)}
	}

	trainName := "pipelines-" + execID + "-Train"
	modelData := put("Train/"+trainName+"/output/model.tar.gz", []byte("model.tar.gz placeholder for "+trainName))
	lin.TrainingJob = s.SeedTrainingJob(account, region, TrainingJob{
		TrainingJobName:        trainName,
		ModelArtifacts:         &ModelArtifacts{S3ModelArtifacts: modelData},
		RoleArn:                fmt.Sprintf("arn:aws:iam::%s:role/SageMakerPipelineExecution", account),
		HyperParameters:        map[string]string{"max_depth": "5", "eta": "0.2", "objective": "binary:logistic", "num_round": "100"},
		StoppingCondition:      []byte(`{"MaxRuntimeInSeconds":86400}`),
		AlgorithmSpecification: []byte(`{"TrainingImage":"683313688378.dkr.ecr.` + region + `.amazonaws.com/sagemaker-xgboost:1.7-1","TrainingInputMode":"File"}`),
		ResourceConfig:         []byte(`{"InstanceType":"ml.m5.xlarge","InstanceCount":1,"VolumeSizeInGB":30}`),
	})
	evalName := "pipelines-" + execID + "-Evaluate"
	stats := source("Evaluate/evaluation/statistics.json", "application/json", orBytes(o.ModelQualityStatistics, modelQualityStatistics))
	constraints := source("Evaluate/evaluation/constraints.json", "application/json", modelQualityConstraints)
	lin.EvaluationJob = s.SeedProcessingJob(account, region, ProcessingJob{
		ProcessingJobName: evalName,
		RoleArn:           fmt.Sprintf("arn:aws:iam::%s:role/SageMakerPipelineExecution", account),
		AppSpecification:  []byte(`{"ImageUri":"683313688378.dkr.ecr.` + region + `.amazonaws.com/sagemaker-xgboost:1.7-1","ContainerEntrypoint":["python3","/opt/ml/processing/input/code/evaluate.py"]}`),
	})

	pkg, err := s.SeedModelPackage(account, region, ModelPackage{
		ModelPackageGroupName:   o.Group,
		ModelPackageDescription: o.Group + " trained by " + o.PipelineName,
		ModelApprovalStatus:     o.ApprovalStatus,
		InferenceSpecification: &InferenceSpecification{
			Containers:                              []ModelPackageContainerDefinition{{Image: o.Image, ModelDataUrl: modelData, Framework: "XGBOOST", FrameworkVersion: "1.7-1"}},
			SupportedContentTypes:                   []string{"text/csv"},
			SupportedResponseMIMETypes:              []string{"text/csv"},
			SupportedRealtimeInferenceInstanceTypes: []string{"ml.m5.large", "ml.m5.xlarge"},
			SupportedTransformInstanceTypes:         []string{"ml.m5.large"},
		},
		ModelMetrics: &ModelMetrics{
			ModelQuality:     &QualityMetrics{Statistics: stats, Constraints: constraints},
			ModelDataQuality: &QualityMetrics{Statistics: source("DataQuality/statistics.json", "application/json", dataQualityStatistics), Constraints: source("DataQuality/constraints.json", "application/json", dataQualityConstraints)},
			Bias:             &BiasMetrics{Report: source("Bias/analysis.json", "application/json", orBytes(o.Bias, biasAnalysis))},
			Explainability:   &ExplainabilityMetrics{Report: source("Explainability/analysis.json", "application/json", orBytes(o.Explainability, explainabilityAnalysis))},
		},
		DriftCheckBaselines: &DriftCheckBaselines{
			ModelQuality: &QualityMetrics{Statistics: stats, Constraints: constraints},
		},
		MetadataProperties: &MetadataProperties{
			GeneratedBy: execARN,
			CommitId:    o.CommitId,
			Repository:  o.Repository,
			ProjectId:   "p-" + execID[:10],
		},
		CustomerMetadataProperties: o.CustomerMetadata,
		Domain:                     "MACHINE_LEARNING",
		Task:                       "CLASSIFICATION",
		SamplePayloadUrl:           put("samples/payload.tar.gz", []byte("1,0,34,2,99.5\n")),
	})
	if err != nil {
		return DevLineage{}, err
	}
	lin.Package = pkg

	lin.PipelineExecution = s.SeedPipelineExecution(account, region, o.PipelineName, PipelineExecution{
		PipelineExecutionArn:         execARN,
		PipelineExecutionDisplayName: "execution-" + execID,
		Steps: []PipelineExecutionStep{
			{StepName: "Train", Metadata: &StepMetadata{TrainingJob: &StepResource{Arn: lin.TrainingJob.TrainingJobArn}}},
			{StepName: "Evaluate", Metadata: &StepMetadata{ProcessingJob: &StepResource{Arn: lin.EvaluationJob.ProcessingJobArn}}},
			{StepName: "CheckAUC", Metadata: &StepMetadata{Condition: []byte(`{"Outcome":"True"}`)}},
			{StepName: "RegisterModel-RegisterModel", Metadata: &StepMetadata{RegisterModel: &StepResource{Arn: pkg.ModelPackageArn}}},
		},
	})
	s.seedLineageGraph(account, region, &lin, put("Preprocess/output/train/train.csv", []byte("churn,tenure,monthly_charges\n0,34,56.95\n1,2,53.85\n")))
	lin.Objects = objects
	return lin, nil
}

func orBytes(b, def []byte) []byte {
	if b != nil {
		return b
	}
	return def
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Report contents, shaped like SageMaker Model Monitor and Clarify output.
var (
	modelQualityStatistics = []byte(`{"version":0.0,"dataset":{"item_count":150,"evaluation_time":"2026-11-01T10:00:00Z"},` +
		`"binary_classification_metrics":{"auc":{"value":0.912,"standard_deviation":"NaN"},"f1":{"value":0.84,"standard_deviation":"NaN"},` +
		`"precision":{"value":0.86,"standard_deviation":"NaN"},"recall":{"value":0.82,"standard_deviation":"NaN"},"accuracy":{"value":0.88,"standard_deviation":"NaN"},` +
		`"confusion_matrix":{"0":{"0":80,"1":7},"1":{"0":11,"1":52}}}}`)
	modelQualityConstraints = []byte(`{"version":0.0,"binary_classification_constraints":{"auc":{"threshold":0.85,"comparison_operator":"LessThanThreshold"},` +
		`"f1":{"threshold":0.8,"comparison_operator":"LessThanThreshold"}}}`)
	dataQualityStatistics = []byte(`{"version":0.0,"dataset":{"item_count":5000},"features":[{"name":"tenure","inferred_type":"Integral",` +
		`"numerical_statistics":{"common":{"num_present":5000,"num_missing":0},"mean":32.4,"sum":162000,"std_dev":24.5,"min":0,"max":72}}]}`)
	dataQualityConstraints = []byte(`{"version":0.0,"features":[{"name":"tenure","inferred_type":"Integral","completeness":1.0,` +
		`"num_constraints":{"is_non_negative":true}}],"monitoring_config":{"evaluate_constraints":"Enabled","emit_metrics":"Enabled"}}`)
	biasAnalysis = []byte(`{"version":"1.0","pre_training_bias_metrics":{"label":"churn","label_value_or_threshold":"1","facets":{"gender":[{"value_or_threshold":"F",` +
		`"metrics":[{"name":"CI","description":"Class Imbalance (CI)","value":0.02},{"name":"DPL","description":"Difference in Positive Proportions in Labels (DPL)","value":0.04}]}]}},` +
		`"post_training_bias_metrics":{"label":"churn","label_value_or_threshold":"1","facets":{"gender":[{"value_or_threshold":"F",` +
		`"metrics":[{"name":"DPPL","description":"Difference in Positive Proportions in Predicted Labels (DPPL)","value":0.03},{"name":"DI","description":"Disparate Impact (DI)","value":0.94}]}]}}}`)
	explainabilityAnalysis = []byte(`{"version":"1.0","explanations":{"kernel_shap":{"label0":{"global_shap_values":{"tenure":0.31,"monthly_charges":0.22,"contract":0.17},"expected_value":0.27}}}}`)
)

// callerOf is the caller seeding acts as: the account itself.
func callerOf(st *state) service.Caller {
	return service.Caller{Account: st.account, Region: st.region, ARN: "arn:aws:iam::" + st.account + ":root"}
}

// seedLineageGraph records what SageMaker's lineage tracking would have for
// a dev package: training data and image → training job's trial component
// → model data artifact → model package artifact.
func (s *Service) seedLineageGraph(account, region string, lin *DevLineage, trainingDataURI string) {
	modelData := lin.Package.InferenceSpecification.Containers[0].ModelDataUrl
	image := lin.Package.InferenceSpecification.Containers[0].Image
	trainingData := s.SeedArtifact(account, region, Artifact{ArtifactType: "DataSet", Source: ArtifactSource{SourceUri: trainingDataURI}})
	img := s.SeedArtifact(account, region, Artifact{ArtifactType: "Image", Source: ArtifactSource{SourceUri: image}})
	lin.ModelArtifact = s.SeedArtifact(account, region, Artifact{ArtifactType: "Model", Source: ArtifactSource{SourceUri: modelData}})
	lin.PackageArtifact = s.SeedArtifact(account, region, Artifact{ArtifactType: "Model", ArtifactName: lin.Package.ModelPackageGroupName + "-" + fmt.Sprint(lin.Package.ModelPackageVersion),
		Source: ArtifactSource{SourceUri: lin.Package.ModelPackageArn}})
	tc := fmt.Sprintf("arn:aws:sagemaker:%s:%s:experiment-trial-component/%s-aws-training-job", region, account, strings.ToLower(lin.TrainingJob.TrainingJobName))
	s.SeedLineageEntity(account, region, LineageEntity{Arn: tc, LineageType: "TrialComponent", Type: "SageMakerTrainingJob"})
	for _, a := range []Association{
		{SourceArn: trainingData.ArtifactArn, DestinationArn: tc, AssociationType: "ContributedTo"},
		{SourceArn: img.ArtifactArn, DestinationArn: tc, AssociationType: "ContributedTo"},
		{SourceArn: tc, DestinationArn: lin.ModelArtifact.ArtifactArn, AssociationType: "Produced"},
		{SourceArn: lin.ModelArtifact.ArtifactArn, DestinationArn: lin.PackageArtifact.ArtifactArn, AssociationType: "ContributedTo"},
	} {
		s.SeedAssociation(account, region, a)
	}
}
