package accounts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// chain sets up a tools account whose bot runs as a role (as in Actions
// after OIDC), and a target role it chains into.
func chain(t *testing.T) (*awsemu.Server, aws.Config, manifest.Environment) {
	t.Helper()
	srv, err := awsemu.New(awsemu.Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	tools, _ := srv.AddAccount("tools", "999999999999")
	if _, err := srv.AddAccount("prod", "333333333333"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []awsemu.Role{
		{Account: "999999999999", Name: "ci", Trust: []string{"999999999999"}, MaxSessionDuration: 12 * time.Hour},
		{Account: "333333333333", Name: "deploy", Trust: []string{"arn:aws:iam::999999999999:role/ci"}, ExternalID: "prod-ext",
			MaxSessionDuration: 12 * time.Hour, AllowSourceIdentity: true},
	} {
		if err := srv.AddRole(r); err != nil {
			t.Fatal(err)
		}
	}
	// The bot's ambient identity is itself a role session: everything it
	// assumes from here is role chaining.
	ci := accounts.New(accounts.Options{Base: srv.Config(tools), SessionName: "ci"})
	base := ci.Environment(manifest.Environment{Name: "ci", RoleARN: "arn:aws:iam::999999999999:role/ci", Region: "eu-west-1"})
	env := manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1", RoleARN: "arn:aws:iam::333333333333:role/deploy", ExternalID: "prod-ext"}
	return srv, base, env
}

// AWS refuses chained sessions longer than an hour; asking for more fails
// every call, so Accounts never asks.
func TestChainedSessionsStayWithinAnHour(t *testing.T) {
	_, base, env := chain(t)
	a := accounts.New(accounts.Options{Base: base, SessionName: "modelpromote pr #42!", SourceIdentity: "alice", Duration: 4 * time.Hour})
	out, err := sts.NewFromConfig(a.Environment(env)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws:sts::333333333333:assumed-role/deploy/modelpromote-pr--42-" {
		t.Errorf("caller %s: the session name must be cleaned to STS's rules", got)
	}
	creds, _ := a.Environment(env).Credentials.Retrieve(t.Context())
	if left := time.Until(creds.Expires); left > time.Hour+time.Minute {
		t.Errorf("session lasts %v, more than the chained limit", left)
	}
}

func TestWrongExternalIDFailsWithoutRetrying(t *testing.T) {
	srv, base, env := chain(t)
	env.ExternalID = "wrong"
	a := accounts.New(accounts.Options{Base: base, SessionName: "modelpromote"})
	srv.ResetRequests()
	_, err := sts.NewFromConfig(a.Environment(env)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("err = %v", err)
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Operation == "AssumeRole" && r.Account == "999999999999" && strings.Contains(r.Caller, "assumed-role/ci") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("AssumeRole with a wrong external ID was tried %d times; access errors must not be retried", n)
	}
}

func TestVerifyCatchesARoleInTheWrongAccount(t *testing.T) {
	_, base, env := chain(t)
	a := accounts.New(accounts.Options{Base: base, SessionName: "modelpromote"})
	env.Account = "444444444444"
	cfg := &manifest.Config{Source: manifest.Source{Account: "999999999999", Region: "eu-west-1"}, Environments: []manifest.Environment{env}}
	err := a.Verify(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "credentials are for account 333333333333, but the configuration says 444444444444") {
		t.Fatalf("err = %v", err)
	}
}
