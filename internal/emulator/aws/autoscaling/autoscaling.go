// Package autoscaling emulates the part of Application Auto Scaling that
// SageMaker endpoints use: scalable targets on a production variant's
// desired instance count, and target-tracking scaling policies on them.
//
// The protocol is JSON 1.1: POST / with X-Amz-Target:
// AnyScaleFrontendService.<Operation>, signing name
// "application-autoscaling"
// (https://docs.aws.amazon.com/autoscaling/application/APIReference/Welcome.html).
// For SageMaker the namespace is "sagemaker", the resource ID
// "endpoint/<endpoint>/variant/<variant>" and the dimension
// "sagemaker:variant:DesiredInstanceCount"
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-register.html).
// The SageMaker emulator asks it whether a variant is registered: SageMaker
// refuses an UpdateEndpoint that changes the instance type of a registered
// variant.
package autoscaling

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// The SageMaker variant dimension and namespace.
const (
	Namespace        = "sagemaker"
	VariantDimension = "sagemaker:variant:DesiredInstanceCount"
)

// Variants is what the emulator needs from SageMaker: whether an endpoint's
// variant exists (a target cannot be registered for one that does not).
// The SageMaker emulator implements it; nil accepts every variant.
type Variants interface {
	VariantExists(account, region, endpoint, variant string) bool
}

// Capacities is implemented by Variants that can also change a variant's
// desired instance count, as SageMaker's UpdateEndpointWeightsAndCapacities
// does: [Service.Scale] needs it.
type Capacities interface {
	SetDesiredInstanceCount(account, region, endpoint, variant string, n int32) error
}

// Options configures a [Service]. The zero value is usable.
type Options struct {
	Variants Variants
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Service is the emulated Application Auto Scaling.
type Service struct {
	opts Options

	mu       sync.Mutex
	targets  map[key]*Target
	policies map[key]map[string]*Policy
}

var _ service.Service = (*Service)(nil)

// key is one scalable target: account, region and the target's identity.
type key struct{ account, region, namespace, resource, dimension string }

// New returns an Application Auto Scaling with nothing registered.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{opts: opts, targets: map[key]*Target{}, policies: map[key]map[string]*Policy{}}
}

// Target is a scalable target, as DescribeScalableTargets returns it.
type Target struct {
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
	MinCapacity       int32
	MaxCapacity       int32
	RoleARN           string
	CreationTime      float64
	ScalableTargetARN string
	SuspendedState    *SuspendedState `json:",omitempty"`
}

// SuspendedState says which scaling activities are suspended.
type SuspendedState struct {
	DynamicScalingInSuspended  *bool `json:",omitempty"`
	DynamicScalingOutSuspended *bool `json:",omitempty"`
	ScheduledScalingSuspended  *bool `json:",omitempty"`
}

// Policy is a scaling policy, as DescribeScalingPolicies returns it.
type Policy struct {
	PolicyARN                                string
	PolicyName                               string
	ServiceNamespace                         string
	ResourceId                               string
	ScalableDimension                        string
	PolicyType                               string
	TargetTrackingScalingPolicyConfiguration json.RawMessage `json:",omitempty"`
	StepScalingPolicyConfiguration           json.RawMessage `json:",omitempty"`
	Alarms                                   []Alarm
	CreationTime                             float64
}

// Alarm is a CloudWatch alarm a target-tracking policy created.
type Alarm struct {
	AlarmName string
	AlarmARN  string
}

// Name is the SigV4 signing name.
func (s *Service) Name() string { return "application-autoscaling" }

// protocol is the service's JSON 1.1 wire format.
var protocol = service.JSON11{TargetPrefix: "AnyScaleFrontendService.", MessageMember: "Message", InternalCode: "InternalServiceException"}

// Operation returns the operation named by X-Amz-Target.
func (s *Service) Operation(r *http.Request) string { return protocol.Operation(r) }

func validation(format string, args ...any) error {
	return &service.APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// notFound is ObjectNotFoundException, the service's answer for a target
// or policy that does not exist.
func notFound(format string, args ...any) error {
	return &service.APIError{Status: http.StatusBadRequest, Code: "ObjectNotFoundException", Message: fmt.Sprintf(format, args...)}
}

var handlers = service.Operations[*Service]{
	"RegisterScalableTarget":   (*Service).register,
	"DeregisterScalableTarget": (*Service).deregister,
	"DescribeScalableTargets":  (*Service).describeTargets,
	"PutScalingPolicy":         (*Service).putPolicy,
	"DeleteScalingPolicy":      (*Service).deletePolicy,
	"DescribeScalingPolicies":  (*Service).describePolicies,
}

// ServeAWS handles an authenticated request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	service.ServeOperations(protocol, w, r, &s.mu, s, c, handlers)
}

// WriteError writes a JSON 1.1 error: the code in __type, the text in
// Message.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	protocol.WriteError(w, status, code, message)
}

var decode = service.Decode

var requestID = service.RequestID

// targetHash is a target's ARN suffix: stable for the target, as the
// service's 32-hex-digit identifiers are unique.
func targetHash(k key) string {
	sum := sha256.Sum256([]byte(k.account + "/" + k.region + "/" + k.namespace + "/" + k.resource + "/" + k.dimension))
	return hex.EncodeToString(sum[:16])
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// variantResource is a SageMaker variant's resource ID.
var variantResource = regexp.MustCompile(`^endpoint/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})/variant/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})$`)

// targetID is the three members that name a scalable target.
type targetID struct {
	ServiceNamespace  string
	ResourceId        string
	ScalableDimension string
}

// check validates a target's identity as the service does for SageMaker.
func (t targetID) check() error {
	switch {
	case t.ServiceNamespace == "":
		return validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	case t.ResourceId == "":
		return validation("1 validation error detected: Value null at 'resourceId' failed to satisfy constraint: Member must not be null")
	case t.ScalableDimension == "":
		return validation("1 validation error detected: Value null at 'scalableDimension' failed to satisfy constraint: Member must not be null")
	case t.ServiceNamespace != Namespace:
		return validation("Unsupported service namespace %s (the emulator serves sagemaker only)", t.ServiceNamespace)
	case t.ScalableDimension != VariantDimension:
		return validation("Unsupported scalable dimension %s for service namespace sagemaker", t.ScalableDimension)
	case !variantResource.MatchString(t.ResourceId):
		return validation("Unsupported resource ID %s: SageMaker variants are endpoint/<endpoint-name>/variant/<variant-name>", t.ResourceId)
	}
	return nil
}

// requireNamespace is the Describe calls' one required member.
func requireNamespace(ns string) error {
	if ns == "" {
		return validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	return nil
}

func (t targetID) key(c service.Caller) key {
	return key{c.Account, c.Region, t.ServiceNamespace, strings.ToLower(t.ResourceId), t.ScalableDimension}
}

func (t targetID) missing() error {
	return notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s",
		t.ServiceNamespace, t.ResourceId, t.ScalableDimension)
}

// register answers RegisterScalableTarget: it creates the target, or
// updates the capacity of one already registered (the call is an upsert).
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
func (s *Service) register(c service.Caller, body []byte) (any, error) {
	var in struct {
		targetID
		MinCapacity    *int32
		MaxCapacity    *int32
		RoleARN        string
		SuspendedState *SuspendedState
		Tags           map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k := in.key(c)
	if _, exists := s.targets[k]; !exists && s.opts.Variants != nil {
		// SageMaker asks this service under its own lock (UpdateEndpoint's
		// instance-type rule): never hold both locks at once.
		m := variantResource.FindStringSubmatch(in.ResourceId)
		s.mu.Unlock()
		ok := s.opts.Variants.VariantExists(c.Account, c.Region, m[1], m[2])
		s.mu.Lock()
		if !ok {
			return nil, validation("The endpoint variant %s does not exist", in.ResourceId)
		}
	}
	t, exists := s.targets[k]
	if !exists {
		if in.MinCapacity == nil || in.MaxCapacity == nil {
			return nil, validation("MinCapacity and MaxCapacity are required to register a new scalable target")
		}
		t = &Target{ServiceNamespace: in.ServiceNamespace, ResourceId: in.ResourceId, ScalableDimension: in.ScalableDimension,
			CreationTime:      epoch(s.opts.Now()),
			RoleARN:           fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", c.Account),
			ScalableTargetARN: fmt.Sprintf("arn:aws:application-autoscaling:%s:%s:scalable-target/%s", c.Region, c.Account, targetHash(k))}
	}
	minC, maxC := t.MinCapacity, t.MaxCapacity
	if in.MinCapacity != nil {
		minC = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		maxC = *in.MaxCapacity
	}
	if minC < 0 || maxC < minC {
		return nil, validation("Minimum capacity cannot be greater than maximum capacity")
	}
	if in.RoleARN != "" {
		t.RoleARN = in.RoleARN
	}
	if in.SuspendedState != nil {
		t.SuspendedState = in.SuspendedState
	}
	t.MinCapacity, t.MaxCapacity = minC, maxC
	s.targets[k] = t
	return map[string]string{"ScalableTargetARN": t.ScalableTargetARN}, nil
}

// deregister answers DeregisterScalableTarget; the target's policies go
// with it.
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html
func (s *Service) deregister(c service.Caller, body []byte) (any, error) {
	var in targetID
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k := in.key(c)
	if _, ok := s.targets[k]; !ok {
		return nil, in.missing()
	}
	delete(s.targets, k)
	delete(s.policies, k)
	return struct{}{}, nil
}

// page slices a sorted list for a Describe call.
func page[T any](items []T, token string, max int32) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "emu-"))
		if err != nil || n < 0 || n > len(items) {
			return nil, "", validation("Invalid NextToken %s", token)
		}
		start = n
	}
	if max <= 0 || max > 50 {
		max = 50
	}
	end := min(start+int(max), len(items))
	next := ""
	if end < len(items) {
		next = "emu-" + strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// describeTargets answers DescribeScalableTargets.
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
func (s *Service) describeTargets(c service.Caller, body []byte) (any, error) {
	var in struct {
		ServiceNamespace  string
		ResourceIds       []string
		ScalableDimension string
		MaxResults        int32
		NextToken         string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	var out []Target
	for k, t := range s.targets {
		if k.account != c.Account || k.region != c.Region || k.namespace != in.ServiceNamespace ||
			in.ScalableDimension != "" && k.dimension != in.ScalableDimension ||
			len(in.ResourceIds) > 0 && !slices.ContainsFunc(in.ResourceIds, func(id string) bool { return strings.EqualFold(id, t.ResourceId) }) {
			continue
		}
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ResourceId < out[j].ResourceId })
	items, next, err := page(out, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []Target{}
	}
	return struct {
		ScalableTargets []Target
		NextToken       string `json:",omitempty"`
	}{items, next}, nil
}

// targetTracking is the part of a target-tracking configuration the
// emulator checks.
type targetTracking struct {
	TargetValue                   *float64
	PredefinedMetricSpecification *struct {
		PredefinedMetricType string
		ResourceLabel        string
	}
	CustomizedMetricSpecification json.RawMessage
	ScaleInCooldown               *int32
	ScaleOutCooldown              *int32
	DisableScaleIn                *bool
}

// putPolicy answers PutScalingPolicy: it creates or replaces a policy on a
// registered target. A target-tracking policy creates its CloudWatch alarms
// (named TargetTracking-<resource>-AlarmHigh/Low-<id>, as the service names
// them).
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html
func (s *Service) putPolicy(c service.Caller, body []byte) (any, error) {
	var in struct {
		targetID
		PolicyName                               string
		PolicyType                               string
		TargetTrackingScalingPolicyConfiguration json.RawMessage
		StepScalingPolicyConfiguration           json.RawMessage
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PolicyName == "" {
		return nil, validation("1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k := in.key(c)
	if _, ok := s.targets[k]; !ok {
		return nil, in.missing()
	}
	if in.PolicyType == "" {
		in.PolicyType = "StepScaling"
	}
	switch in.PolicyType {
	case "TargetTrackingScaling":
		var tt targetTracking
		if len(in.TargetTrackingScalingPolicyConfiguration) == 0 || json.Unmarshal(in.TargetTrackingScalingPolicyConfiguration, &tt) != nil || tt.TargetValue == nil {
			return nil, validation("TargetTrackingScalingPolicyConfiguration with a TargetValue is required for policy type TargetTrackingScaling")
		}
		if math.IsNaN(*tt.TargetValue) || *tt.TargetValue <= 0 {
			return nil, validation("TargetValue must be greater than 0")
		}
		if tt.PredefinedMetricSpecification == nil && len(tt.CustomizedMetricSpecification) == 0 {
			return nil, validation("Either PredefinedMetricSpecification or CustomizedMetricSpecification is required")
		}
		if p := tt.PredefinedMetricSpecification; p != nil && !strings.HasPrefix(p.PredefinedMetricType, "SageMakerVariant") && !strings.HasPrefix(p.PredefinedMetricType, "SageMakerInferenceComponent") {
			return nil, validation("Predefined metric type %s is not valid for service namespace sagemaker", p.PredefinedMetricType)
		}
	case "StepScaling":
		if len(in.StepScalingPolicyConfiguration) == 0 {
			return nil, validation("StepScalingPolicyConfiguration is required for policy type StepScaling")
		}
	default:
		return nil, validation("Unsupported policy type %s", in.PolicyType)
	}
	if s.policies[k] == nil {
		s.policies[k] = map[string]*Policy{}
	}
	p := s.policies[k][in.PolicyName]
	if p == nil {
		id := requestID()
		p = &Policy{PolicyName: in.PolicyName, ServiceNamespace: in.ServiceNamespace, ResourceId: in.ResourceId, ScalableDimension: in.ScalableDimension,
			PolicyARN:    fmt.Sprintf("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/%s:policyName/%s", c.Region, c.Account, id, in.ServiceNamespace, in.ResourceId, in.PolicyName),
			CreationTime: epoch(s.opts.Now())}
		if in.PolicyType == "TargetTrackingScaling" {
			for _, side := range []string{"AlarmHigh", "AlarmLow"} {
				name := fmt.Sprintf("TargetTracking-%s-%s-%s", in.ResourceId, side, id)
				p.Alarms = append(p.Alarms, Alarm{AlarmName: name, AlarmARN: fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", c.Region, c.Account, name)})
			}
		}
		s.policies[k][in.PolicyName] = p
	}
	p.PolicyType = in.PolicyType
	p.TargetTrackingScalingPolicyConfiguration = in.TargetTrackingScalingPolicyConfiguration
	p.StepScalingPolicyConfiguration = in.StepScalingPolicyConfiguration
	return struct {
		PolicyARN string
		Alarms    []Alarm
	}{p.PolicyARN, append([]Alarm{}, p.Alarms...)}, nil
}

// deletePolicy answers DeleteScalingPolicy.
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html
func (s *Service) deletePolicy(c service.Caller, body []byte) (any, error) {
	var in struct {
		targetID
		PolicyName string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	k := in.key(c)
	if _, ok := s.policies[k][in.PolicyName]; !ok {
		return nil, notFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s",
			in.ServiceNamespace, in.ResourceId, in.ScalableDimension, in.PolicyName)
	}
	delete(s.policies[k], in.PolicyName)
	return struct{}{}, nil
}

// describePolicies answers DescribeScalingPolicies.
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
func (s *Service) describePolicies(c service.Caller, body []byte) (any, error) {
	var in struct {
		ServiceNamespace  string
		ResourceId        string
		ScalableDimension string
		PolicyNames       []string
		MaxResults        int32
		NextToken         string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := requireNamespace(in.ServiceNamespace); err != nil {
		return nil, err
	}
	var out []Policy
	for k, ps := range s.policies {
		if k.account != c.Account || k.region != c.Region || k.namespace != in.ServiceNamespace ||
			in.ResourceId != "" && k.resource != strings.ToLower(in.ResourceId) ||
			in.ScalableDimension != "" && k.dimension != in.ScalableDimension {
			continue
		}
		for _, p := range ps {
			if len(in.PolicyNames) == 0 || slices.Contains(in.PolicyNames, p.PolicyName) {
				out = append(out, *p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].ResourceId+"/"+out[i].PolicyName < out[j].ResourceId+"/"+out[j].PolicyName
	})
	items, next, err := page(out, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []Policy{}
	}
	return struct {
		ScalingPolicies []Policy
		NextToken       string `json:",omitempty"`
	}{items, next}, nil
}

// Registered reports whether a SageMaker variant is registered as a
// scalable target in account and region, and its capacity bounds.
func (s *Service) Registered(account, region, endpoint, variant string) (minCap, maxCap int32, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.targets[key{account, region, Namespace, strings.ToLower("endpoint/" + endpoint + "/variant/" + variant), VariantDimension}]
	if !ok {
		return 0, 0, false
	}
	return t.MinCapacity, t.MaxCapacity, true
}

// Policies returns the scaling policies of a SageMaker variant, for tests
// and the demo.
func (s *Service) Policies(account, region, endpoint, variant string) []Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Policy
	for _, p := range s.policies[key{account, region, Namespace, strings.ToLower("endpoint/" + endpoint + "/variant/" + variant), VariantDimension}] {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PolicyName < out[j].PolicyName })
	return out
}

// Scale is one scaling activity on a registered SageMaker variant, as a
// scaling policy starts when its alarm fires: the wanted count is kept
// within the target's MinCapacity and MaxCapacity, and SageMaker is asked
// for it with UpdateEndpointWeightsAndCapacities, the call Application Auto
// Scaling makes for SageMaker variants
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html,
// https://docs.aws.amazon.com/autoscaling/application/userguide/what-is-application-auto-scaling.html).
// Tests use it to scale a variant out or in. It fails, changing nothing,
// when the variant is not registered, when dynamic scaling is suspended,
// and when SageMaker refuses (an endpoint being updated cannot scale:
// https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
// It returns the count asked of SageMaker.
func (s *Service) Scale(account, region, endpoint, variant string, want int32) (int32, error) {
	s.mu.Lock()
	t, ok := s.targets[key{account, region, Namespace, strings.ToLower("endpoint/" + endpoint + "/variant/" + variant), VariantDimension}]
	var lo, hi int32
	var suspended *SuspendedState
	if ok {
		lo, hi, suspended = t.MinCapacity, t.MaxCapacity, t.SuspendedState
	}
	s.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("variant %s of endpoint %s is not registered as a scalable target", variant, endpoint)
	}
	n := min(max(want, lo), hi)
	if suspended != nil && (suspended.DynamicScalingOutSuspended != nil && *suspended.DynamicScalingOutSuspended ||
		suspended.DynamicScalingInSuspended != nil && *suspended.DynamicScalingInSuspended) {
		// The emulator does not know which way a policy would go; with
		// either direction suspended it does not scale.
		return 0, fmt.Errorf("dynamic scaling of variant %s of endpoint %s is suspended", variant, endpoint)
	}
	c, ok := s.opts.Variants.(Capacities)
	if !ok {
		return 0, fmt.Errorf("the emulator has no SageMaker to scale variant %s of endpoint %s in", variant, endpoint)
	}
	// Never under s.mu: SageMaker asks this service under its own lock.
	if err := c.SetDesiredInstanceCount(account, region, endpoint, variant, n); err != nil {
		return 0, err
	}
	return n, nil
}
