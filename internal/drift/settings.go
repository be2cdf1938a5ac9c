package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Settings drift: a setting of a stage's endpoint changed outside
// modelpromote (data capture turned off, autoscaling removed or its bounds
// changed, another VPC, network isolation off, another or no volume key,
// a required tag removed). The deploy action the manifests give the stage
// (plan.DeployFor: what apply would create) is compared with what the
// account has, setting by setting. Each setting is rendered as text, with
// every field that is compared in it, and two settings differ when their
// texts do: the report shows exactly what was compared.

// Setting names, as the manifests and configuration call them.
const (
	SettingInstanceType     = "instanceType"
	SettingServerless       = "serverless"
	SettingVPC              = "vpc"
	SettingNetworkIsolation = "networkIsolation"
	SettingVolumeKMSKey     = "volumeKmsKey"
	SettingDataCapture      = "dataCapture"
	SettingAsync            = "async"
	SettingAutoscaling      = "autoscaling"
	SettingTags             = "tags"
	// SettingScalingJournal is not a manifest setting: a scaling journal
	// apply keeps in the stage's bucket while an instance-type change has
	// the variant's autoscaling taken down, left by a deployment that
	// stopped, or one apply does not trust (planted).
	SettingScalingJournal = "scalingJournal"
)

// CompareSettings lists the settings of want that the account's endpoint
// does not have, in a fixed order; none when have matches.
func CompareSettings(want *plan.Deploy, have *plan.Configured) []plan.SettingDrift {
	if want == nil || have == nil {
		return nil
	}
	ep, s := want.Endpoint, want.Settings
	var out []plan.SettingDrift
	add := func(setting, manifestText, accountText string) {
		if manifestText != accountText {
			out = append(out, plan.SettingDrift{Setting: setting, Manifest: manifestText, Account: accountText})
		}
	}
	v := have.Variant
	if v == nil {
		v = &plan.ConfiguredVariant{}
	}
	if ep.Serverless != nil {
		add(SettingServerless, serverlessText(ep.Serverless), serverlessText(v.Serverless))
	} else {
		add(SettingInstanceType, ep.InstanceType, instanceTypeText(v))
	}
	add(SettingVPC, vpcText(s.VPC), vpcText(have.VPC))
	add(SettingNetworkIsolation, onOff(s.NetworkIsolation), onOff(have.NetworkIsolation))
	add(SettingVolumeKMSKey, orNone(s.VolumeKMSKeyARN), orNone(have.VolumeKMSKeyARN))
	add(SettingDataCapture, captureText(wantCapture(ep, s)), captureText(have.DataCapture))
	wa := wantAsync(ep, s)
	add(SettingAsync, asyncText(wa, nil), asyncText(have.Async, wa))
	if ep.Serverless == nil || have.Autoscaling != nil {
		add(SettingAutoscaling, scalingText(wantScaling(ep.Autoscaling)), scalingText(have.Autoscaling))
	}
	for _, res := range slices.Sorted(maps.Keys(have.Tags)) {
		if d, ok := tagDrift(s.Tags, have.Tags[res]); ok {
			d.Resource = res
			out = append(out, d)
		}
	}
	add(SettingScalingJournal, "none", orNone(have.ScalingJournal))
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func instanceTypeText(v *plan.ConfiguredVariant) string {
	switch {
	case v.Serverless != nil:
		return "serverless"
	case v.InstanceType == "":
		return "none"
	}
	return v.InstanceType
}

func serverlessText(s *manifest.Serverless) string {
	if s == nil {
		return "none (instances)"
	}
	t := fmt.Sprintf("%d MB, up to %d concurrent", s.MemorySizeMB, s.MaxConcurrency)
	if s.ProvisionedConcurrency > 0 {
		t += fmt.Sprintf(", %d provisioned", s.ProvisionedConcurrency)
	}
	return t
}

func vpcText(v *manifest.VPC) string {
	if v == nil || len(v.Subnets)+len(v.SecurityGroups) == 0 {
		return "none"
	}
	return "subnets " + strings.Join(slices.Sorted(slices.Values(v.Subnets)), ", ") +
		"; security groups " + strings.Join(slices.Sorted(slices.Values(v.SecurityGroups)), ", ")
}

func wantCapture(ep manifest.Endpoint, s manifest.DeploySettings) *plan.ConfiguredCapture {
	d := ep.DataCapture
	if d == nil || s.DataCaptureURI == "" {
		return nil
	}
	return &plan.ConfiguredCapture{SamplingPercent: d.SamplingPercent, Capture: d.Capture, DestinationURI: s.DataCaptureURI, KMSKeyARN: s.OutputKMSKeyARN}
}

func captureText(c *plan.ConfiguredCapture) string {
	if c == nil {
		return "off"
	}
	modes := slices.Sorted(slices.Values(c.Capture))
	return fmt.Sprintf("%d%% of %s to %s, key %s", c.SamplingPercent, strings.Join(modes, " and "), c.DestinationURI, orNone(c.KMSKeyARN))
}

func wantAsync(ep manifest.Endpoint, s manifest.DeploySettings) *plan.ConfiguredAsync {
	a := ep.Async
	if a == nil || s.AsyncOutputURI == "" {
		return nil
	}
	return &plan.ConfiguredAsync{OutputURI: s.AsyncOutputURI, KMSKeyARN: s.OutputKMSKeyARN, MaxConcurrentInvocationsPerInstance: a.MaxConcurrentInvocationsPerInstance,
		NotifySuccessTopic: a.NotifySuccessTopic, NotifyErrorTopic: a.NotifyErrorTopic}
}

// asyncText renders an asynchronous configuration. A concurrency the
// manifest leaves to SageMaker (0) is not compared: rendering the
// account's side, like is the manifest's, and the concurrency is shown
// only when the manifest sets one.
func asyncText(a, like *plan.ConfiguredAsync) string {
	if a == nil {
		return "none"
	}
	t := "results to " + a.OutputURI + ", key " + orNone(a.KMSKeyARN)
	if a.MaxConcurrentInvocationsPerInstance > 0 && (like == nil || like.MaxConcurrentInvocationsPerInstance > 0) {
		t += fmt.Sprintf(", %d concurrent invocations per instance", a.MaxConcurrentInvocationsPerInstance)
	}
	if a.NotifySuccessTopic != "" {
		t += ", success to " + a.NotifySuccessTopic
	}
	if a.NotifyErrorTopic != "" {
		t += ", errors to " + a.NotifyErrorTopic
	}
	return t
}

func wantScaling(a *manifest.Autoscaling) *plan.ConfiguredScaling {
	if a == nil {
		return nil
	}
	return &plan.ConfiguredScaling{MinInstances: a.MinInstances, MaxInstances: a.MaxInstances, Policy: true,
		TargetInvocationsPerInstance: float64(a.TargetInvocationsPerInstance),
		ScaleInCooldownSeconds:       a.ScaleInCooldownSeconds, ScaleOutCooldownSeconds: a.ScaleOutCooldownSeconds}
}

func scalingText(a *plan.ConfiguredScaling) string {
	if a == nil {
		return "none"
	}
	t := fmt.Sprintf("%d–%d instances", a.MinInstances, a.MaxInstances)
	if !a.Policy {
		return t + ", no target tracking on invocations per instance"
	}
	return t + fmt.Sprintf(" tracking %s invocations per instance per minute, scale-in cooldown %ds, scale-out cooldown %ds",
		strconv.FormatFloat(a.TargetInvocationsPerInstance, 'f', -1, 64), a.ScaleInCooldownSeconds, a.ScaleOutCooldownSeconds)
}

// tagDrift compares the tags apply writes with a resource's: a key
// missing or with another value is drift; keys apply does not write
// (provenance, anyone's own) are not.
func tagDrift(want, have map[string]string) (plan.SettingDrift, bool) {
	var m, a []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := have[k]
		switch {
		case !ok:
			a = append(a, k+" missing")
		case v != want[k]:
			a = append(a, k+"="+v)
		default:
			continue
		}
		m = append(m, k+"="+want[k])
	}
	if len(m) == 0 {
		return plan.SettingDrift{}, false
	}
	return plan.SettingDrift{Setting: SettingTags, Manifest: strings.Join(m, ", "), Account: strings.Join(a, ", ")}, true
}

// settingsDetail sums a stage's setting drift up in one sentence.
func settingsDetail(endpoint string, ds []plan.SettingDrift) string {
	if len(ds) == 1 {
		d := ds[0]
		if d.Setting == SettingScalingJournal {
			return fmt.Sprintf("endpoint %s has a scaling journal: %s", endpoint, d.Account)
		}
		what := d.Setting
		if d.Resource != "" {
			what += " of " + d.Resource
		}
		return fmt.Sprintf("%s of endpoint %s changed outside modelpromote: the manifests say %s, the account has %s", what, endpoint, d.Manifest, d.Account)
	}
	var names []string
	for _, d := range ds {
		if !slices.Contains(names, d.Setting) {
			names = append(names, d.Setting)
		}
	}
	if len(names) == 1 {
		return fmt.Sprintf("%s of endpoint %s changed outside modelpromote on %d resources", names[0], endpoint, len(ds))
	}
	return fmt.Sprintf("%d settings of endpoint %s changed outside modelpromote: %s", len(names), endpoint, strings.Join(names, ", "))
}

// Describe lists an endpoint's settings as drift compares them, one
// "setting: value" line each: what people read back after a deploy.
func Describe(c *plan.Configured) []string {
	if c == nil {
		return nil
	}
	v := c.Variant
	if v == nil {
		v = &plan.ConfiguredVariant{}
	}
	var out []string
	if v.Serverless != nil {
		out = append(out, SettingServerless+": "+serverlessText(v.Serverless))
	} else {
		out = append(out, SettingInstanceType+": "+instanceTypeText(v))
	}
	out = append(out, SettingVPC+": "+vpcText(c.VPC), SettingNetworkIsolation+": "+onOff(c.NetworkIsolation),
		SettingVolumeKMSKey+": "+orNone(c.VolumeKMSKeyARN), SettingDataCapture+": "+captureText(c.DataCapture))
	if c.Async != nil {
		out = append(out, SettingAsync+": "+asyncText(c.Async, nil))
	}
	out = append(out, SettingAutoscaling+": "+scalingText(c.Autoscaling))
	for _, res := range slices.Sorted(maps.Keys(c.Tags)) {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(c.Tags[res])) {
			kv = append(kv, k+"="+c.Tags[res][k])
		}
		out = append(out, SettingTags+" of "+res+": "+orNone(strings.Join(kv, ", ")))
	}
	if c.ScalingJournal != "" {
		out = append(out, SettingScalingJournal+": "+c.ScalingJournal)
	}
	return out
}

// JournalReader reads the scaling journal apply keeps for a stage's
// endpoint variant (artifacts.Evidence does, with the stage's read role):
// nil when there is none.
type JournalReader interface {
	ScalingJournal(ctx context.Context, env manifest.Environment, endpoint, variant string) (*plan.StoredScalingJournal, error)
}

// SettingsStages reads what a stage's endpoint serves and how it is
// configured (endpoints.Stages).
type SettingsStages interface {
	plan.Stages
	SettingsReader
}

// WithJournals has Detect also read each stage's scaling journal and
// report one that is there: a deployment stopped with the variant's
// autoscaling taken down, or a journal apply will not trust, which stops
// the next deployment to the endpoint.
func WithJournals(s SettingsStages, j JournalReader) plan.Stages {
	return withJournals{s, j}
}

type withJournals struct {
	SettingsStages
	JournalReader
}

// journalText is what drift says of a stage's scaling journal, judged by
// the core's rule; "" when there is none.
func journalText(j *plan.StoredScalingJournal, env manifest.Environment, endpoint, variant string) string {
	switch {
	case j == nil:
		return ""
	case j.Untrusted(env, endpoint, variant) != "":
		return fmt.Sprintf("%s is not trusted: %s; the next deployment to %s stops, registering nothing, until it is deleted",
			j.URI, j.Untrusted(env, endpoint, variant), endpoint)
	}
	return fmt.Sprintf("%s keeps the autoscaling registration an instance-type change took down (%s): a deployment stopped before settling it; the next deployment to %s does",
		j.URI, j.Journal.WrittenAt.UTC().Format("2006-01-02 15:04 UTC"), endpoint)
}
