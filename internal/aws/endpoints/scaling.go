package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Autoscaling of a production variant with Application Auto Scaling
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-register.html):
// a scalable target on sagemaker:variant:DesiredInstanceCount and a target
// tracking policy on SageMakerVariantInvocationsPerInstance. SageMaker
// refuses to change the instance type of a registered variant
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html):
// the registration is taken down first and put back after the update.

const scalingDimension = aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount

func scalingResource(endpoint, variant string) string {
	return "endpoint/" + endpoint + "/variant/" + variant
}

// ScalingPolicyName is the target tracking policy apply puts on a variant.
func ScalingPolicyName(endpoint, variant string) string {
	return "modelpromote-" + endpoint + "-" + variant
}

// registration is a variant's scalable target and its policies, as read,
// to take down and put back. Its JSON form is what the journal keeps
// (journal below).
type registration struct {
	target   aastypes.ScalableTarget
	policies []aastypes.ScalingPolicy
}

// savedRegistration is a registration as the journal keeps it: what
// restore needs, nothing more.
type savedRegistration struct {
	// FromConfig and ToConfig are the update it was taken down for: the
	// config serving then and the deployment's. A journal counts only
	// while the endpoint serves one of them (that update not yet settled).
	FromConfig string               `json:"fromConfig"`
	ToConfig   string               `json:"toConfig"`
	Resource   string               `json:"resource"`
	Min        int32                `json:"min"`
	Max        int32                `json:"max"`
	Policies   []savedScalingPolicy `json:"policies,omitempty"`
}

type savedScalingPolicy struct {
	Name           string                                             `json:"name"`
	Type           aastypes.PolicyType                                `json:"type"`
	TargetTracking *aastypes.TargetTrackingScalingPolicyConfiguration `json:"targetTracking,omitempty"`
	StepScaling    *aastypes.StepScalingPolicyConfiguration           `json:"stepScaling,omitempty"`
}

func (r *registration) saved() savedRegistration {
	out := savedRegistration{Resource: aws.ToString(r.target.ResourceId), Min: aws.ToInt32(r.target.MinCapacity), Max: aws.ToInt32(r.target.MaxCapacity)}
	for _, p := range r.policies {
		out.Policies = append(out.Policies, savedScalingPolicy{Name: aws.ToString(p.PolicyName), Type: p.PolicyType,
			TargetTracking: p.TargetTrackingScalingPolicyConfiguration, StepScaling: p.StepScalingPolicyConfiguration})
	}
	return out
}

func (s savedRegistration) registration() *registration {
	r := &registration{target: aastypes.ScalableTarget{ResourceId: aws.String(s.Resource), MinCapacity: aws.Int32(s.Min), MaxCapacity: aws.Int32(s.Max)}}
	for _, p := range s.Policies {
		r.policies = append(r.policies, aastypes.ScalingPolicy{PolicyName: aws.String(p.Name), PolicyType: p.Type,
			TargetTrackingScalingPolicyConfiguration: p.TargetTracking, StepScalingPolicyConfiguration: p.StepScaling})
	}
	return r
}

// registration reads the variant's registration; nil when there is none.
func (d *Deployer) registration(ctx context.Context, endpoint, variant string) (*registration, error) {
	id := scalingResource(endpoint, variant)
	ts, err := d.AAS.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{id}, ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scalable target %s: %w", id, err)
	}
	if len(ts.ScalableTargets) == 0 {
		return nil, nil
	}
	ps, err := d.AAS.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
	if err != nil {
		return nil, fmt.Errorf("describe scaling policies of %s: %w", id, err)
	}
	return &registration{target: ts.ScalableTargets[0], policies: ps.ScalingPolicies}, nil
}

// deregister deletes the registration's policies and its scalable target.
// What is already gone counts as done (a rerun after a crash).
func (d *Deployer) deregister(ctx context.Context, reg *registration) error {
	id := aws.ToString(reg.target.ResourceId)
	for _, p := range reg.policies {
		_, err := d.AAS.DeleteScalingPolicy(ctx, &applicationautoscaling.DeleteScalingPolicyInput{PolicyName: p.PolicyName,
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
		if err != nil && !objectNotFound(err) {
			return fmt.Errorf("delete scaling policy %s of %s: %w", aws.ToString(p.PolicyName), id, err)
		}
	}
	_, err := d.AAS.DeregisterScalableTarget(ctx, &applicationautoscaling.DeregisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension})
	if err != nil && !objectNotFound(err) {
		return fmt.Errorf("deregister scalable target %s: %w", id, err)
	}
	return nil
}

// restore puts a registration back as it was read.
func (d *Deployer) restore(ctx context.Context, reg *registration) error {
	id := aws.ToString(reg.target.ResourceId)
	if _, err := d.AAS.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
		MinCapacity: reg.target.MinCapacity, MaxCapacity: reg.target.MaxCapacity}); err != nil {
		return fmt.Errorf("register scalable target %s again: %w", id, err)
	}
	for _, p := range reg.policies {
		if _, err := d.AAS.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: p.PolicyName, PolicyType: p.PolicyType,
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
			TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration,
			StepScalingPolicyConfiguration:           p.StepScalingPolicyConfiguration}); err != nil {
			return fmt.Errorf("put scaling policy %s of %s again: %w", aws.ToString(p.PolicyName), id, err)
		}
	}
	return nil
}

// RegisterScaling registers the variant with the manifest's autoscaling,
// as apply does after a rollout. Both calls replace what is there, so a
// rerun converges.
func (d *Deployer) RegisterScaling(ctx context.Context, endpoint, variant string, a manifest.Autoscaling) error {
	id := scalingResource(endpoint, variant)
	if _, err := d.AAS.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id), ScalableDimension: scalingDimension,
		MinCapacity: aws.Int32(int32(a.MinInstances)), MaxCapacity: aws.Int32(int32(a.MaxInstances))}); err != nil {
		return fmt.Errorf("register scalable target %s: %w", id, err)
	}
	tt := &aastypes.TargetTrackingScalingPolicyConfiguration{
		TargetValue:                   aws.Float64(float64(a.TargetInvocationsPerInstance)),
		PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeSageMakerVariantInvocationsPerInstance},
		ScaleInCooldown:               aws.Int32(int32(a.ScaleInCooldownSeconds)),
		ScaleOutCooldown:              aws.Int32(int32(a.ScaleOutCooldownSeconds)),
	}
	if _, err := d.AAS.PutScalingPolicy(ctx, &applicationautoscaling.PutScalingPolicyInput{PolicyName: aws.String(ScalingPolicyName(endpoint, variant)),
		PolicyType: aastypes.PolicyTypeTargetTrackingScaling, ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(id),
		ScalableDimension: scalingDimension, TargetTrackingScalingPolicyConfiguration: tt}); err != nil {
		return fmt.Errorf("put scaling policy on %s: %w", id, err)
	}
	return nil
}

func objectNotFound(err error) bool {
	var nf *aastypes.ObjectNotFoundException
	return errors.As(err, &nf)
}

// The journal: a registration taken down for an instance-type change would
// live only in the deployment's memory until it is put back or replaced,
// and a crash there would lose it, with nothing left to restore after a
// failed rollout, and nothing at all of a registration made outside
// modelpromote. So before deregistering, the registration is kept in the
// request's Journal (apply's: an object in the stage's artifact bucket
// under the stage's KMS key, trusted by the evidence records' rule:
// plan.ScalingJournal), and the journal is cleared only once the scaling
// is settled. A later run (of this deployment or the next) finds it and
// settles it.

// Journal keeps one endpoint variant's registration taken down for an
// instance-type change until its scaling is settled.
type Journal interface {
	// Load returns the registration Save kept, nil when none is kept. It
	// fails when something is kept that cannot be read or trusted: then
	// nothing is registered from it and the deployment stops.
	Load(ctx context.Context) ([]byte, error)
	// Save keeps a registration (replacing what is kept).
	Save(ctx context.Context, registration []byte) error
	// Clear deletes what is kept; nothing kept is not an error.
	Clear(ctx context.Context) error
}

// LegacyJournalTag prefixes the endpoint tags in which modelpromote
// before the journal moved to the artifact bucket kept a registration
// taken down (LegacyJournalTag:0, :1, …, base64 JSON). Anyone who may tag
// the endpoint can write them, so they are never read: a deployment that
// finds them says so (Outcome.Warning) and leaves them.
const LegacyJournalTag = "modelpromote:suspended-scaling"

// writeJournal keeps reg in the request's Journal before it is
// deregistered.
func (x *deployment) writeJournal(ctx context.Context, reg *registration) error {
	if x.r.Journal == nil {
		return fmt.Errorf("the instance type of endpoint %s changes and its variant is registered for autoscaling, which must be taken down for the update, "+
			"but this deployment has no journal to keep the registration in meanwhile; deregister it by hand, deploy, and register it again", x.r.Endpoint.Name)
	}
	saved := reg.saved()
	saved.FromConfig, saved.ToConfig = x.out.PreviousConfig, x.out.NewConfig
	data, err := json.Marshal(saved)
	if err == nil {
		err = x.r.Journal.Save(ctx, data)
	}
	if err != nil {
		return fmt.Errorf("keep the scaling registration of %s before deregistering it: %w", x.r.Endpoint.Name, err)
	}
	x.journalKept = true
	return nil
}

// readJournal reads a registration an earlier run kept in the journal;
// nil when there is none. A journal that cannot be read or trusted stops
// the deployment before anything changes: nothing is registered from it.
func (x *deployment) readJournal(ctx context.Context) (*registration, error) {
	if !x.journalRead {
		x.journalRead = true
		x.kept, x.journalErr = x.loadJournal(ctx)
	}
	return x.kept, x.journalErr
}

func (x *deployment) loadJournal(ctx context.Context) (*registration, error) {
	if err := x.legacyJournal(ctx); err != nil {
		return nil, err
	}
	if x.r.Journal == nil {
		return nil, nil
	}
	data, err := x.r.Journal.Load(ctx)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, nil
	}
	var saved savedRegistration
	err = json.Unmarshal(data, &saved)
	if err == nil && saved.Resource != scalingResource(x.r.Endpoint.Name, x.r.Endpoint.Variant()) {
		err = fmt.Errorf("it is for %q", saved.Resource)
	}
	if err != nil {
		return nil, fmt.Errorf("endpoint %s has a scaling journal of a registration taken down by an earlier deployment, but it cannot be read (%v): "+
			"nothing is registered from it; put the scaling back by hand and delete the journal", x.r.Endpoint.Name, err)
	}
	if x.current != saved.FromConfig && x.current != saved.ToConfig {
		// A journal left by an update that has settled since, brought
		// back (an older object version restored): not this update's.
		return nil, fmt.Errorf("endpoint %s has a scaling journal kept for the update from config %s to %s, but it serves config %s: "+
			"the journal is not of its update under way, and nothing is registered from it; check the variant's scaling and delete the journal",
			x.r.Endpoint.Name, or(saved.FromConfig, "(none)"), or(saved.ToConfig, "(none)"), or(x.current, "(none)"))
	}
	x.journalKept = true // only a journal that counts is ever cleared
	return saved.registration(), nil
}

// legacyJournal names the LegacyJournalTag tags of the endpoint, if any,
// in a warning: they are not read.
func (x *deployment) legacyJournal(ctx context.Context) error {
	if x.arn == "" {
		return nil
	}
	var keys []string
	p := sagemaker.NewListTagsPaginator(x.SM, &sagemaker.ListTagsInput{ResourceArn: aws.String(x.arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list tags of endpoint %s: %w", x.r.Endpoint.Name, err)
		}
		for _, t := range page.Tags {
			if k := aws.ToString(t.Key); strings.HasPrefix(k, LegacyJournalTag+":") {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		x.out.Warning = fmt.Sprintf("endpoint %s has tags %s, a scaling journal as modelpromote kept it in endpoint tags before 2026-12: "+
			"ignored, since anyone who may tag the endpoint can write them (nothing is registered from them); if an older modelpromote's deployment "+
			"stopped while changing the instance type, put the variant's scaling back by hand from them; then delete them", x.r.Endpoint.Name, strings.Join(keys, ", "))
	}
	return nil
}

// clearJournal clears the journal once the scaling is settled.
func (x *deployment) clearJournal(ctx context.Context) error {
	if !x.journalKept {
		return nil
	}
	if err := x.r.Journal.Clear(ctx); err != nil {
		return fmt.Errorf("clear the scaling journal of endpoint %s (the scaling is settled): %w", x.r.Endpoint.Name, err)
	}
	x.journalKept = false
	return nil
}

// suspendForTypeChange takes down the variant's registration when the
// update changes its instance type from serving's (the variant of the
// config the endpoint serves), which SageMaker refuses on a registered
// variant. What it takes down is kept in the journal first, and in
// x.suspended, to be put back if the rollout fails. A registration an
// earlier, crashed run took down is read back from the journal.
func (x *deployment) suspendForTypeChange(ctx context.Context, serving *types.ProductionVariant) error {
	if x.AAS == nil || x.suspended != nil || x.r.Endpoint.IsServerless() {
		return nil
	}
	reg, err := x.keptOrRegistered(ctx, serving != nil && string(serving.InstanceType) != x.r.Endpoint.InstanceType)
	if err != nil {
		return err
	}
	if x.suspended != nil {
		// Taken down by an earlier deployment that stopped: this one
		// carries it now, so the journal names this update, which a
		// rerun after this one stops must recognise.
		return x.writeJournal(ctx, x.suspended)
	}
	if reg == nil {
		return nil
	}
	if serving == nil || string(serving.InstanceType) == x.r.Endpoint.InstanceType {
		return nil
	}
	if err := x.writeJournal(ctx, reg); err != nil {
		return err
	}
	if err := x.deregister(ctx, reg); err != nil {
		return err
	}
	x.suspended = reg
	return nil
}

// keptOrRegistered reads the journal and, when there is one or the
// caller needs it anyway, the variant's registration. A journal counts
// only while the variant is unregistered: a registration taken down and
// not yet put back. Beside a live registration it is a leftover of a run
// that crashed after settling (or planted), and is only cleared. It
// returns the live registration (nil when none), after setting
// x.suspended to a journal that counts.
func (x *deployment) keptOrRegistered(ctx context.Context, need bool) (*registration, error) {
	kept, err := x.readJournal(ctx)
	if err != nil || kept == nil && !need {
		return nil, err
	}
	reg, err := x.registration(ctx, x.r.Endpoint.Name, x.r.Endpoint.Variant())
	if err != nil {
		return nil, err
	}
	if reg == nil && kept != nil {
		x.suspended = kept
	}
	return reg, nil
}

// settleScaling runs after the rollout. On success the manifest's
// autoscaling is registered; without one, a registration taken down for
// the update (made outside modelpromote) is put back on the new fleet: the
// bot does not drop what it did not make. On failure a registration taken
// down is put back, the old fleet serving with its scaling restored. Either
// way the journal goes once the scaling is settled; if settling fails, it
// stays for the next run.
func (x *deployment) settleScaling(ctx context.Context, rollout error) error {
	if x.AAS == nil {
		if x.r.Endpoint.Autoscaling != nil {
			return errors.Join(rollout, fmt.Errorf("endpoint %s asks for autoscaling, but the deployer has no Application Auto Scaling client", x.r.Endpoint.Name))
		}
		return rollout
	}
	if x.suspended == nil && x.arn != "" && !x.out.Created && !x.r.Endpoint.IsServerless() {
		// Updated by an earlier run that crashed before settling.
		if _, err := x.keptOrRegistered(ctx, false); err != nil {
			return errors.Join(rollout, err)
		}
	}
	var err error
	switch a := x.r.Endpoint.Autoscaling; {
	case rollout != nil && x.suspended != nil:
		x.out.Scaling = "the old fleet serves with its scaling registration put back"
		err = x.restore(ctx, x.suspended)
	case rollout != nil:
	case a != nil:
		err = x.RegisterScaling(ctx, x.r.Endpoint.Name, x.r.Endpoint.Variant(), *a)
	case x.suspended != nil:
		x.out.Scaling = "the scaling registration made outside modelpromote was put back on the new fleet"
		err = x.restore(ctx, x.suspended)
	}
	if err == nil && (rollout == nil || x.suspended != nil || x.journalKept) {
		err = x.clearJournal(ctx)
	}
	return errors.Join(rollout, err)
}
