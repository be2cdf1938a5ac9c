package sagemaker

import "encoding/json"

// The types below mirror SageMaker's API shapes member for member (JSON
// names are the Go field names). Members modelpromote never reads are kept
// as raw JSON so that whatever a client sends is returned unchanged.

// InferenceSpecification is what a model package needs to be deployed.
type InferenceSpecification struct {
	Containers                              []ModelPackageContainerDefinition `json:",omitempty"`
	SupportedContentTypes                   []string                          `json:",omitempty"`
	SupportedResponseMIMETypes              []string                          `json:",omitempty"`
	SupportedRealtimeInferenceInstanceTypes []string                          `json:",omitempty"`
	SupportedTransformInstanceTypes         []string                          `json:",omitempty"`
}

// ModelPackageContainerDefinition is one inference container of a package.
type ModelPackageContainerDefinition struct {
	ContainerHostname          string            `json:",omitempty"`
	Image                      string            `json:",omitempty"`
	ImageDigest                string            `json:",omitempty"`
	ModelDataUrl               string            `json:",omitempty"`
	ModelDataSource            *ModelDataSource  `json:",omitempty"`
	ModelDataETag              string            `json:",omitempty"`
	ProductId                  string            `json:",omitempty"`
	Environment                map[string]string `json:",omitempty"`
	ModelInput                 *ModelInput       `json:",omitempty"`
	Framework                  string            `json:",omitempty"`
	FrameworkVersion           string            `json:",omitempty"`
	NearestModelName           string            `json:",omitempty"`
	IsCheckpoint               *bool             `json:",omitempty"`
	AdditionalS3DataSource     json.RawMessage   `json:",omitempty"`
	AdditionalModelDataSources json.RawMessage   `json:",omitempty"`
	BaseModel                  json.RawMessage   `json:",omitempty"`
}

// ModelInput is a container's input configuration.
type ModelInput struct {
	DataInputConfig string `json:",omitempty"`
}

// ModelDataSource locates uncompressed or compressed model data.
type ModelDataSource struct {
	S3DataSource *S3ModelDataSource `json:",omitempty"`
}

// S3ModelDataSource is model data in S3.
type S3ModelDataSource struct {
	S3Uri             string          `json:",omitempty"`
	S3DataType        string          `json:",omitempty"`
	CompressionType   string          `json:",omitempty"`
	ETag              string          `json:",omitempty"`
	ManifestS3Uri     string          `json:",omitempty"`
	ManifestEtag      string          `json:",omitempty"`
	ModelAccessConfig json.RawMessage `json:",omitempty"`
	HubAccessConfig   json.RawMessage `json:",omitempty"`
}

// ModelMetrics are the reports attached to a model package at creation.
type ModelMetrics struct {
	ModelQuality     *QualityMetrics        `json:",omitempty"`
	ModelDataQuality *QualityMetrics        `json:",omitempty"`
	Bias             *BiasMetrics           `json:",omitempty"`
	Explainability   *ExplainabilityMetrics `json:",omitempty"`
}

// QualityMetrics is the ModelQuality, ModelDataQuality,
// DriftCheckModelQuality and DriftCheckModelDataQuality shape.
type QualityMetrics struct {
	Statistics  *MetricsSource `json:",omitempty"`
	Constraints *MetricsSource `json:",omitempty"`
}

// BiasMetrics is the Bias shape.
type BiasMetrics struct {
	Report             *MetricsSource `json:",omitempty"`
	PreTrainingReport  *MetricsSource `json:",omitempty"`
	PostTrainingReport *MetricsSource `json:",omitempty"`
}

// ExplainabilityMetrics is the Explainability shape.
type ExplainabilityMetrics struct {
	Report *MetricsSource `json:",omitempty"`
}

// MetricsSource points at one report in S3.
type MetricsSource struct {
	ContentType   string `json:",omitempty"`
	S3Uri         string `json:",omitempty"`
	ContentDigest string `json:",omitempty"`
}

// FileSource points at a file in S3.
type FileSource struct {
	ContentType   string `json:",omitempty"`
	S3Uri         string `json:",omitempty"`
	ContentDigest string `json:",omitempty"`
}

// DriftCheckBaselines are the baselines a package was checked against.
type DriftCheckBaselines struct {
	Bias             *DriftCheckBias           `json:",omitempty"`
	Explainability   *DriftCheckExplainability `json:",omitempty"`
	ModelQuality     *QualityMetrics           `json:",omitempty"`
	ModelDataQuality *QualityMetrics           `json:",omitempty"`
}

// DriftCheckBias is the DriftCheckBias shape.
type DriftCheckBias struct {
	ConfigFile              *FileSource    `json:",omitempty"`
	PreTrainingConstraints  *MetricsSource `json:",omitempty"`
	PostTrainingConstraints *MetricsSource `json:",omitempty"`
}

// DriftCheckExplainability is the DriftCheckExplainability shape.
type DriftCheckExplainability struct {
	ConfigFile  *FileSource    `json:",omitempty"`
	Constraints *MetricsSource `json:",omitempty"`
}

// MetadataProperties says where a package came from.
type MetadataProperties struct {
	CommitId    string `json:",omitempty"`
	Repository  string `json:",omitempty"`
	GeneratedBy string `json:",omitempty"`
	ProjectId   string `json:",omitempty"`
}

// ModelPackageModelCard is the model card embedded in a package.
type ModelPackageModelCard struct {
	ModelCardContent string `json:",omitempty"`
	ModelCardStatus  string `json:",omitempty"`
}

// ModelLifeCycle is a package's lifecycle stage.
type ModelLifeCycle struct {
	Stage            string `json:",omitempty"`
	StageStatus      string `json:",omitempty"`
	StageDescription string `json:",omitempty"`
}

// SecurityConfig is a package's KMS configuration.
type SecurityConfig struct {
	KmsKeyId string `json:",omitempty"`
}

// ModelPackageStatusDetails is the validation and image scan progress.
type ModelPackageStatusDetails struct {
	ValidationStatuses []ModelPackageStatusItem
	ImageScanStatuses  []ModelPackageStatusItem `json:",omitempty"`
}

// ModelPackageStatusItem is one step of ModelPackageStatusDetails.
type ModelPackageStatusItem struct {
	Name          string
	Status        string
	FailureReason string `json:",omitempty"`
}
