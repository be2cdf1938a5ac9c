package s3

import "github.com/modelpromote/modelpromote/internal/emulator/aws/identity"

// policy is a bucket policy: Effect, Principal, Action and Resource, no
// Conditions (see identity.Policy).
type policy = identity.Policy

func parsePolicy(doc string) (*policy, error) { return identity.ParsePolicy(doc) }

// allowed decides whether the caller may perform action on resource in
// bucket b: the owning account may do anything (IAM identity policies are
// not emulated); other accounts need the bucket policy's Allow, and an
// explicit Deny beats everything.
func (b *bucket) allowed(account, arn, action, resource string) bool {
	d := b.policy.Evaluate(account, arn, action, resource)
	if d == identity.ExplicitDeny {
		return false
	}
	return account == b.Owner || d == identity.Allow
}
