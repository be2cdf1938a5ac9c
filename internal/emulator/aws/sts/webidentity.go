package sts

import (
	"crypto"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// TrustOIDCProvider registers an OIDC provider by issuer URL; tokens it signs
// (RS256) with key are accepted by AssumeRoleWithWebIdentity. Registering an
// issuer again replaces its key.
func (s *Service) TrustOIDCProvider(issuerURL string, key crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.providers[strings.TrimSuffix(issuerURL, "/")] = key
}

func invalidIdentityToken(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidIdentityToken", msg}
}

// webClaims are the JWT claims AssumeRoleWithWebIdentity looks at.
type webClaims struct {
	jwt.RegisteredClaims
}

func (s *Service) assumeRoleWithWebIdentity(p url.Values) (any, *apiError) {
	roleARN, session, token := p.Get("RoleArn"), p.Get("RoleSessionName"), p.Get("WebIdentityToken")
	if roleARN == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if err := validateName("roleSessionName", session, true); err != nil {
		return nil, err
	}
	if len(token) < 4 {
		return nil, validationError("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4")
	}
	duration, verr := durationParam(p)
	if verr != nil {
		return nil, verr
	}
	claims, verr := s.verifyToken(token)
	if verr != nil {
		return nil, verr
	}
	issuer := strings.TrimSuffix(claims.Issuer, "/")
	r, ok := s.role(roleARN)
	if !ok || !r.trustsWebIdentity(issuer, claims) {
		return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	if duration > r.MaxSessionDuration {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	k := s.issue(r, session, duration, "", false)
	return assumeRoleWithWebIdentityResponse{
		Xmlns: xmlns,
		Result: webIdentityResult{
			SubjectFromWebIdentityToken: claims.Subject,
			Audience:                    strings.Join(claims.Audience, ","),
			AssumedRoleUser:             assumedRoleUser{Arn: k.ARN, AssumedRoleID: k.UserID},
			Credentials:                 credentialsOf(k),
			Provider:                    strings.TrimPrefix(issuer, "https://"),
		},
		Metadata: responseMetadata{RequestID: requestID()},
	}, nil
}

// verifyToken checks the token's RS256 signature against its issuer's
// registered key and its time claims against the emulator's clock.
func (s *Service) verifyToken(token string) (*webClaims, *apiError) {
	var claims webClaims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	var issuer string
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		issuer = strings.TrimSuffix(claims.Issuer, "/")
		s.mu.RLock()
		key, ok := s.providers[issuer]
		s.mu.RUnlock()
		if !ok {
			return nil, errUnknownProvider
		}
		return key, nil
	})
	if err != nil {
		if strings.Contains(err.Error(), errUnknownProvider.Error()) {
			return nil, invalidIdentityToken("No OpenIDConnect provider found in your account for " + issuer)
		}
		return nil, invalidIdentityToken("The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
	}
	now := s.now()
	if claims.ExpiresAt == nil || !now.Before(claims.ExpiresAt.Time) {
		exp := int64(0)
		if claims.ExpiresAt != nil {
			exp = claims.ExpiresAt.Unix()
		}
		return nil, &apiError{http.StatusBadRequest, "ExpiredTokenException",
			fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp)}
	}
	if claims.NotBefore != nil && now.Add(5*time.Minute).Before(claims.NotBefore.Time) {
		return nil, invalidIdentityToken("Token is not yet valid")
	}
	return &claims, nil
}

var errUnknownProvider = fmt.Errorf("unknown oidc provider")

// trustsWebIdentity checks the role's Federated statements: issuer, aud
// (StringEquals) and sub (StringLike).
func (r *role) trustsWebIdentity(issuer string, c *webClaims) bool {
	for _, w := range r.WebIdentity {
		if strings.TrimSuffix(w.Issuer, "/") != issuer || !c.VerifyAudience(w.Audience, true) {
			continue
		}
		for _, pat := range w.Subjects {
			if stringLike(pat, c.Subject) {
				return true
			}
		}
	}
	return false
}
