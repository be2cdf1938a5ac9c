package awsemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

const (
	promoterRole = "arn:aws:iam::" + prodAccount + ":role/promoter"
	hopRole      = "arn:aws:iam::" + devAccount + ":role/hop"
	openRole     = "arn:aws:iam::" + prodAccount + ":role/open"
)

// seedRoles: prod's promoter trusts dev (with an external ID, 2h sessions,
// source identity); dev's hop trusts dev users; prod's open trusts the hop
// role's sessions, with 12h sessions.
func seedRoles(t *testing.T, e *env) {
	t.Helper()
	for _, r := range []awsemu.Role{
		{Account: prodAccount, Name: "promoter", Trust: []string{devAccount}, ExternalID: "ext-123",
			MaxSessionDuration: 2 * time.Hour, AllowSourceIdentity: true},
		{Account: devAccount, Name: "hop", Trust: []string{"arn:aws:iam::" + devAccount + ":root"},
			MaxSessionDuration: 12 * time.Hour, AllowSourceIdentity: true},
		{Account: prodAccount, Name: "open", Trust: []string{hopRole}, MaxSessionDuration: 12 * time.Hour},
	} {
		if err := e.srv.AddRole(r); err != nil {
			t.Fatal(err)
		}
	}
}

func credsOf(out *sts.AssumeRoleOutput) aws.Credentials {
	return aws.Credentials{
		AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
		SessionToken: *out.Credentials.SessionToken,
	}
}

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	seedRoles(t, e)
	hop, err := e.sts(e.dev).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String(hopRole), RoleSessionName: aws.String("hop"), SourceIdentity: aws.String("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	hopCreds := credsOf(hop)
	hopNoSI, err := e.sts(e.dev).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(hopRole), RoleSessionName: aws.String("hop2")})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		creds    aws.Credentials
		in       sts.AssumeRoleInput
		code     string
		message  string
		wantARN  string
		wantSI   string
		duration time.Duration
	}{
		{name: "cross-account with external id", creds: e.dev,
			in:      sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(7200)},
			wantARN: "arn:aws:sts::" + prodAccount + ":assumed-role/promoter/pr-42", duration: 2 * time.Hour},
		{name: "wrong external id", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-999")},
			code: "AccessDenied", message: "is not authorized to perform: sts:AssumeRole"},
		{name: "missing external id", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42")},
			code: "AccessDenied"},
		{name: "untrusted account", creds: e.prod,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-123")},
			code: "AccessDenied"},
		{name: "no such role", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + prodAccount + ":role/nope"), RoleSessionName: aws.String("pr-42")},
			code: "AccessDenied"},
		{name: "session name too short", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("p"), ExternalId: aws.String("ext-123")},
			code: "ValidationError", message: "length greater than or equal to 2"},
		{name: "session name too long", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String(strings.Repeat("p", 65)), ExternalId: aws.String("ext-123")},
			code: "ValidationError", message: "length less than or equal to 64"},
		{name: "session name bad characters", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr 42/x"), ExternalId: aws.String("ext-123")},
			code: "ValidationError", message: `regular expression pattern: [\w+=,.@-]*`},
		{name: "duration under 900", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(899)},
			code: "ValidationError", message: "greater than or equal to 900"},
		{name: "duration over 43200", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(43201)},
			code: "ValidationError", message: "less than or equal to 43200"},
		{name: "duration over role maximum", creds: e.dev,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-42"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(7201)},
			code: "ValidationError", message: "exceeds the MaxSessionDuration set for this role"},
		{name: "chained over one hour", creds: credsOf(hopNoSI),
			in:   sts.AssumeRoleInput{RoleArn: aws.String(openRole), RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(3601)},
			code: "ValidationError", message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
		{name: "chained one hour", creds: credsOf(hopNoSI),
			in:      sts.AssumeRoleInput{RoleArn: aws.String(openRole), RoleSessionName: aws.String("chain"), DurationSeconds: aws.Int32(3600)},
			wantARN: "arn:aws:sts::" + prodAccount + ":assumed-role/open/chain", duration: time.Hour},
		{name: "source identity kept through chaining", creds: hopCreds,
			in:      sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("chain"), ExternalId: aws.String("ext-123")},
			wantARN: "arn:aws:sts::" + prodAccount + ":assumed-role/promoter/chain", wantSI: "alice", duration: time.Hour},
		{name: "source identity cannot change", creds: hopCreds,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("chain"), ExternalId: aws.String("ext-123"), SourceIdentity: aws.String("mallory")},
			code: "AccessDenied"},
		{name: "role without set-source-identity refuses a carried one", creds: hopCreds,
			in:   sts.AssumeRoleInput{RoleArn: aws.String(openRole), RoleSessionName: aws.String("chain")},
			code: "AccessDenied", message: "sts:SetSourceIdentity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.Now()
			out, err := e.sts(tc.creds, noRetries).AssumeRole(ctx(t), &tc.in)
			if got := apiCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil {
				var ae smithy.APIError
				_ = errorsAs(err, &ae)
				if !strings.Contains(ae.ErrorMessage(), tc.message) {
					t.Errorf("message %q, want it to contain %q", ae.ErrorMessage(), tc.message)
				}
				return
			}
			if *out.AssumedRoleUser.Arn != tc.wantARN {
				t.Errorf("ARN %s, want %s", *out.AssumedRoleUser.Arn, tc.wantARN)
			}
			if got := aws.ToString(out.SourceIdentity); got != tc.wantSI {
				t.Errorf("source identity %q, want %q", got, tc.wantSI)
			}
			if exp := out.Credentials.Expiration.Sub(before); exp < tc.duration-2*time.Second || exp > tc.duration+2*time.Second {
				t.Errorf("expires in %s, want %s", exp, tc.duration)
			}
			// The credentials work and belong to the role's account.
			id, err := e.sts(credsOf(out)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if *id.Arn != tc.wantARN || *id.Account != prodAccount {
				t.Errorf("caller identity %s in %s", *id.Arn, *id.Account)
			}
		})
	}
}

// TestAssumeRoleProvider uses the SDK's credential provider, as the bot
// does, and checks the request log records the role session as caller.
func TestAssumeRoleProvider(t *testing.T) {
	e := newEnv(t)
	seedRoles(t, e)
	provider := stscreds.NewAssumeRoleProvider(e.sts(e.dev), promoterRole, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("ext-123")
		o.RoleSessionName = "pr-7"
	})
	cfg := e.srv.Config(aws.Credentials{})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + prodAccount + ":assumed-role/promoter/pr-7"; *id.Arn != want {
		t.Errorf("arn %s, want %s", *id.Arn, want)
	}
	reqs := e.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Operation != "GetCallerIdentity" || last.Account != prodAccount || last.Caller != *id.Arn || last.Status != 200 {
		t.Errorf("last request %+v", last)
	}
	if n := e.srv.Count("sts", "AssumeRole"); n != 1 {
		t.Errorf("AssumeRole count %d", n)
	}
}
