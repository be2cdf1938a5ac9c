package endpoints

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// ErrGuardrail: the account's service control policies denied a create.
var ErrGuardrail = awserr.ErrGuardrail

// explainGuardrail turns an AccessDeniedException that a service control
// policy's explicit deny caused into words a model team can act on: which
// create was denied, what such guardrails require, and what this
// deployment sent. An SCP's deny does not say which condition failed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html),
// so the explanation lists what the request lacked of the usual ones.
func explainGuardrail(err error, r Request) error {
	msg, ok := awserr.SCPDeny(err)
	if !ok {
		return err
	}
	action := "a SageMaker create"
	if _, rest, ok := strings.Cut(msg, "perform: "); ok {
		action, _, _ = strings.Cut(rest, " ")
	}
	s := r.Settings
	var lacks []string
	switch {
	case strings.HasSuffix(action, "CreateModel"):
		if s.VPC == nil {
			lacks = append(lacks, "a VPC (set vpc: {subnets, securityGroups} on the environment)")
		}
		if !s.NetworkIsolation {
			lacks = append(lacks, "network isolation (set networkIsolation: true on the environment)")
		}
	case strings.HasSuffix(action, "CreateEndpointConfig"):
		if s.VolumeKMSKeyARN == "" {
			why := "the environment has no kmsKeyArn"
			if s.LocalStorage {
				why = fmt.Sprintf("%s has local NVMe storage, for which SageMaker refuses a volume key: choose an instance type without it", r.Endpoint.InstanceType)
			}
			lacks = append(lacks, "a volume KMS key ("+why+")")
		}
	}
	tagNote := "no tags of its own"
	if len(s.Tags) > 0 {
		tagNote = "the tags " + strings.Join(slices.Sorted(maps.Keys(s.Tags)), ", ")
	}
	lacks = append(lacks, "perhaps a required tag: the request carried "+tagNote+" besides modelpromote's provenance tags (set tags on the environment or the endpoint)")
	return fmt.Errorf("%w: %s on endpoint %s was denied by a service control policy; the account's guardrails require what the request lacked: %s (AWS said: %s)",
		ErrGuardrail, action, r.Endpoint.Name, strings.Join(lacks, "; "), msg)
}
