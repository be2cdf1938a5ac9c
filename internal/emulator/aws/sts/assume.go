package sts

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// chainedLimit is the longest session AWS grants a role assumed with role
// credentials.
const chainedLimit = time.Hour

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

func (s *Service) getCallerIdentity(c service.Caller) any {
	k, _ := s.store.Lookup(c.AccessKeyID)
	return getCallerIdentityResponse{
		Xmlns:    xmlns,
		Result:   callerIdentity{Arn: c.ARN, UserID: k.UserID, Account: c.Account},
		Metadata: responseMetadata{RequestID: requestID()},
	}
}

func (s *Service) assumeRole(p url.Values, c service.Caller) (any, *apiError) {
	roleARN := p.Get("RoleArn")
	session := p.Get("RoleSessionName")
	if roleARN == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if err := validateName("roleSessionName", session, true); err != nil {
		return nil, err
	}
	duration, err := durationParam(p)
	if err != nil {
		return nil, err
	}
	sourceIdentity := p.Get("SourceIdentity")
	if sourceIdentity != "" {
		if err := validateName("sourceIdentity", sourceIdentity, false); err != nil {
			return nil, err
		}
	}
	if ext := p.Get("ExternalId"); ext != "" && (len(ext) < 2 || len(ext) > 1224 || !externalIDPattern.MatchString(ext)) {
		return nil, validationError("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", ext)
	}

	denied := accessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.ARN, roleARN)
	r, ok := s.role(roleARN)
	if !ok || !r.trusts(c.Account, c.ARN) || p.Get("ExternalId") != r.ExternalID {
		return nil, denied
	}
	// A source identity, once set, is carried and cannot be changed.
	if c.SourceIdentity != "" {
		if sourceIdentity != "" && sourceIdentity != c.SourceIdentity {
			return nil, denied
		}
		sourceIdentity = c.SourceIdentity
	}
	if sourceIdentity != "" && !r.AllowSourceIdentity {
		return nil, accessDenied("User: %s is not authorized to perform: sts:SetSourceIdentity on resource: %s", c.ARN, roleARN)
	}
	chained := strings.Contains(c.ARN, ":assumed-role/")
	if chained && duration > chainedLimit {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > r.MaxSessionDuration {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	k := s.issue(r, session, duration, sourceIdentity, chained)
	return assumeRoleResponse{
		Xmlns: xmlns,
		Result: assumeRoleResult{
			SourceIdentity:  sourceIdentity,
			AssumedRoleUser: assumedRoleUser{Arn: k.ARN, AssumedRoleID: k.UserID},
			Credentials:     credentialsOf(k),
		},
		Metadata: responseMetadata{RequestID: requestID()},
	}, nil
}

// issue creates session credentials for the role.
func (s *Service) issue(r *role, session string, duration time.Duration, sourceIdentity string, chained bool) identity.Key {
	return s.store.Issue(identity.Key{
		Account:        r.Account,
		ARN:            "arn:aws:sts::" + r.Account + ":assumed-role/" + r.Name + "/" + session,
		UserID:         r.id + ":" + session,
		Expires:        s.now().Add(duration).Truncate(time.Second),
		SourceIdentity: sourceIdentity,
		Chained:        chained,
	})
}

func credentialsOf(k identity.Key) credentialsXML {
	return credentialsXML{
		AccessKeyID:     k.AccessKeyID,
		SecretAccessKey: k.SecretAccessKey,
		SessionToken:    k.SessionToken,
		Expiration:      k.Expires.UTC().Format(time.RFC3339),
	}
}

// durationParam reads DurationSeconds (default one hour) and checks AWS's
// 900–43200 bounds.
func durationParam(p url.Values) (time.Duration, *apiError) {
	v := p.Get("DurationSeconds")
	if v == "" {
		return time.Hour, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, validationError("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", v)
	}
	if n < 900 {
		return 0, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", n)
	}
	if n > 43200 {
		return 0, validationError("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", n)
	}
	return time.Duration(n) * time.Second, nil
}

// validateName checks a RoleSessionName or SourceIdentity: 2–64 characters
// of [\w+=,.@-].
func validateName(field, v string, required bool) *apiError {
	switch {
	case v == "" && required:
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	case len(v) < 2:
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 2", v, field)
	case len(v) > 64:
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 64", v, field)
	case !sessionNamePattern.MatchString(v):
		return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", v, field)
	}
	return nil
}
