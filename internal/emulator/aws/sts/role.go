package sts

import (
	"fmt"
	"regexp"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
)

// Role is an IAM role and its trust policy, reduced to the rules the bot
// depends on.
type Role struct {
	// Account is the 12-digit ID of the account that owns the role.
	Account string
	// Name is the role name; its ARN is arn:aws:iam::ACCOUNT:role/NAME.
	Name string
	// Trust lists who may sts:AssumeRole: account IDs or
	// arn:aws:iam::ACCT:root (any principal of that account), role ARNs
	// (any session of that role), user ARNs, or "*".
	Trust []string
	// ExternalID, when set, must be sent by every AssumeRole caller
	// (sts:ExternalId condition).
	ExternalID string
	// MaxSessionDuration caps DurationSeconds; default 1 hour, at most 12.
	MaxSessionDuration time.Duration
	// AllowSourceIdentity grants sts:SetSourceIdentity: needed to set a
	// source identity or to assume the role with one already set.
	AllowSourceIdentity bool
	// WebIdentity lists the OIDC identities that may
	// sts:AssumeRoleWithWebIdentity.
	WebIdentity []WebIdentityTrust
}

// WebIdentityTrust is one Federated statement of a trust policy.
type WebIdentityTrust struct {
	// Issuer is the provider URL, e.g.
	// https://token.actions.githubusercontent.com.
	Issuer string
	// Audience is the required aud claim; default sts.amazonaws.com.
	Audience string
	// Subjects are StringLike patterns for the sub claim ("*" matches any
	// run of characters, "?" one), e.g. repo:org/repo:ref:refs/heads/main
	// or repo:org/repo:pull_request. At least one must match.
	Subjects []string
}

// ARN is the role's ARN.
func (r Role) ARN() string { return fmt.Sprintf("arn:aws:iam::%s:role/%s", r.Account, r.Name) }

type role struct {
	Role
	id string // AROA…
}

var roleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// AddRole creates a role in an existing account.
func (s *Service) AddRole(r Role) error {
	if _, ok := s.store.Account(r.Account); !ok {
		return fmt.Errorf("add role %q: no account %q", r.Name, r.Account)
	}
	if !roleName.MatchString(r.Name) {
		return fmt.Errorf("add role %q: invalid name", r.Name)
	}
	switch {
	case r.MaxSessionDuration == 0:
		r.MaxSessionDuration = time.Hour
	case r.MaxSessionDuration < time.Hour || r.MaxSessionDuration > 12*time.Hour:
		return fmt.Errorf("add role %q: max session duration %s outside 1h–12h", r.Name, r.MaxSessionDuration)
	}
	for i, w := range r.WebIdentity {
		if w.Audience == "" {
			r.WebIdentity[i].Audience = "sts.amazonaws.com"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[r.ARN()] = &role{Role: r, id: identity.NewID("AROA", 17)}
	return nil
}

func (s *Service) role(arn string) (*role, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.roles[arn]
	return r, ok
}

// trusts reports whether the role's trust policy lets the principal
// (account, ARN) assume it.
func (r *role) trusts(account, arn string) bool {
	for _, t := range r.Trust {
		if identity.MatchPrincipal(t, account, arn) {
			return true
		}
	}
	return false
}

// stringLike matches s against an IAM StringLike pattern (* any run, ?
// one character).
func stringLike(pattern, s string) bool { return identity.Wildcard(pattern, s) }
