// Package manifest reads the files of a promotions repository: the platform
// team's configuration (promotions/modelpromote.yaml: the source account, the
// target environments and the promotion policy) and one file per model
// (promotions/<model>.yaml: which version of the model runs in which stage, on
// which endpoint). It loads them strictly, keeping the position of every
// value, checks them, and computes the changes between two revisions.
//
// The types here are plain data; the rules that act on them (stage order,
// approvals, thresholds) live in package policy.
package manifest

import "time"

// ConfigFile is the base name of the platform team's configuration file.
const ConfigFile = "modelpromote.yaml"

// DefaultDir is the promotions directory within a repository, unless a
// command, the Action's path input or the server is told otherwise.
const DefaultDir = "promotions"

// FormatVersion is the only manifest format version this build understands.
const FormatVersion = 1

// Config is promotions/modelpromote.yaml.
type Config struct {
	// Version is the manifest format version; it must be 1.
	Version int `yaml:"version" json:"version"`
	// Source is the account whose model registry models are promoted from.
	Source Source `yaml:"source" json:"source"`
	// Environments are the accounts models are promoted into, one per stage.
	Environments []Environment `yaml:"environments" json:"environments"`
	// Policy says what a promotion into each stage needs.
	Policy Policy `yaml:"policy" json:"policy"`
	// Notifications are where outcomes are announced (notifications.go).
	Notifications []Notification `yaml:"notifications,omitempty" json:"notifications,omitempty"`
	// Dashboard asks the bot to keep one issue, "Model promotions", up to
	// date with every stage's status, pending promotions, recent failures
	// and drift (package dashboard).
	Dashboard bool `yaml:"dashboard,omitempty" json:"dashboard,omitempty"`
	// Governance, when set, is the account whose SageMaker model cards
	// record where each model version runs: apply updates the model's card
	// there after each promotion.
	Governance *Governance `yaml:"governance,omitempty" json:"governance,omitempty"`
}

// Governance is the account that keeps the model cards (AWS's multi-account
// framework puts them in a governance account a model dashboard reads).
type Governance struct {
	Account string `yaml:"account" json:"account"`
	Region  string `yaml:"region" json:"region"`
	// RoleARN is assumed to write the cards.
	RoleARN    string `yaml:"roleArn" json:"roleArn"`
	ExternalID string `yaml:"externalId,omitempty" json:"externalId,omitempty"`
}

// Source is the account that trains models and holds the source registry.
type Source struct {
	Account string `yaml:"account" json:"account"`
	Region  string `yaml:"region" json:"region"`
	// RoleARN is assumed (read-only) to read the source registry and
	// artifacts. Empty means the ambient credentials already belong to the
	// source account.
	RoleARN    string `yaml:"roleArn,omitempty" json:"roleArn,omitempty"`
	ExternalID string `yaml:"externalId,omitempty" json:"externalId,omitempty"`
}

// Environment is one target account; its name is the stage name.
type Environment struct {
	Name    string `yaml:"name" json:"name"`
	Account string `yaml:"account" json:"account"`
	Region  string `yaml:"region" json:"region"`
	// RoleARN is the deploy role assumed in the environment's account. Only
	// apply uses it.
	RoleARN string `yaml:"roleArn" json:"roleArn"`
	// ReadRoleARN is a read-only role the pull-request check and drift use
	// to see what the environment serves. Set it: a pull_request workflow
	// runs the branch's own workflow file, so whatever role the check can
	// reach, anyone who can push a branch can reach too. Without it, reads
	// use RoleARN.
	ReadRoleARN string `yaml:"readRoleArn,omitempty" json:"readRoleArn,omitempty"`
	ExternalID  string `yaml:"externalId,omitempty" json:"externalId,omitempty"`
	// ArtifactBucket receives the copied model data, reports and evidence.
	ArtifactBucket string `yaml:"artifactBucket" json:"artifactBucket"`
	// KMSKeyARN encrypts everything written to ArtifactBucket. A full key
	// ARN, never an alias: S3 and SageMaker in other accounts resolve
	// aliases in the caller's account.
	KMSKeyARN string `yaml:"kmsKeyArn" json:"kmsKeyArn"`
	// ExecutionRoleARN is the role SageMaker models run with (not used by a
	// registry-only environment).
	ExecutionRoleARN string `yaml:"executionRoleArn" json:"executionRoleArn"`
	// RegistryOnly makes the environment a central model registry: a
	// promotion into it copies the package (artifacts, reports,
	// provenance) into its account's registry and bucket and deploys
	// nothing, so its stages in the model files take no endpoint.
	RegistryOnly bool `yaml:"registryOnly,omitempty" json:"registryOnly,omitempty"`
	// SharedRegistry, on a registry-only environment, says its account
	// shares its model package groups (and its bucket) with the accounts
	// of the stages sourced from it by resource policies: those stages
	// read its copies by ARN with their own roles, and no role in its
	// account is assumed for them. Without it they assume its read role.
	SharedRegistry bool `yaml:"sharedRegistry,omitempty" json:"sharedRegistry,omitempty"`
	// Source names the registry-only environment this stage takes its
	// packages from (its copies, which apply wrote and verified), instead
	// of the configuration's source: "" is the configuration's source.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// After names the stage a version must be live in before it may be
	// promoted into this one.
	After string `yaml:"after,omitempty" json:"after,omitempty"`
	// VPC, NetworkIsolation, Tags and ImageMirror are what a locked-down
	// account demands of everything apply creates there (enterprise.go).
	VPC              *VPC              `yaml:"vpc,omitempty" json:"vpc,omitempty"`
	NetworkIsolation bool              `yaml:"networkIsolation,omitempty" json:"networkIsolation,omitempty"`
	Tags             map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	ImageMirror      string            `yaml:"imageMirror,omitempty" json:"imageMirror,omitempty"`
}

// Policy is what promotions need, per stage, and who owns the configuration.
type Policy struct {
	// Owners must approve any pull request that changes the configuration
	// file: GitHub users, or teams as "team:slug".
	Owners []string `yaml:"owners" json:"owners"`
	// OwnerApprovals is how many owners must approve such a change (default 1).
	OwnerApprovals int `yaml:"ownerApprovals,omitempty" json:"ownerApprovals,omitempty"`
	// Stages maps a stage (environment) name to its rules. Every environment
	// must have an entry: an unconfigured stage is a mistake, not a default.
	Stages map[string]StagePolicy `yaml:"stages" json:"stages"`
	// Freezes are windows in which the stages they name take no
	// promotions (see Freeze).
	Freezes []Freeze `yaml:"freezes,omitempty" json:"freezes,omitempty"`
}

// StagePolicy is what a promotion into one stage needs.
type StagePolicy struct {
	// Approvals is how many distinct eligible reviewers must approve the
	// pull request's head commit. The pull request's author and the authors
	// of its commits never count.
	Approvals int `yaml:"approvals" json:"approvals"`
	// Approvers restricts who counts: GitHub users and "team:slug" entries.
	// Empty means any reviewer with write access.
	Approvers []string `yaml:"approvers,omitempty" json:"approvers,omitempty"`
	// Reports lists the compliance reports the model package must carry.
	Reports []ReportKind `yaml:"reports,omitempty" json:"reports,omitempty"`
	// MaxReportAgeDays bounds how old a required report may be (0: no bound).
	MaxReportAgeDays int `yaml:"maxReportAgeDays,omitempty" json:"maxReportAgeDays,omitempty"`
	// RequireDigests makes a report without a recorded ContentDigest a failure.
	RequireDigests bool `yaml:"requireDigests,omitempty" json:"requireDigests,omitempty"`
	// RequireCommit requires MetadataProperties.CommitId and Repository.
	RequireCommit bool `yaml:"requireCommit,omitempty" json:"requireCommit,omitempty"`
	// RequireImageDigest requires inference images pinned by @sha256 digest.
	RequireImageDigest bool `yaml:"requireImageDigest,omitempty" json:"requireImageDigest,omitempty"`
	// Thresholds are the metric rules the candidate must meet.
	Thresholds []Threshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// SoakTime is how long a version must have been live in the `after`
	// stage before it may be promoted here.
	SoakTime Duration `yaml:"soakTime,omitempty" json:"soakTime,omitempty"`
	// AutoPropose opens this stage's promotion pull request by itself once
	// the version is live (and soaked) in the `after` stage.
	AutoPropose bool `yaml:"autoPropose,omitempty" json:"autoPropose,omitempty"`
	// RevertOnFailure opens a pull request that puts the manifest back to the
	// version actually serving after a failed rollout.
	RevertOnFailure bool `yaml:"revertOnFailure,omitempty" json:"revertOnFailure,omitempty"`
	// RollbackApprovals is how many approvals a rollback (a return to a
	// version this stage ran before) needs; 0 means Approvals.
	RollbackApprovals int `yaml:"rollbackApprovals,omitempty" json:"rollbackApprovals,omitempty"`
	// BreakGlass lets an incident past the timing gates (see BreakGlass);
	// nil means the stage has no break-glass.
	BreakGlass *BreakGlass `yaml:"breakGlass,omitempty" json:"breakGlass,omitempty"`
}

// ReportKind names a compliance report a stage can require.
type ReportKind string

// The report kinds, as they appear in the policy.
const (
	ReportModelQuality     ReportKind = "modelQuality"
	ReportDataQuality      ReportKind = "dataQuality"
	ReportBiasPreTraining  ReportKind = "biasPreTraining"
	ReportBiasPostTraining ReportKind = "biasPostTraining"
	ReportExplainability   ReportKind = "explainability"
	ReportModelCard        ReportKind = "modelCard"
)

// ReportKinds lists every valid ReportKind, in display order.
var ReportKinds = []ReportKind{
	ReportModelQuality, ReportDataQuality, ReportBiasPreTraining,
	ReportBiasPostTraining, ReportExplainability, ReportModelCard,
}

// Threshold is a rule on one metric. At least one bound must be set.
type Threshold struct {
	// Metric is a metric path, e.g. "binary_classification_metrics.auc" or
	// "bias.post_training.DI" (see ValidateMetricPath).
	Metric string `yaml:"metric" json:"metric"`
	// Min and Max bound the candidate's value (inclusive).
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Between is [low, high], inclusive.
	Between []float64 `yaml:"between,omitempty" json:"between,omitempty"`
	// MaxRegression bounds how much worse than the live version the
	// candidate may be, in the metric's units.
	MaxRegression *float64 `yaml:"maxRegression,omitempty" json:"maxRegression,omitempty"`
	// MaxRelativeRegression is the same as a fraction of the live value
	// (0.05 = 5 %).
	MaxRelativeRegression *float64 `yaml:"maxRelativeRegression,omitempty" json:"maxRelativeRegression,omitempty"`
	// Better says which direction is an improvement: "higher" or "lower".
	// Known metrics (auc, f1, rmse, …) have a default; others need it when a
	// regression bound is set.
	Better string `yaml:"better,omitempty" json:"better,omitempty"`
}

// Model is promotions/<model>.yaml.
type Model struct {
	Version int `yaml:"version" json:"version"`
	// Name is the model's name; it must match the file name.
	Name string `yaml:"model" json:"model"`
	// ModelPackageGroup is the source registry's model package group; the
	// target registries use the same group name.
	ModelPackageGroup string `yaml:"modelPackageGroup" json:"modelPackageGroup"`
	// Stages maps a stage (environment) name to what runs there.
	Stages map[string]Stage `yaml:"stages" json:"stages"`
}

// Stage is what runs in one stage.
type Stage struct {
	// Version is the model package version in the source group.
	Version  int      `yaml:"version" json:"version"`
	Endpoint Endpoint `yaml:"endpoint" json:"endpoint"`
}

// Endpoint is the SageMaker endpoint a stage deploys to.
type Endpoint struct {
	Name string `yaml:"name" json:"name"`
	// InstanceType and InstanceCount size an instance-based endpoint; a
	// serverless one sets neither.
	InstanceType  string `yaml:"instanceType,omitempty" json:"instanceType"`
	InstanceCount int    `yaml:"instanceCount,omitempty" json:"instanceCount"`
	// VariantName is the production variant (default "AllTraffic").
	VariantName string  `yaml:"variantName,omitempty" json:"variantName,omitempty"`
	Rollout     Rollout `yaml:"rollout,omitempty" json:"rollout,omitempty"`
	// Tags, DataCapture, Autoscaling, Serverless and Async are the
	// endpoint's enterprise settings (enterprise.go).
	Tags        map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	DataCapture *DataCapture      `yaml:"dataCapture,omitempty" json:"dataCapture,omitempty"`
	Autoscaling *Autoscaling      `yaml:"autoscaling,omitempty" json:"autoscaling,omitempty"`
	Serverless  *Serverless       `yaml:"serverless,omitempty" json:"serverless,omitempty"`
	Async       *Async            `yaml:"async,omitempty" json:"async,omitempty"`
}

// Rollout is how an existing endpoint is moved to the new model: a
// SageMaker blue/green update.
type Rollout struct {
	// Strategy is allAtOnce (default), canary or linear.
	Strategy string `yaml:"strategy,omitempty" json:"strategy,omitempty"`
	// CanaryPercent or CanaryInstances size the canary (canary only; one of).
	CanaryPercent   int `yaml:"canaryPercent,omitempty" json:"canaryPercent,omitempty"`
	CanaryInstances int `yaml:"canaryInstances,omitempty" json:"canaryInstances,omitempty"`
	// LinearStepPercent or LinearStepInstances size each step (linear only).
	LinearStepPercent   int `yaml:"linearStepPercent,omitempty" json:"linearStepPercent,omitempty"`
	LinearStepInstances int `yaml:"linearStepInstances,omitempty" json:"linearStepInstances,omitempty"`
	// WaitSeconds is the bake time between traffic shifts (0–3600).
	WaitSeconds int `yaml:"waitSeconds,omitempty" json:"waitSeconds,omitempty"`
	// TerminationWaitSeconds keeps the old fleet after the shift (0–3600).
	TerminationWaitSeconds int `yaml:"terminationWaitSeconds,omitempty" json:"terminationWaitSeconds,omitempty"`
	// MaxExecutionTimeoutSeconds bounds the whole update (600–28800).
	MaxExecutionTimeoutSeconds int `yaml:"maxExecutionTimeoutSeconds,omitempty" json:"maxExecutionTimeoutSeconds,omitempty"`
	// Alarms are CloudWatch alarms in the environment's account that roll
	// the update back when they fire (1–10, and they must exist).
	Alarms []string `yaml:"alarms,omitempty" json:"alarms,omitempty"`
}

// The rollout strategies.
const (
	StrategyAllAtOnce = "allAtOnce"
	StrategyCanary    = "canary"
	StrategyLinear    = "linear"
)

// DefaultVariantName is the production variant used when none is named.
const DefaultVariantName = "AllTraffic"

// Variant returns the endpoint's production variant name.
func (e Endpoint) Variant() string {
	if e.VariantName == "" {
		return DefaultVariantName
	}
	return e.VariantName
}

// StrategyName returns the rollout strategy, defaulting to allAtOnce.
func (r Rollout) StrategyName() string {
	if r.Strategy == "" {
		return StrategyAllAtOnce
	}
	return r.Strategy
}

// Duration is a time.Duration written as a Go duration string ("72h").
type Duration struct{ time.Duration }

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// IsZero reports whether no duration is set (for omitempty).
func (d Duration) IsZero() bool { return d.Duration == 0 }

// ModelStage is one stage of one model, with the stage's environment.
type ModelStage struct {
	Model *Model
	Stage string
	Env   Environment
}

// StagesOf lists every stage of models that c has an environment for, in
// no particular order (stages it does not know are validate's to report).
func (c *Config) StagesOf(models map[string]*ModelDoc) []ModelStage {
	var out []ModelStage
	for _, m := range models {
		for name := range m.Stages {
			if env, ok := c.Environment(name); ok {
				out = append(out, ModelStage{m.Model, name, env})
			}
		}
	}
	return out
}

// Upstream returns the registry-only environment env takes its packages
// from (env.Source), if it names one the configuration has.
func (c *Config) Upstream(env Environment) (Environment, bool) {
	if env.Source == "" {
		return Environment{}, false
	}
	return c.Environment(env.Source)
}

// AsSource is a registry-only environment as the source of the stages
// sourced from it: its account and region, read through its read role
// (its deploy role when it has none).
func (e Environment) AsSource() Source {
	role := e.ReadRoleARN
	if role == "" {
		role = e.RoleARN
	}
	return Source{Account: e.Account, Region: e.Region, RoleARN: role, ExternalID: e.ExternalID}
}

// Environment returns the environment named name.
func (c *Config) Environment(name string) (Environment, bool) {
	for _, e := range c.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}
