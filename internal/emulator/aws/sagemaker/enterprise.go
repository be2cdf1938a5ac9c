package sagemaker

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// What SageMaker refuses, and what locked-down accounts refuse, for the
// enterprise settings of models and endpoint configs: guardrails standing in
// for service control policies, volume keys on local-storage instances,
// instance-type changes of autoscaled variants, and traffic shifting on
// serverless endpoints.

// Guardrail is what an account's service control policies demand of
// SageMaker creates, as platform teams write them
// (https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html,
// condition keys sagemaker:VpcSubnets, sagemaker:VpcSecurityGroupIds,
// sagemaker:NetworkIsolation, sagemaker:VolumeKmsKey and aws:TagKeys).
type Guardrail struct {
	// RequireVPC denies CreateModel without VpcConfig subnets and
	// security groups.
	RequireVPC bool
	// RequireNetworkIsolation denies CreateModel without
	// EnableNetworkIsolation.
	RequireNetworkIsolation bool
	// RequireVolumeKey denies CreateEndpointConfig without KmsKeyId.
	RequireVolumeKey bool
	// RequiredTags denies CreateModel, CreateEndpointConfig,
	// CreateEndpoint, CreateModelPackageGroup and CreateModelPackage whose
	// request lacks any of these tag keys. A versioned model package takes
	// no tags of its own: it "uses the tags associated with the model
	// group" (CreateModelPackage, request parameter Tags), so its create is
	// judged by its group's tags.
	RequiredTags []string
}

// SetGuardrail turns an account's guardrail on (or off, with the zero
// value), as attaching a service control policy to it would.
func (s *Service) SetGuardrail(account string, g Guardrail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.guardrails == nil {
		s.guardrails = map[string]Guardrail{}
	}
	s.guardrails[account] = g
}

// explicitDeny is the error an SCP's explicit deny gives: AccessDeniedException
// with IAM's wording
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
func explicitDeny(c service.Caller, action, resource string) error {
	return &apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
		message: fmt.Sprintf("User: %s is not authorized to perform: sagemaker:%s on resource: %s with an explicit deny in a service control policy", c.ARN, action, resource)}
}

// guardModel applies the account's guardrail to CreateModel.
func (s *Service) guardModel(st *state, c service.Caller, m Model, tags []Tag) error {
	g := s.guardrails[st.account]
	arn := st.arn("model", m.ModelName)
	var vpc struct {
		Subnets          []string
		SecurityGroupIds []string
	}
	if len(m.VpcConfig) > 0 {
		_ = decode(m.VpcConfig, &vpc)
	}
	switch {
	case g.RequireVPC && (len(vpc.Subnets) == 0 || len(vpc.SecurityGroupIds) == 0):
		return explicitDeny(c, "CreateModel", arn)
	case g.RequireNetworkIsolation && (m.EnableNetworkIsolation == nil || !*m.EnableNetworkIsolation):
		return explicitDeny(c, "CreateModel", arn)
	}
	return s.guardTags(c, g, "CreateModel", arn, tags)
}

// checkServerless refuses the endpoint configs Serverless Inference does
// not support. Its feature exclusions list, among others, VPC
// configuration, network isolation, data capture and multiple production
// variants
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions).
// VPC and isolation are the model's (CreateModel), so the refusal comes
// when a serverless variant names such a model. AWS documents neither the
// call that refuses nor the wording; these are ValidationExceptions like
// CreateEndpointConfig's other checks. KmsKeyId is accepted: a serverless
// endpoint config takes one, to encrypt SageMaker's copy of the image
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-create-config.html).
func checkServerless(st *state, ec EndpointConfig) error {
	for _, v := range ec.ProductionVariants {
		if v.ServerlessConfig == nil {
			continue
		}
		if len(ec.ProductionVariants) > 1 {
			return validationError("Serverless Inference does not support multiple production variants: variant %q is serverless and the endpoint config has %d.", v.VariantName, len(ec.ProductionVariants))
		}
		if len(ec.DataCaptureConfig) > 0 {
			return validationError("Serverless Inference does not support data capture: remove DataCaptureConfig for serverless variant %q.", v.VariantName)
		}
		m, err := st.model(v.ModelName)
		if err != nil {
			return err
		}
		var vpc struct{ Subnets, SecurityGroupIds []string }
		if len(m.VpcConfig) > 0 {
			_ = decode(m.VpcConfig, &vpc)
		}
		if len(vpc.Subnets) > 0 || len(vpc.SecurityGroupIds) > 0 {
			return validationError("Serverless Inference does not support VPC configuration: model %q of serverless variant %q has a VpcConfig.", m.ModelName, v.VariantName)
		}
		if m.EnableNetworkIsolation != nil && *m.EnableNetworkIsolation {
			return validationError("Serverless Inference does not support network isolation: model %q of serverless variant %q has EnableNetworkIsolation.", m.ModelName, v.VariantName)
		}
	}
	return nil
}

// guardEndpointConfig applies the guardrail and SageMaker's own rule on
// volume keys to CreateEndpointConfig.
func (s *Service) guardEndpointConfig(st *state, c service.Caller, ec EndpointConfig, tags []Tag) error {
	if ec.KmsKeyId != "" {
		for _, v := range ec.ProductionVariants {
			if LocalStorage(v.InstanceType) {
				// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html#sagemaker-CreateEndpointConfig-request-KmsKeyId
				return validationError("KmsKeyId cannot be specified for instance type %s, which has local instance storage (NVMe SSD): its volumes are encrypted with a hardware module.", v.InstanceType)
			}
		}
	}
	g := s.guardrails[st.account]
	arn := st.arn("endpoint-config", ec.EndpointConfigName)
	if g.RequireVolumeKey && ec.KmsKeyId == "" {
		return explicitDeny(c, "CreateEndpointConfig", arn)
	}
	return s.guardTags(c, g, "CreateEndpointConfig", arn, tags)
}

// guardEndpoint applies the guardrail's tag rule to CreateEndpoint.
func (s *Service) guardEndpoint(st *state, c service.Caller, name string, tags []Tag) error {
	return s.guardTags(c, s.guardrails[st.account], "CreateEndpoint", st.arn("endpoint", name), tags)
}

// guardGroup applies the guardrail's tag rule to CreateModelPackageGroup.
func (s *Service) guardGroup(st *state, c service.Caller, name string, tags []Tag) error {
	return s.guardTags(c, s.guardrails[st.account], "CreateModelPackageGroup", st.arn("model-package-group", name), tags)
}

// guardPackage applies the guardrail's tag rule to CreateModelPackage: an
// unversioned package by the request's tags, a versioned one by the tags
// of the group it joins, which are the tags it gets
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html#sagemaker-CreateModelPackage-request-Tags).
// A group that does not exist is left to CreateModelPackage's own error.
func (s *Service) guardPackage(st *state, c service.Caller, in createModelPackageInput) error {
	g := s.guardrails[st.account]
	if len(g.RequiredTags) == 0 {
		return nil
	}
	if name := in.ModelPackageGroupName; name != "" {
		grp, ok := st.group(name)
		if !ok {
			return nil
		}
		return s.guardTags(c, g, "CreateModelPackage", st.arn("model-package", grp.ModelPackageGroupName), st.tags[grp.ModelPackageGroupArn])
	}
	return s.guardTags(c, g, "CreateModelPackage", st.arn("model-package", in.ModelPackageName), in.Tags)
}

func (s *Service) guardTags(c service.Caller, g Guardrail, action, arn string, tags []Tag) error {
	for _, k := range g.RequiredTags {
		if !slices.ContainsFunc(tags, func(t Tag) bool { return t.Key == k }) {
			return explicitDeny(c, action, arn)
		}
	}
	return nil
}

// localStorageFamilies are the instance families with local NVMe storage,
// whose endpoint configs SageMaker refuses a volume KMS key for: the "d"
// variants and the accelerated families that ship instance storage
// (https://docs.aws.amazon.com/sagemaker/latest/dg/host-instance-storage.html).
var localStorageFamilies = []string{"c5d", "c6id", "m5d", "m6id", "r5d", "r6id", "g4dn", "g5", "g6", "p3dn", "p4d", "p4de", "p5", "inf2", "trn1"}

// LocalStorage reports whether a SageMaker instance type (ml.FAMILY.SIZE)
// has local NVMe instance storage.
func LocalStorage(instanceType string) bool {
	parts := strings.Split(instanceType, ".")
	return len(parts) == 3 && slices.Contains(localStorageFamilies, parts[1])
}

// ScalableTargets says whether a production variant is registered with
// Application Auto Scaling. The autoscaling emulator implements it.
type ScalableTargets interface {
	Registered(account, region, endpoint, variant string) (minCapacity, maxCapacity int32, ok bool)
}

// SetScaling connects Application Auto Scaling, which knows which variants
// are registered (the two services refer to each other, so this is not an
// Option).
func (s *Service) SetScaling(t ScalableTargets) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scaling = t
}

// checkUpdate refuses what UpdateEndpoint refuses for the enterprise
// settings: a new instance type on a variant registered for autoscaling
// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html:
// deregister it first), and canary or linear traffic shifting onto a
// serverless variant
// (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions).
func (s *Service) checkUpdate(st *state, e *Endpoint, next *EndpointConfig, dc *DeploymentConfig) error {
	if dc != nil && dc.BlueGreenUpdatePolicy != nil {
		if tr := dc.BlueGreenUpdatePolicy.TrafficRoutingConfiguration; tr != nil && (tr.Type == "CANARY" || tr.Type == "LINEAR") {
			t := tr.Type
			for _, v := range next.ProductionVariants {
				if v.ServerlessConfig != nil {
					return validationError("Endpoint %s: serverless variant %s does not support %s traffic shifting; use ALL_AT_ONCE.", e.EndpointName, v.VariantName, t)
				}
			}
		}
	}
	if s.scaling == nil {
		return nil
	}
	cur, err := st.endpointConfig(e.EndpointConfigName)
	if err != nil {
		return nil // nothing live to compare with
	}
	for _, nv := range next.ProductionVariants {
		for _, cv := range cur.ProductionVariants {
			if !strings.EqualFold(nv.VariantName, cv.VariantName) || nv.InstanceType == cv.InstanceType {
				continue
			}
			if _, _, ok := s.scaling.Registered(st.account, st.region, e.EndpointName, cv.VariantName); ok {
				return validationError("The variant %s of endpoint %s is registered with Application Auto Scaling, and its instance type cannot change from %s to %s: deregister the scalable target, update the endpoint, then register it again.",
					cv.VariantName, e.EndpointName, cv.InstanceType, nv.InstanceType)
			}
		}
	}
	return nil
}

// VariantExists reports whether an endpoint in account and region serves
// a variant of that name: Application Auto Scaling registers only variants
// that exist. It implements the autoscaling emulator's Variants.
func (s *Service) VariantExists(account, region, endpoint, variant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	e, err := st.endpoint(endpoint)
	if err != nil {
		return false
	}
	ec, err := st.endpointConfig(e.EndpointConfigName)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(ec.ProductionVariants, func(v ProductionVariant) bool { return strings.EqualFold(v.VariantName, variant) })
}
