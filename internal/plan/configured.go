package plan

import "github.com/modelpromote/modelpromote/internal/manifest"

// Configured is how a stage's endpoint is set up in its account, in the
// terms of the settings the deploy step creates it with: what `drift`
// compares with the deploy action the manifests give (DeployFor). The
// endpoints adapter reads it through the environment's read role.
type Configured struct {
	// Variant is the serving config's variant of the manifest's name;
	// nil when the config has none.
	Variant *ConfiguredVariant
	// VPC and NetworkIsolation are the serving model's.
	VPC              *manifest.VPC
	NetworkIsolation bool
	// VolumeKMSKeyARN is the serving config's KmsKeyId ("" when none).
	VolumeKMSKeyARN string
	// DataCapture is the serving config's capture; nil when off.
	DataCapture *ConfiguredCapture
	// Async is the serving config's asynchronous inference; nil when none.
	Async *ConfiguredAsync
	// Autoscaling is the variant's Application Auto Scaling registration;
	// nil when it is not registered.
	Autoscaling *ConfiguredScaling
	// Tags are the tags of the endpoint, its serving config and its model,
	// by resource ("endpoint NAME", "endpoint config NAME", "model NAME").
	Tags map[string]map[string]string
	// ScalingJournal says what the scaling journal apply keeps for the
	// variant in the stage's bucket holds (journal.go), judged: "" when
	// there is none (or it was not read).
	ScalingJournal string
}

// ConfiguredVariant is the variant's capacity: instances or serverless.
type ConfiguredVariant struct {
	InstanceType string
	Serverless   *manifest.Serverless
}

// ConfiguredCapture is an endpoint config's DataCaptureConfig.
type ConfiguredCapture struct {
	SamplingPercent int
	// Capture lists input and/or output (manifest.CaptureInput/Output).
	Capture        []string
	DestinationURI string
	KMSKeyARN      string
}

// ConfiguredAsync is an endpoint config's AsyncInferenceConfig.
type ConfiguredAsync struct {
	OutputURI                           string
	KMSKeyARN                           string
	MaxConcurrentInvocationsPerInstance int
	NotifySuccessTopic                  string
	NotifyErrorTopic                    string
}

// ConfiguredScaling is a variant's scalable target and its target
// tracking policy on SageMakerVariantInvocationsPerInstance (Policy false
// when it has none).
type ConfiguredScaling struct {
	MinInstances int
	MaxInstances int
	Policy       bool
	// TargetInvocationsPerInstance and the cooldowns are the policy's.
	TargetInvocationsPerInstance float64
	ScaleInCooldownSeconds       int
	ScaleOutCooldownSeconds      int
}

// SettingDrift is one setting of a stage's endpoint that differs from
// what apply would create.
type SettingDrift struct {
	// Setting is the manifest's name for it: dataCapture, autoscaling, vpc,
	// networkIsolation, volumeKmsKey, tags, instanceType, serverless,
	// async, or scalingJournal (a journal left in the stage's bucket).
	Setting string `json:"setting"`
	// Resource names what carries it, where that is not plain from the
	// setting (the tags of the endpoint, its config or its model).
	Resource string `json:"resource,omitempty"`
	// Manifest is what the manifests and the configuration say; Account
	// what the target account has.
	Manifest string `json:"manifest"`
	Account  string `json:"account"`
}

// DeployFor is the deploy action the manifests give a stage, with the
// settings apply creates its resources with; what PromotionActions
// plans for a promotion to it, and what drift compares the account with.
func DeployFor(env manifest.Environment, group string, ep manifest.Endpoint) *Deploy {
	return &Deploy{Endpoint: ep, ExecutionRoleARN: env.ExecutionRoleARN, Account: env.Account, Region: env.Region,
		Settings: manifest.ResolveSettings(env, group, ep)}
}
