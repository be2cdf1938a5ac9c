package endpoints

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
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
// to take down and put back. Its JSON form is what the endpoint's journal
// tags keep (journal below).
type registration struct {
	target   aastypes.ScalableTarget
	policies []aastypes.ScalingPolicy
}

// savedRegistration is a registration as the journal keeps it: what
// restore needs, nothing more.
type savedRegistration struct {
	Resource string               `json:"resource"`
	Min      int32                `json:"min"`
	Max      int32                `json:"max"`
	Policies []savedScalingPolicy `json:"policies,omitempty"`
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

// register registers the variant with the manifest's autoscaling. Both
// calls replace what is there, so a rerun converges.
func (d *Deployer) register(ctx context.Context, endpoint, variant string, a manifest.Autoscaling) error {
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

// The journal: a registration taken down for an instance-type change lives
// only in the deployment's memory until it is put back or replaced, and a
// crash there would lose it, with nothing left to restore after a failed
// rollout, and nothing at all of a registration made outside modelpromote.
// So before deregistering, the registration is written to the endpoint's
// tags (JournalTag:0, :1, …, base64 JSON in tag values of at most 256
// characters: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html),
// and the tags are deleted only once the scaling is settled. A later run
// (of this deployment or the next) finds them and settles it.

// JournalTag prefixes the endpoint tags that keep a registration taken
// down for an instance-type change until it is settled.
const JournalTag = "modelpromote:suspended-scaling"

// journalChunks bounds the journal: at most this many tags of 256
// characters. A larger registration is not taken down (fail closed).
const journalChunks = 8

func journalKey(i int) string { return JournalTag + ":" + strconv.Itoa(i) }

// writeJournal keeps reg on the endpoint's tags before it is deregistered.
func (x *deployment) writeJournal(ctx context.Context, reg *registration) error {
	data, err := json.Marshal(reg.saved())
	if err != nil {
		return fmt.Errorf("keep the scaling registration of %s: %w", x.r.Endpoint.Name, err)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var tags []types.Tag
	for i := 0; len(enc) > 0; i++ {
		n := min(len(enc), 256)
		tags = append(tags, types.Tag{Key: aws.String(journalKey(i)), Value: aws.String(enc[:n])})
		enc = enc[n:]
	}
	if len(tags) > journalChunks {
		return fmt.Errorf("the scaling registration of endpoint %s (%d bytes) is too large to keep safely while its instance type changes; "+
			"deregister it by hand, deploy, and register it again", x.r.Endpoint.Name, len(data))
	}
	if _, err := x.SM.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(x.arn), Tags: tags}); err != nil {
		return fmt.Errorf("keep the scaling registration of %s on its tags before deregistering it: %w", x.r.Endpoint.Name, err)
	}
	for _, t := range tags {
		if k := aws.ToString(t.Key); !slices.Contains(x.journal, k) {
			x.journal = append(x.journal, k)
		}
	}
	return nil
}

// readJournal reads a registration an earlier run kept on the endpoint's
// tags; nil when there is none. A journal that cannot be read stops the
// deployment: what it keeps is the only copy.
func (x *deployment) readJournal(ctx context.Context) (*registration, error) {
	if x.journalRead {
		return nil, nil
	}
	x.journalRead = true
	chunks := map[int]string{}
	var keys []string
	p := sagemaker.NewListTagsPaginator(x.SM, &sagemaker.ListTagsInput{ResourceArn: aws.String(x.arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of endpoint %s: %w", x.r.Endpoint.Name, err)
		}
		for _, t := range page.Tags {
			k := aws.ToString(t.Key)
			rest, ok := strings.CutPrefix(k, JournalTag+":")
			if !ok {
				continue
			}
			keys = append(keys, k)
			if i, err := strconv.Atoi(rest); err == nil && i >= 0 && i < journalChunks {
				chunks[i] = aws.ToString(t.Value)
			}
		}
	}
	x.journal = keys
	if len(keys) == 0 {
		return nil, nil
	}
	var enc strings.Builder
	for i := range len(chunks) {
		enc.WriteString(chunks[i])
	}
	var saved savedRegistration
	data, err := base64.StdEncoding.DecodeString(enc.String())
	if err == nil {
		err = json.Unmarshal(data, &saved)
	}
	if err == nil && (len(chunks) != len(keys) || saved.Resource != scalingResource(x.r.Endpoint.Name, x.r.Endpoint.Variant())) {
		err = fmt.Errorf("it is for %q in %d of %d tags", saved.Resource, len(chunks), len(keys))
	}
	if err != nil {
		return nil, fmt.Errorf("endpoint %s keeps a scaling registration taken down by an earlier deployment in its %s tags, but it cannot be read (%v): "+
			"put the scaling back by hand and delete those tags", x.r.Endpoint.Name, JournalTag, err)
	}
	return saved.registration(), nil
}

// clearJournal deletes the journal tags once the scaling is settled.
func (x *deployment) clearJournal(ctx context.Context) error {
	if len(x.journal) == 0 {
		return nil
	}
	if _, err := x.SM.DeleteTags(ctx, &sagemaker.DeleteTagsInput{ResourceArn: aws.String(x.arn), TagKeys: x.journal}); err != nil && !awserr.IsNotFound(err) {
		return fmt.Errorf("delete the %s tags of endpoint %s (the scaling is settled): %w", JournalTag, x.r.Endpoint.Name, err)
	}
	x.journal = nil
	return nil
}

// suspendForTypeChange takes down the variant's registration when the
// update changes its instance type from serving's (the variant of the
// config the endpoint serves), which SageMaker refuses on a registered
// variant. What it takes down is kept on the endpoint's tags first, and in
// x.suspended, to be put back if the rollout fails. A registration an
// earlier, crashed run took down is read back from the tags.
func (x *deployment) suspendForTypeChange(ctx context.Context, serving *types.ProductionVariant) error {
	if x.AAS == nil || x.suspended != nil || x.r.Endpoint.IsServerless() {
		return nil
	}
	reg, err := x.keptOrRegistered(ctx, serving != nil && string(serving.InstanceType) != x.r.Endpoint.InstanceType)
	if err != nil || reg == nil {
		return err
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
		err = x.register(ctx, x.r.Endpoint.Name, x.r.Endpoint.Variant(), *a)
	case x.suspended != nil:
		x.out.Scaling = "the scaling registration made outside modelpromote was put back on the new fleet"
		err = x.restore(ctx, x.suspended)
	}
	if err == nil && (rollout == nil || x.suspended != nil || len(x.journal) > 0) {
		err = x.clearJournal(ctx)
	}
	return errors.Join(rollout, err)
}
