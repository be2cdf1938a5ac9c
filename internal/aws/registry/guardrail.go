package registry

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// ErrGuardrail: the account's service control policies denied creating a
// model package group or package.
var ErrGuardrail = awserr.ErrGuardrail

func tagNames(tags map[string]string) string {
	if len(tags) == 0 {
		return "no tags"
	}
	return "the tags " + strings.Join(slices.Sorted(maps.Keys(tags)), ", ")
}

// explainGroupDeny says, in words a platform team can act on, why creating
// a group was denied. An SCP's deny does not name the condition that
// failed; for a group, the usual one is a required tag.
func explainGroupDeny(err error, group string, tags map[string]string) error {
	msg, ok := awserr.SCPDeny(err)
	if !ok {
		return err
	}
	return fmt.Errorf("%w: creating model package group %s was denied by a service control policy; the account's guardrails perhaps require a tag the request lacked: it carried %s (set tags on the environment or the endpoint) (AWS said: %s)",
		ErrGuardrail, group, tagNames(tags), msg)
}

// explainPackageDeny says why registering a version was denied: a
// versioned package takes its group's tags, so a policy requiring a tag
// judges the group's.
func explainPackageDeny(err error, group string, tags map[string]string) error {
	msg, ok := awserr.SCPDeny(err)
	if !ok {
		return err
	}
	return fmt.Errorf("%w: registering a version in model package group %s was denied by a service control policy; a version takes its group's tags, and the account's guardrails perhaps require one the group lacks: apply made sure it has %s (set the missing tag on the environment or the endpoint, and apply adds it to the group) (AWS said: %s)",
		ErrGuardrail, group, tagNames(tags), msg)
}
