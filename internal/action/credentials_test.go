package action

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sethvargo/go-githubactions"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// The OIDC credentials are a cache over a provider that fetches a fresh ID
// token each time: when they expire (here: are invalidated), the next call
// assumes the role again with a new token, and masks the new secrets.
func TestOIDCCredentialsRefreshWithAFreshToken(t *testing.T) {
	w, err := worldtest.New(t, world.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.AWS.TrustOIDCProvider(ghemu.OIDCIssuer, w.GitHub.OIDCPublicKey())
	role := awsemu.Role{Account: world.ToolsAccount, Name: "gha", WebIdentity: []awsemu.WebIdentityTrust{
		{Issuer: ghemu.OIDCIssuer, Subjects: []string{"repo:" + world.Repo + ":ref:refs/heads/main"}}}}
	if err := w.AWS.AddRole(role); err != nil {
		t.Fatal(err)
	}
	url, tok := w.GitHub.ActionsOIDC(ghemu.ActionsRun{Repo: world.Repo, Event: "push", Ref: "refs/heads/main"})
	vars := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tok, "GITHUB_RUN_ID": "7"}
	var out strings.Builder
	a := githubactions.New(githubactions.WithGetenv(func(k string) string { return vars[k] }), githubactions.WithWriter(&out),
		githubactions.WithHTTPClient(w.HTTPClient()))
	env := Env{LoadAWS: func(context.Context, string) (aws.Config, error) {
		cfg := w.AWS.Config(aws.Credentials{})
		cfg.Credentials = nil
		return cfg, nil
	}}
	in := Inputs{RoleToAssume: role.ARN(), Audience: DefaultAudience}
	cfg, err := awsConfig(t.Context(), env, a, in, &githubactions.GitHubContext{EventName: "push"})
	if err != nil {
		t.Fatal(err)
	}
	id := func() string {
		t.Helper()
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Arn)
	}
	if got, want := id(), "arn:aws:sts::"+world.ToolsAccount+":assumed-role/gha/modelpromote-gha-7"; got != want {
		t.Errorf("caller %s, want %s", got, want)
	}
	first, _ := cfg.Credentials.Retrieve(t.Context())
	if n := w.AWS.Count("sts", "AssumeRoleWithWebIdentity"); n != 1 {
		t.Fatalf("%d AssumeRoleWithWebIdentity calls, want 1 (cached)", n)
	}

	cfg.Credentials.(*aws.CredentialsCache).Invalidate()
	id()
	second, _ := cfg.Credentials.Retrieve(t.Context())
	if n := w.AWS.Count("sts", "AssumeRoleWithWebIdentity"); n != 2 {
		t.Fatalf("%d AssumeRoleWithWebIdentity calls after expiry, want 2", n)
	}
	if first.AccessKeyID == second.AccessKeyID {
		t.Error("the refresh returned the same credentials")
	}
	tokens := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && strings.HasPrefix(v, "ey") {
			tokens[v] = true
		}
	}
	for _, c := range []aws.Credentials{first, second} {
		if !strings.Contains(out.String(), "::add-mask::"+c.SecretAccessKey+"\n") || !strings.Contains(out.String(), "::add-mask::"+c.SessionToken+"\n") {
			t.Errorf("credentials %s not masked", c.AccessKeyID)
		}
	}
	if len(tokens) != 2 {
		t.Errorf("%d distinct ID tokens masked, want a fresh one per refresh", len(tokens))
	}
}
