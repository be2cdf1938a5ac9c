package manifest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The settings locked-down enterprise accounts demand (service control
// policies deny SageMaker creates without them), and the endpoint kinds
// beyond one instance-based variant: data capture, autoscaling, serverless
// and asynchronous inference.

// VPC is the network every model apply creates in an environment runs in
// (CreateModel VpcConfig).
type VPC struct {
	Subnets        []string `yaml:"subnets" json:"subnets"`
	SecurityGroups []string `yaml:"securityGroups" json:"securityGroups"`
}

// DataCapture records a sample of the endpoint's requests and responses to
// the environment's artifact bucket, under the model's prefix, encrypted
// with the environment's key (CreateEndpointConfig DataCaptureConfig).
type DataCapture struct {
	// SamplingPercent is the share of requests captured (1–100).
	SamplingPercent int `yaml:"samplingPercent" json:"samplingPercent"`
	// Capture lists what is captured: input, output or both.
	Capture []string `yaml:"capture" json:"capture"`
}

// The data capture modes (SageMaker CaptureMode Input and Output).
const (
	CaptureInput  = "input"
	CaptureOutput = "output"
)

// Autoscaling registers the endpoint's variant with Application Auto
// Scaling and tracks SageMakerVariantInvocationsPerInstance.
type Autoscaling struct {
	MinInstances                 int `yaml:"minInstances" json:"minInstances"`
	MaxInstances                 int `yaml:"maxInstances" json:"maxInstances"`
	TargetInvocationsPerInstance int `yaml:"targetInvocationsPerInstance" json:"targetInvocationsPerInstance"`
	ScaleInCooldownSeconds       int `yaml:"scaleInCooldownSeconds,omitempty" json:"scaleInCooldownSeconds,omitempty"`
	ScaleOutCooldownSeconds      int `yaml:"scaleOutCooldownSeconds,omitempty" json:"scaleOutCooldownSeconds,omitempty"`
}

// Serverless makes the endpoint a serverless one (ServerlessConfig): no
// instance type or count, and only all-at-once updates.
type Serverless struct {
	MemorySizeMB           int `yaml:"memorySizeMB" json:"memorySizeMB"`
	MaxConcurrency         int `yaml:"maxConcurrency" json:"maxConcurrency"`
	ProvisionedConcurrency int `yaml:"provisionedConcurrency,omitempty" json:"provisionedConcurrency,omitempty"`
}

// Async makes the endpoint an asynchronous one (AsyncInferenceConfig):
// results go to the environment's artifact bucket, encrypted with its key.
type Async struct {
	MaxConcurrentInvocationsPerInstance int    `yaml:"maxConcurrentInvocationsPerInstance,omitempty" json:"maxConcurrentInvocationsPerInstance,omitempty"`
	NotifySuccessTopic                  string `yaml:"notifySuccessTopic,omitempty" json:"notifySuccessTopic,omitempty"`
	NotifyErrorTopic                    string `yaml:"notifyErrorTopic,omitempty" json:"notifyErrorTopic,omitempty"`
}

// Limits from the SageMaker, EC2, Application Auto Scaling and tagging API
// references.
const (
	maxSubnets        = 16 // VpcConfig.Subnets
	maxSecurityGroups = 5  // VpcConfig.SecurityGroupIds
	// MaxUserTags bounds the environment's and the endpoint's tags together:
	// a SageMaker resource takes 50 tags, and apply adds its provenance tags.
	MaxUserTags            = 40
	maxTagKeyLength        = 128
	maxTagValueLength      = 256
	maxServerlessConc      = 200  // ServerlessConfig.MaxConcurrency
	maxAsyncInvocations    = 1000 // MaxConcurrentInvocationsPerInstance
	maxScalingCooldown     = 86400
	maxTargetInvocationsPM = 1_000_000
)

// ServerlessMemorySizes are the memory sizes SageMaker accepts for a
// serverless endpoint (ServerlessConfig.MemorySizeInMB).
var ServerlessMemorySizes = []int{1024, 2048, 3072, 4096, 5120, 6144}

var (
	subnetRE        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupRE = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// Tag keys and values: letters, digits, spaces and _ . : / = + - @.
	tagRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// An ECR repository URI without tag or digest.
	ecrRepoRE  = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)$`)
	snsTopicRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
)

// localStorageFamilies are the instance families with local NVMe storage,
// whose endpoint configs SageMaker refuses a volume KMS key for: the "d"
// variants and the accelerated families that ship instance storage
// (https://docs.aws.amazon.com/sagemaker/latest/dg/host-instance-storage.html,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html#sagemaker-CreateEndpointConfig-request-KmsKeyId).
var localStorageFamilies = []string{"c5d", "c6id", "m5d", "m6id", "r5d", "r6id", "g4dn", "g5", "g6", "p3dn", "p4d", "p4de", "p5", "inf2", "trn1"}

// LocalStorage reports whether a SageMaker instance type (ml.FAMILY.SIZE)
// has local NVMe instance storage, which SageMaker encrypts itself and for
// which it refuses a volume KMS key.
func LocalStorage(instanceType string) bool {
	parts := strings.Split(instanceType, ".")
	return len(parts) == 3 && slices.Contains(localStorageFamilies, parts[1])
}

// StageTags are the tags apply writes on what it creates for an endpoint:
// the endpoint's, with the environment's over them (the platform team's
// policy wins).
func StageTags(env Environment, ep Endpoint) map[string]string {
	if len(env.Tags) == 0 && len(ep.Tags) == 0 {
		return nil
	}
	out := maps.Clone(ep.Tags)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, env.Tags)
	return out
}

// IsServerless reports whether the endpoint is a serverless one.
func (e Endpoint) IsServerless() bool { return e.Serverless != nil }

func checkEnvironmentEnterprise(c *checker, f func(string) string, env Environment) {
	if v := env.VPC; v != nil {
		checkIDs(c, f("vpc.subnets"), v.Subnets, subnetRE, maxSubnets, "a subnet ID (subnet-0123abcd…)")
		checkIDs(c, f("vpc.securityGroups"), v.SecurityGroups, securityGroupRE, maxSecurityGroups, "a security group ID (sg-0123abcd…)")
	}
	checkTags(c, f("tags"), env.Tags)
	if m := env.ImageMirror; m != "" {
		if g := ecrRepoRE.FindStringSubmatch(m); g == nil {
			c.at(f("imageMirror"), "%s: %q is not an ECR repository URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME, without tag or digest)", f("imageMirror"), m)
		} else if env.Region != "" && g[2] != env.Region {
			c.at(f("imageMirror"), "%s is in %s, not the environment's region %s: SageMaker pulls images from its own region", f("imageMirror"), g[2], env.Region)
		}
	}
}

func checkIDs(c *checker, field string, ids []string, re *regexp.Regexp, most int, what string) {
	switch {
	case len(ids) == 0:
		c.atKey(field, "%s: at least one is required", field)
	case len(ids) > most:
		c.at(field, "%s: at most %d are allowed, found %d", field, most, len(ids))
	}
	seen := map[string]bool{}
	for i, id := range ids {
		fi := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !re.MatchString(id):
			c.at(fi, "%s: %q is not %s", field, id, what)
		case seen[id]:
			c.at(fi, "%s: %q is listed twice", field, id)
		}
		seen[id] = true
	}
}

func checkTags(c *checker, field string, tags map[string]string) {
	if len(tags) > MaxUserTags {
		c.at(field, "%s: at most %d tags (a SageMaker resource takes 50, and apply adds its provenance tags), found %d", field, MaxUserTags, len(tags))
	}
	for _, k := range sortedKeys(tags) {
		v := tags[k]
		kf := field + "." + k
		switch {
		case k == "" || utf8.RuneCountInString(k) > maxTagKeyLength || !tagRE.MatchString(k):
			c.atKey(kf, "tag key %q must be 1–%d letters, digits, spaces and _.:/=+-@", k, maxTagKeyLength)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			c.atKey(kf, "tag key %q: the aws: prefix is reserved for AWS", k)
		case strings.HasPrefix(k, "modelpromote:"):
			c.atKey(kf, "tag key %q: the modelpromote: prefix is reserved for the provenance tags apply writes", k)
		}
		if utf8.RuneCountInString(v) > maxTagValueLength || !tagRE.MatchString(v) {
			c.at(kf, "tag value of %q must be at most %d letters, digits, spaces and _.:/=+-@", k, maxTagValueLength)
		}
	}
}

// checkEndpointKind checks instanceType/instanceCount against serverless:
// a serverless endpoint sets neither, any other sets both.
func checkEndpointKind(c *checker, ef func(string) string, e Endpoint) {
	if e.Serverless == nil {
		if c.required(ef("instanceType"), e.InstanceType) && !instanceTypeRE.MatchString(e.InstanceType) {
			c.at(ef("instanceType"), "instanceType %q is not a SageMaker instance type (e.g. ml.m5.large)", e.InstanceType)
		}
		if e.InstanceCount < 1 || e.InstanceCount > maxEndpointInstances {
			c.at(ef("instanceCount"), "instanceCount must be between 1 and %d, found %d", maxEndpointInstances, e.InstanceCount)
		}
		return
	}
	if e.InstanceType != "" {
		c.at(ef("instanceType"), "a serverless endpoint has no instanceType: remove it, or remove serverless")
	}
	if e.InstanceCount != 0 {
		c.at(ef("instanceCount"), "a serverless endpoint has no instanceCount: remove it, or remove serverless")
	}
}

func checkEndpointEnterprise(c *checker, ef func(string) string, e Endpoint) {
	checkTags(c, ef("tags"), e.Tags)
	if d := e.DataCapture; d != nil {
		if d.SamplingPercent < 1 || d.SamplingPercent > 100 {
			c.at(ef("dataCapture.samplingPercent"), "dataCapture.samplingPercent must be between 1 and 100, found %d", d.SamplingPercent)
		}
		if len(d.Capture) == 0 {
			c.atKey(ef("dataCapture.capture"), "dataCapture.capture must list input, output or both")
		}
		seen := map[string]bool{}
		for i, m := range d.Capture {
			mf := fmt.Sprintf("%s[%d]", ef("dataCapture.capture"), i)
			switch {
			case m != CaptureInput && m != CaptureOutput:
				c.at(mf, "dataCapture.capture: %q is not input or output", m)
			case seen[m]:
				c.at(mf, "dataCapture.capture: %q is listed twice", m)
			}
			seen[m] = true
		}
	}
	if a := e.Autoscaling; a != nil {
		checkAutoscaling(c, ef, *a, e)
	}
	if s := e.Serverless; s != nil {
		checkServerless(c, ef, *s, e)
	}
	if a := e.Async; a != nil {
		if a.MaxConcurrentInvocationsPerInstance < 0 || a.MaxConcurrentInvocationsPerInstance > maxAsyncInvocations {
			c.at(ef("async.maxConcurrentInvocationsPerInstance"), "async.maxConcurrentInvocationsPerInstance must be between 1 and %d, found %d", maxAsyncInvocations, a.MaxConcurrentInvocationsPerInstance)
		}
		for _, t := range []struct{ name, v string }{{"notifySuccessTopic", a.NotifySuccessTopic}, {"notifyErrorTopic", a.NotifyErrorTopic}} {
			if t.v != "" && !snsTopicRE.MatchString(t.v) {
				c.at(ef("async."+t.name), "async.%s: %q is not an SNS topic ARN", t.name, t.v)
			}
		}
	}
}

func checkAutoscaling(c *checker, ef func(string) string, a Autoscaling, e Endpoint) {
	f := func(name string) string { return ef("autoscaling." + name) }
	if e.Serverless != nil {
		c.atKey(ef("autoscaling"), "autoscaling applies to instance-based endpoints; a serverless endpoint scales by itself up to serverless.maxConcurrency")
		return
	}
	switch {
	case a.MinInstances < 1 || a.MinInstances > maxEndpointInstances:
		c.at(f("minInstances"), "autoscaling.minInstances must be between 1 and %d, found %d", maxEndpointInstances, a.MinInstances)
	case a.MaxInstances < a.MinInstances || a.MaxInstances > maxEndpointInstances:
		c.at(f("maxInstances"), "autoscaling.maxInstances must be between minInstances (%d) and %d, found %d", a.MinInstances, maxEndpointInstances, a.MaxInstances)
	case e.InstanceCount > 0 && (e.InstanceCount < a.MinInstances || e.InstanceCount > a.MaxInstances):
		c.at(ef("instanceCount"), "instanceCount (%d) must be between autoscaling.minInstances (%d) and maxInstances (%d)", e.InstanceCount, a.MinInstances, a.MaxInstances)
	}
	if a.TargetInvocationsPerInstance < 1 || a.TargetInvocationsPerInstance > maxTargetInvocationsPM {
		c.at(f("targetInvocationsPerInstance"), "autoscaling.targetInvocationsPerInstance (invocations per instance per minute) must be between 1 and %d, found %d", maxTargetInvocationsPM, a.TargetInvocationsPerInstance)
	}
	for _, cd := range []struct {
		name string
		v    int
	}{{"scaleInCooldownSeconds", a.ScaleInCooldownSeconds}, {"scaleOutCooldownSeconds", a.ScaleOutCooldownSeconds}} {
		if cd.v < 0 || cd.v > maxScalingCooldown {
			c.at(f(cd.name), "autoscaling.%s must be between 0 and %d, found %d", cd.name, maxScalingCooldown, cd.v)
		}
	}
}

func checkServerless(c *checker, ef func(string) string, s Serverless, e Endpoint) {
	f := func(name string) string { return ef("serverless." + name) }
	if !slices.Contains(ServerlessMemorySizes, s.MemorySizeMB) {
		c.at(f("memorySizeMB"), "serverless.memorySizeMB must be one of 1024, 2048, 3072, 4096, 5120, 6144 (what SageMaker accepts), found %d", s.MemorySizeMB)
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > maxServerlessConc {
		c.at(f("maxConcurrency"), "serverless.maxConcurrency must be between 1 and %d, found %d", maxServerlessConc, s.MaxConcurrency)
	}
	if s.ProvisionedConcurrency < 0 || (s.MaxConcurrency > 0 && s.ProvisionedConcurrency > s.MaxConcurrency) {
		c.at(f("provisionedConcurrency"), "serverless.provisionedConcurrency must be between 1 and maxConcurrency (%d), found %d", s.MaxConcurrency, s.ProvisionedConcurrency)
	}
	if st := e.Rollout.StrategyName(); st != StrategyAllAtOnce {
		c.at(ef("rollout.strategy"), "a serverless endpoint is updated all at once: SageMaker does not shift traffic by %s onto serverless variants", st)
	}
	if e.DataCapture != nil {
		c.atKey(ef("dataCapture"), "serverless endpoints do not support data capture")
	}
	if e.Async != nil {
		c.atKey(ef("async"), "an endpoint is serverless or asynchronous, not both")
	}
}

// checkServerlessEnvironment refuses a serverless endpoint in an
// environment whose network settings SageMaker cannot apply to it. AWS's
// Serverless Inference feature exclusions list "VPC configuration" and
// "network isolation"
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions).
// Leaving them off instead would deploy outside the network the platform
// team demands of the account, so the stage is refused, at the model file's
// serverless key, naming the configuration's setting. The environment's
// key stays: a serverless endpoint config takes a KmsKeyId, which encrypts
// SageMaker's copy of the image rather than a volume
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-create-config.html).
func checkServerlessEnvironment(c *checker, field string, ep Endpoint, env Environment, cfg *ConfigDoc) {
	if ep.Serverless == nil {
		return
	}
	idx := slices.IndexFunc(cfg.Environments, func(e Environment) bool { return e.Name == env.Name })
	setting := func(name string) string {
		f := fmt.Sprintf("environments[%d].%s", idx, name)
		pos := cfg.positions.KeyOf(f)
		return fmt.Sprintf("%s at %s:%d:%d", f, cfg.File, pos.Line, pos.Col)
	}
	sf := field + ".endpoint.serverless"
	if env.VPC != nil {
		c.atKey(sf, "%s: stage %q runs its models in a VPC (%s), and SageMaker Serverless Inference does not support VPC configuration: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without a vpc", sf, env.Name, setting("vpc"))
	}
	if env.NetworkIsolation {
		c.atKey(sf, "%s: stage %q isolates its models from the network (%s), and SageMaker Serverless Inference does not support network isolation: make the endpoint instance-based (instanceType, instanceCount), or deploy it to an environment without networkIsolation", sf, env.Name, setting("networkIsolation"))
	}
}

// DeploySettings are what apply sets on what it creates for one stage's
// endpoint, resolved from the environment's policy and the endpoint: the
// exact inputs of the deploy step beside the endpoint itself.
type DeploySettings struct {
	// VPC and NetworkIsolation go on every model.
	VPC              *VPC `json:"vpc,omitempty"`
	NetworkIsolation bool `json:"networkIsolation,omitempty"`
	// Tags are the environment's over the endpoint's, on models, endpoint
	// configs and endpoints, beside the provenance tags.
	Tags map[string]string `json:"tags,omitempty"`
	// VolumeKMSKeyARN encrypts the instances' storage volumes (the endpoint
	// config's KmsKeyId). It is empty when LocalStorage is set: SageMaker
	// refuses a volume key for instance types with local NVMe storage,
	// which it encrypts itself. A serverless endpoint has no volume: there
	// the key encrypts SageMaker's copy of the image.
	VolumeKMSKeyARN string `json:"volumeKmsKeyArn,omitempty"`
	LocalStorage    bool   `json:"localStorage,omitempty"`
	// DataCaptureURI receives captured requests and responses and
	// AsyncOutputURI asynchronous results, both encrypted with
	// OutputKMSKeyARN.
	DataCaptureURI  string `json:"dataCaptureUri,omitempty"`
	AsyncOutputURI  string `json:"asyncOutputUri,omitempty"`
	OutputKMSKeyARN string `json:"outputKmsKeyArn,omitempty"`
}

// ResolveSettings resolves a stage's deploy settings: group is the model
// package group, whose prefix in the environment's artifact bucket holds
// the endpoint's captured data and asynchronous results.
func ResolveSettings(env Environment, group string, ep Endpoint) DeploySettings {
	s := DeploySettings{VPC: env.VPC, NetworkIsolation: env.NetworkIsolation, Tags: StageTags(env, ep)}
	if ep.Serverless == nil && LocalStorage(ep.InstanceType) {
		s.LocalStorage = true
	} else {
		s.VolumeKMSKeyARN = env.KMSKeyARN
	}
	if ep.DataCapture != nil {
		s.DataCaptureURI = fmt.Sprintf("s3://%s/%s/data-capture/%s", env.ArtifactBucket, group, ep.Name)
	}
	if ep.Async != nil {
		s.AsyncOutputURI = fmt.Sprintf("s3://%s/%s/async/%s", env.ArtifactBucket, group, ep.Name)
	}
	if s.DataCaptureURI != "" || s.AsyncOutputURI != "" {
		s.OutputKMSKeyARN = env.KMSKeyARN
	}
	return s
}

// Summary describes the settings in a few words, for plans and previews;
// "" when there are none beyond the volume key.
func (s DeploySettings) Summary() string {
	var parts []string
	if s.VPC != nil {
		parts = append(parts, fmt.Sprintf("VPC %s (%s)", strings.Join(s.VPC.Subnets, ", "), strings.Join(s.VPC.SecurityGroups, ", ")))
	}
	if s.NetworkIsolation {
		parts = append(parts, "network isolation")
	}
	// The volume key is the environment's kmsKeyArn, like everything else
	// apply writes; only its absence is news.
	if s.LocalStorage {
		parts = append(parts, "no volume key (the instance type has local NVMe storage, which SageMaker encrypts itself and refuses a key for)")
	}
	if s.DataCaptureURI != "" {
		parts = append(parts, "data capture to "+s.DataCaptureURI)
	}
	if s.AsyncOutputURI != "" {
		parts = append(parts, "async output to "+s.AsyncOutputURI)
	}
	if len(s.Tags) > 0 {
		var kv []string
		for _, k := range sortedKeys(s.Tags) {
			kv = append(kv, k+"="+s.Tags[k])
		}
		parts = append(parts, "tags "+strings.Join(kv, ", "))
	}
	return strings.Join(parts, "; ")
}
