package sagemaker

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Sharing a model package group with other accounts (the "share"
// alternative to copying, and the central registry of AWS's multi-account
// framework): the owner puts a resource policy on the group
// (PutModelPackageGroupPolicy,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html),
// and another account then names the group or its versions by ARN:
// ListModelPackages and DescribeModelPackageGroup with the group's ARN,
// DescribeModelPackage and CreateModel with a version's ARN
// (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html,
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram-discover.html,
// whose example policy grants sagemaker:DescribeModelPackage,
// sagemaker:ListModelPackages and sagemaker:DescribeModelPackageGroup on
// the group's ARN and arn:…:model-package/<group>/*).
//
// Each cross-account request is decided by the group's policy alone for
// the action and the resource it names (IAM identity policies are not
// emulated): the group's ARN for the group operations, the version's ARN
// for DescribeModelPackage and CreateModel. Without an Allow, or with an
// explicit Deny, the caller gets AccessDeniedException, worded as IAM
// words it. A group that does not exist in the other account is refused
// the same way: a stranger learns nothing from the answer.

// maxResourcePolicy is ResourcePolicy's documented maximum length.
const maxResourcePolicy = 20480

// owner returns the state a name or ARN points into: another account's (or
// region's) when ref is an ARN naming it, else st.
func (s *Service) owner(st *state, ref string) *state {
	if !strings.HasPrefix(ref, "arn:") {
		return st
	}
	if parts := strings.Split(ref, ":"); len(parts) > 5 && (parts[4] != st.account || parts[3] != st.region) {
		return s.state(parts[4], parts[3])
	}
	return st
}

// accessDenied is IAM's refusal of a request no policy allows.
func accessDenied(c service.Caller, action, resource string, d identity.Decision) error {
	why := "no resource-based policy allows the sagemaker:" + action + " action"
	if d == identity.ExplicitDeny {
		why = "with an explicit deny in a resource-based policy"
	}
	return &apiError{status: http.StatusBadRequest, code: "AccessDeniedException", message: fmt.Sprintf(
		"User: %s is not authorized to perform: sagemaker:%s on resource: %s %s", c.ARN, action, resource, why)}
}

// shared decides a request by c for action on resource of owner's group g
// (nil when it does not exist): always allowed in the caller's own
// account, otherwise only by g's policy.
func shared(st, owner *state, c service.Caller, g *ModelPackageGroup, action, resource string) error {
	if owner.account == st.account {
		return nil
	}
	d := identity.ImplicitDeny
	if g != nil {
		d = g.policy.Evaluate(c.Account, c.ARN, "sagemaker:"+action, resource)
	}
	if d != identity.Allow {
		return accessDenied(c, action, resource, d)
	}
	return nil
}

// resolveGroup finds a model package group by name or ARN for a caller
// about to perform action on it: a group of another account only as its
// policy allows. It returns the group's state with it.
func (s *Service) resolveGroup(st *state, c service.Caller, ref, action string) (*state, *ModelPackageGroup, error) {
	owner := s.owner(st, ref)
	g, ok := owner.group(ref)
	if owner.account != st.account {
		if !ok {
			g = nil
		}
		if err := shared(st, owner, c, g, action, owner.arn("model-package-group", nameFromARN(ref, "model-package-group"))); err != nil {
			return nil, nil, err
		}
	}
	if !ok {
		return nil, nil, owner.groupNotFound(ref)
	}
	return owner, g, nil
}

// resolvePackage finds a model package by name or ARN for a caller about
// to perform action on it: a package of another account only as its
// group's policy allows.
func (s *Service) resolvePackage(st *state, c service.Caller, ref, action string) (*ModelPackage, error) {
	owner := s.owner(st, ref)
	p := owner.findPackage(ref)
	if owner.account != st.account {
		var g *ModelPackageGroup
		if p != nil {
			g, _ = owner.group(p.ModelPackageGroupName)
		}
		if err := shared(st, owner, c, g, action, strings.ToLower(ref)); err != nil {
			return nil, err
		}
	}
	if p == nil {
		return nil, validationError("Could not find model package with name %s.", ref)
	}
	return p, nil
}

func (s *Service) putModelPackageGroupPolicy(st *state, c service.Caller, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName, ResourcePolicy string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageGroupName, "modelPackageGroupName"); err != nil {
		return nil, err
	}
	if err := required(in.ResourcePolicy, "resourcePolicy"); err != nil {
		return nil, err
	}
	if len(in.ResourcePolicy) > maxResourcePolicy {
		return nil, constraintError("…", "resourcePolicy", fmt.Sprintf("Member must have length less than or equal to %d", maxResourcePolicy))
	}
	_, g, err := s.resolveGroup(st, c, in.ModelPackageGroupName, "PutModelPackageGroupPolicy")
	if err != nil {
		return nil, err
	}
	// AWS refuses a document that is not a policy; its wording is not
	// documented, so the message is the emulator's own.
	p, err := identity.ParsePolicy(in.ResourcePolicy)
	if err != nil {
		return nil, validationError("Invalid resource policy for %s: %v", g.ModelPackageGroupArn, err)
	}
	g.ResourcePolicy, g.policy = in.ResourcePolicy, p
	return map[string]string{"ModelPackageGroupArn": g.ModelPackageGroupArn}, nil
}

// getModelPackageGroupPolicy returns the policy as it was put
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_GetModelPackageGroupPolicy.html).
// For a group without one, AWS's answer is not documented: the emulator
// answers ValidationException and says so.
func (s *Service) getModelPackageGroupPolicy(st *state, c service.Caller, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageGroupName, "modelPackageGroupName"); err != nil {
		return nil, err
	}
	_, g, err := s.resolveGroup(st, c, in.ModelPackageGroupName, "GetModelPackageGroupPolicy")
	if err != nil {
		return nil, err
	}
	if g.ResourcePolicy == "" {
		return nil, validationError("Model package group %s has no resource policy.", g.ModelPackageGroupArn)
	}
	return map[string]string{"ResourcePolicy": g.ResourcePolicy}, nil
}

// deleteModelPackageGroupPolicy removes the policy; the group is no longer
// shared
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackageGroupPolicy.html,
// an empty 200). Deleting a policy that is not there succeeds.
func (s *Service) deleteModelPackageGroupPolicy(st *state, c service.Caller, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageGroupName, "modelPackageGroupName"); err != nil {
		return nil, err
	}
	_, g, err := s.resolveGroup(st, c, in.ModelPackageGroupName, "DeleteModelPackageGroupPolicy")
	if err != nil {
		return nil, err
	}
	g.ResourcePolicy, g.policy = "", nil
	return nil, nil
}
