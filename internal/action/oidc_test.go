package action_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/action"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// oidcRole trusts GitHub's OIDC issuer in the tools account, as the IAM
// set-up in docs/iam does: a role for the apply workflow (push to main)
// and one for the check workflow (pull requests). The environment roles
// trust the tools account, so both chain into them.
const (
	applyRole = "arn:aws:iam::" + world.ToolsAccount + ":role/modelpromote-gha-apply"
	checkRole = "arn:aws:iam::" + world.ToolsAccount + ":role/modelpromote-gha-check"
)

func trustGitHubOIDC(t *testing.T, w *world.World) {
	t.Helper()
	w.AWS.TrustOIDCProvider(ghemu.OIDCIssuer, w.GitHub.OIDCPublicKey())
	for name, sub := range map[string]string{
		"modelpromote-gha-apply": "repo:" + world.Repo + ":ref:refs/heads/main",
		"modelpromote-gha-check": "repo:" + world.Repo + ":pull_request",
	} {
		if err := w.AWS.AddRole(awsemu.Role{Account: world.ToolsAccount, Name: name,
			WebIdentity: []awsemu.WebIdentityTrust{{Issuer: ghemu.OIDCIssuer, Audience: "sts.amazonaws.com", Subjects: []string{sub}}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// noCredentials is an AWS configuration with nowhere to get credentials
// from but OIDC.
func noCredentials(w *world.World) *aws.Config {
	cfg := w.AWS.Config(aws.Credentials{})
	cfg.Credentials = nil
	return &cfg
}

func oidcEnv(w *world.World, run ghemu.ActionsRun) map[string]string {
	url, tok := w.GitHub.ActionsOIDC(run)
	return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tok}
}

func TestOIDCPushToMainAssumesTheRoleAndDeploys(t *testing.T) {
	w := newWorld(t)
	trustGitHubOIDC(t, w)
	n := approvedPR(t, w)
	push := event(t, w, "push", "")
	sha, _ := w.GitHub.Branch(world.Repo, "main")

	env := oidcEnv(w, ghemu.ActionsRun{Repo: world.Repo, Event: "push", Ref: "refs/heads/main", SHA: sha, Actor: world.Pat, RunID: 4242})
	before := len(w.AWS.Requests())
	r := run(t, w, step{event: "push", payload: push, aws: noCredentials(w), env: env,
		inputs: map[string]string{"role-to-assume": applyRole}}).must(t)
	assertDeployed(t, w, r, n)

	if c := w.AWS.Count("sts", "AssumeRoleWithWebIdentity"); c == 0 {
		t.Error("no AssumeRoleWithWebIdentity call")
	}
	chained := false
	for _, req := range w.AWS.Requests()[before:] {
		if req.Operation == "AssumeRole" && strings.Contains(req.Caller, "assumed-role/modelpromote-gha-apply/modelpromote-gha-4242") {
			chained = true
		}
		if req.Operation == "AssumeRole" && strings.Contains(req.Caller, ":user/modelpromote") {
			t.Errorf("AssumeRole with the bot's own user: the OIDC credentials were not used")
		}
	}
	if !chained {
		t.Error("no environment role was assumed from the OIDC session")
	}
	assertMasked(t, r, true, env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], w.BotToken)
}

// A pull_request run's subject is repo:ORG/REPO:pull_request: the apply
// role, trusting only main, refuses it, and the action says why.
func TestOIDCMismatchedSubjectIsRefusedClearly(t *testing.T) {
	w := newWorld(t)
	trustGitHubOIDC(t, w)
	n := promote(t, w, false)
	env := oidcEnv(w, ghemu.ActionsRun{Repo: world.Repo, Event: "pull_request", Ref: "refs/pull/1/merge", Actor: world.Alice})
	opened := event(t, w, "pull_request", "opened")
	r := run(t, w, step{event: "pull_request", payload: opened, aws: noCredentials(w), env: env,
		inputs: map[string]string{"role-to-assume": applyRole}})
	if r.err == nil {
		t.Fatal("no error with a role that does not trust this run")
	}
	for _, want := range []string{applyRole, "AccessDenied", `subject "repo:acme/ml-promotions:pull_request"`, "trust policy"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, r.err)
		}
	}
	if cs := w.GitHub.Comments(world.Repo, n); len(cs) != 0 {
		t.Errorf("the check reported before credentials worked: %d comments", len(cs))
	}
	assertMasked(t, r, false, env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], w.BotToken)

	// The check role trusts pull requests: the same run checks.
	env = oidcEnv(w, ghemu.ActionsRun{Repo: world.Repo, Event: "pull_request", Ref: "refs/pull/1/merge", Actor: world.Alice})
	r = run(t, w, step{event: "pull_request", payload: opened, aws: noCredentials(w), env: env,
		inputs: map[string]string{"role-to-assume": checkRole}}).must(t)
	if r.outputs[action.OutputVerdict] != "pending" {
		t.Errorf("verdict %q", r.outputs[action.OutputVerdict])
	}
}

func TestOIDCWithoutIDTokenPermission(t *testing.T) {
	w := newWorld(t)
	promote(t, w, false)
	r := run(t, w, step{event: "pull_request", payload: event(t, w, "pull_request", "opened"), aws: noCredentials(w),
		inputs: map[string]string{"role-to-assume": checkRole}})
	if r.err == nil || !strings.Contains(r.err.Error(), "id-token: write") {
		t.Fatalf("err %v", r.err)
	}
}

// assertMasked checks that every secret the run knew was masked before
// use, and appears in the log only in its own add-mask command; assumed
// says whether a role was assumed (so session credentials were masked).
func assertMasked(t *testing.T, r ran, assumed bool, secrets ...string) {
	t.Helper()
	var masked []string
	var rest strings.Builder
	for _, line := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			masked = append(masked, v)
			continue
		}
		rest.WriteString(line + "\n")
	}
	var jwt, aws int
	for _, m := range masked {
		switch {
		case strings.Count(m, ".") == 2 && strings.HasPrefix(m, "ey"):
			jwt++
		case strings.HasPrefix(m, "ASIA"):
			aws++
		}
	}
	if jwt == 0 || assumed != (aws > 0) {
		t.Errorf("masked %d ID tokens and %d session key IDs, want both: %q", jwt, aws, masked)
	}
	errText := ""
	if r.err != nil {
		errText = r.err.Error()
	}
	for _, s := range append(masked, secrets...) {
		if strings.Contains(rest.String(), s) || strings.Contains(errText, s) || strings.Contains(r.summary, s) {
			t.Errorf("secret %.8s… appears outside its add-mask command", s)
		}
	}
	for _, s := range secrets {
		found := false
		for _, m := range masked {
			found = found || m == s
		}
		if !found {
			t.Errorf("secret %.8s… was never masked", s)
		}
	}
}
