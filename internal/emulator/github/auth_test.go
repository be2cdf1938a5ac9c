package ghemu_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
)

// signJWT signs App JWT claims with key.
func signJWT(t *testing.T, key *rsa.PrivateKey, iss string, iat, exp time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer: iss, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppJWTAuthentication(t *testing.T) {
	f := newFixture(t)
	app := f.e.App()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	id := strconv.FormatInt(app.ID, 10)
	now := time.Now()
	tests := []struct {
		name string
		jwt  string
		want int
	}{
		{"valid", signJWT(t, app.PrivateKey, id, now.Add(-30*time.Second), now.Add(9*time.Minute)), http.StatusOK},
		{"no token", "", http.StatusUnauthorized},
		{"garbage", "not.a.jwt", http.StatusUnauthorized},
		{"signed with another key", signJWT(t, other, id, now, now.Add(time.Minute)), http.StatusUnauthorized},
		{"expired", signJWT(t, app.PrivateKey, id, now.Add(-20*time.Minute), now.Add(-10*time.Minute)), http.StatusUnauthorized},
		{"exp too far ahead", signJWT(t, app.PrivateKey, id, now, now.Add(30*time.Minute)), http.StatusUnauthorized},
		{"wrong issuer", signJWT(t, app.PrivateKey, "999", now, now.Add(time.Minute)), http.StatusUnauthorized},
		{"installation token is not a JWT", mustToken(t, f.e, f.inst), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.e.Client(tt.jwt)
			got, _, err := c.Apps.Get(ctx, "")
			status := statusOf(t, err)
			if err == nil {
				status = http.StatusOK
			}
			if status != tt.want {
				t.Fatalf("status %d, want %d (%v)", status, tt.want, err)
			}
			if err == nil && got.GetID() != app.ID {
				t.Errorf("app id %d", got.GetID())
			}
			if err != nil && err.(*github.ErrorResponse).Message == "" {
				t.Error("401 without a message")
			}
		})
	}
}

func mustToken(t *testing.T, e *ghemu.Emulator, inst int64) string {
	t.Helper()
	tok, err := e.InstallationToken(inst)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInstallationFlowThroughAppsTransport(t *testing.T) {
	f := newFixture(t)
	app := f.e.App()
	atr, err := ghinstallation.NewAppsTransport(f.e.HTTPClient().Transport, app.ID, app.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = f.e.URL()
	appClient := github.NewClient(&http.Client{Transport: atr})
	appClient.BaseURL = f.e.Client("").BaseURL

	inst, _, err := appClient.Apps.FindRepositoryInstallation(ctx, "acme", "models")
	if err != nil {
		t.Fatal(err)
	}
	if inst.GetID() != f.inst || inst.GetAccount().GetLogin() != "acme" {
		t.Errorf("installation %d on %s", inst.GetID(), inst.GetAccount().GetLogin())
	}
	tok, _, err := appClient.Apps.CreateInstallationToken(ctx, f.inst, &github.InstallationTokenOptions{Repositories: []string{"models"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok.GetExpiresAt().Time); d < 55*time.Minute || d > 61*time.Minute {
		t.Errorf("token expires in %v", d)
	}
	c := f.e.Client(tok.GetToken())
	if _, _, err := c.Repositories.Get(ctx, "acme", "models"); err != nil {
		t.Errorf("scoped token cannot read its repository: %v", err)
	}
	f.e.CreateRepo("acme/other", nil)
	if _, _, err := c.Repositories.Get(ctx, "acme", "other"); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("scoped token reads another repository: %v", err)
	}
	f.e.CreateRepo("elsewhere/x", nil)
	if _, _, err := f.bot.Repositories.Get(ctx, "elsewhere", "x"); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("installation reads a repository outside its account: %v", err)
	}
	if _, _, err := appClient.Apps.FindRepositoryInstallation(ctx, "elsewhere", "x"); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("installation for an uninstalled repo: %v", err)
	}
}

func TestTokenAuthentication(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		token string
		want  int
		msg   string
	}{
		{"user token", f.e.CreateUser("dave"), http.StatusOK, ""},
		{"installation token", mustToken(t, f.e, f.inst), http.StatusOK, ""},
		{"unknown token", "ghp_nope", http.StatusUnauthorized, "Bad credentials"},
		{"no token", "", http.StatusUnauthorized, "Requires authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := f.e.Client(tt.token).Repositories.Get(ctx, "acme", "models")
			got := statusOf(t, err)
			if err == nil {
				got = resp.StatusCode
			}
			if got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
			if err != nil && err.(*github.ErrorResponse).Message != tt.msg {
				t.Errorf("message %q, want %q", err.(*github.ErrorResponse).Message, tt.msg)
			}
			if resp.Header.Get("X-RateLimit-Limit") == "" || resp.Header.Get("X-RateLimit-Remaining") == "" {
				t.Errorf("no rate limit headers: %v", resp.Header)
			}
		})
	}
	f.bot.Repositories.Get(ctx, "acme", "models")
	rl, _, err := f.bot.RateLimit.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rl.GetCore().Limit != 5000 || rl.GetCore().Remaining >= 5000 {
		t.Errorf("core = %+v", rl.GetCore())
	}
}

func TestActionsTokens(t *testing.T) {
	f := newFixture(t)
	f.e.AddTeamMember("acme", "leads", "bob", "", "")
	n, _ := f.openPR(t, "promote", promotionChange)
	tests := []struct {
		name      string
		readOnly  bool
		wantWrite int
	}{
		{"same-repository pull request", false, http.StatusCreated},
		{"pull request from a fork", true, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := f.e.ActionsToken(repoName, tt.readOnly)
			if err != nil {
				t.Fatal(err)
			}
			c := f.e.Client(tok)
			if _, _, err := c.PullRequests.Get(ctx, "acme", "models", n); err != nil {
				t.Fatalf("read: %v", err)
			}
			cm, resp, err := c.Issues.CreateComment(ctx, "acme", "models", n, &github.IssueComment{Body: github.String("hi")})
			got := statusOf(t, err)
			if err == nil {
				got = resp.StatusCode
				if cm.GetUser().GetLogin() != "github-actions[bot]" {
					t.Errorf("comment by %s", cm.GetUser().GetLogin())
				}
			}
			if got != tt.wantWrite {
				t.Errorf("write status %d, want %d", got, tt.wantWrite)
			}
			_, _, err = c.Teams.GetTeamMembershipBySlug(ctx, "acme", "leads", "bob")
			if statusOf(t, err) != http.StatusForbidden {
				t.Errorf("GITHUB_TOKEN read a team membership: %v", err)
			}
		})
	}
}

func TestPrimaryRateLimitAndConditionalRequests(t *testing.T) {
	e := ghemutest.New(t, ghemu.WithRateLimit(3))
	e.CreateRepo(repoName, nil)
	tok := e.CreateUser("alice")
	c := e.Client(tok)
	_, resp, err := c.Repositories.Get(ctx, "acme", "models")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	req, _ := c.NewRequest("GET", "repos/acme/models", nil)
	req.Header.Set("If-None-Match", etag)
	for i := 0; i < 3; i++ { // 304s do not count
		resp, err := c.Do(ctx, req, nil)
		if resp == nil || resp.StatusCode != http.StatusNotModified {
			t.Fatalf("conditional request: %v %v", resp, err)
		}
	}
	for i := 0; i < 2; i++ {
		if _, _, err := c.Repositories.Get(ctx, "acme", "models"); err != nil {
			t.Fatalf("call %d: %v", i+2, err)
		}
	}
	_, _, err = c.Repositories.Get(ctx, "acme", "models")
	if _, ok := err.(*github.RateLimitError); !ok {
		t.Errorf("fourth call: %T %v", err, err)
	}
}
