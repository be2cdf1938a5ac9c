package awsemu_test

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v4"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

const githubIssuer = "https://token.actions.githubusercontent.com"

func githubToken(t *testing.T, key *rsa.PrivateKey, issuer, aud, sub string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "aud": aud, "sub": sub,
		"iat": time.Now().Unix(), "nbf": time.Now().Add(-time.Minute).Unix(), "exp": exp.Unix(),
		"repository": "org/models", "ref": "refs/heads/main",
	})
	tok.Header["kid"] = "test"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	e := newEnv(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.TrustOIDCProvider(githubIssuer, &key.PublicKey)
	for _, r := range []awsemu.Role{
		{Account: prodAccount, Name: "apply", WebIdentity: []awsemu.WebIdentityTrust{
			{Issuer: githubIssuer, Subjects: []string{"repo:org/models:ref:refs/heads/main"}}}},
		{Account: devAccount, Name: "check", WebIdentity: []awsemu.WebIdentityTrust{
			{Issuer: githubIssuer, Subjects: []string{"repo:org/models:pull_request", "repo:org/models:ref:refs/heads/release-*"}}}},
	} {
		if err := e.srv.AddRole(r); err != nil {
			t.Fatal(err)
		}
	}
	applyRole := "arn:aws:iam::" + prodAccount + ":role/apply"
	checkRole := "arn:aws:iam::" + devAccount + ":role/check"
	soon := time.Now().Add(10 * time.Minute)

	tests := []struct {
		name    string
		role    string
		token   string
		code    string
		wantARN string
	}{
		{name: "push to main", role: applyRole,
			token:   githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:org/models:ref:refs/heads/main", soon),
			wantARN: "arn:aws:sts::" + prodAccount + ":assumed-role/apply/gha"},
		{name: "pull request", role: checkRole,
			token:   githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:org/models:pull_request", soon),
			wantARN: "arn:aws:sts::" + devAccount + ":assumed-role/check/gha"},
		{name: "wildcard subject", role: checkRole,
			token:   githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:org/models:ref:refs/heads/release-1.2", soon),
			wantARN: "arn:aws:sts::" + devAccount + ":assumed-role/check/gha"},
		{name: "pull request may not apply", role: applyRole,
			token: githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:org/models:pull_request", soon),
			code:  "AccessDenied"},
		{name: "other repository", role: applyRole,
			token: githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:evil/models:ref:refs/heads/main", soon),
			code:  "AccessDenied"},
		{name: "wrong audience", role: applyRole,
			token: githubToken(t, key, githubIssuer, "https://github.com/org", "repo:org/models:ref:refs/heads/main", soon),
			code:  "AccessDenied"},
		{name: "unknown issuer", role: applyRole,
			token: githubToken(t, key, "https://idp.example.com", "sts.amazonaws.com", "repo:org/models:ref:refs/heads/main", soon),
			code:  "InvalidIdentityToken"},
		{name: "signed by another key", role: applyRole,
			token: githubToken(t, otherKey, githubIssuer, "sts.amazonaws.com", "repo:org/models:ref:refs/heads/main", soon),
			code:  "InvalidIdentityToken"},
		{name: "expired token", role: applyRole,
			token: githubToken(t, key, githubIssuer, "sts.amazonaws.com", "repo:org/models:ref:refs/heads/main", time.Now().Add(-time.Minute)),
			code:  "ExpiredTokenException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// No credentials: the SDK sends this call unsigned.
			out, err := e.sts(aws.Credentials{}, noRetries).AssumeRoleWithWebIdentity(ctx(t), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(tc.role), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tc.token),
			})
			if got := apiCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil {
				return
			}
			if *out.AssumedRoleUser.Arn != tc.wantARN || *out.Audience != "sts.amazonaws.com" || *out.Provider != "token.actions.githubusercontent.com" {
				t.Errorf("out %s %s %s", *out.AssumedRoleUser.Arn, *out.Audience, *out.Provider)
			}
			creds := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
			id, err := e.sts(creds).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil || *id.Arn != tc.wantARN {
				t.Errorf("caller identity %v %v", id, err)
			}
		})
	}
	for _, r := range e.srv.Requests() {
		if r.Operation == "AssumeRoleWithWebIdentity" && r.Caller != "" {
			t.Errorf("web identity call logged with caller %q, want unsigned", r.Caller)
		}
	}
}
