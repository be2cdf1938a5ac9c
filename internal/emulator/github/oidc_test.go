package ghemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v4"
	"github.com/sethvargo/go-githubactions"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func TestActionsOIDCToken(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		run  ghemu.ActionsRun
		sub  string
	}{
		{"push to main", ghemu.ActionsRun{Repo: repoName, Event: "push", Ref: "refs/heads/main", SHA: f.mainSHA, Actor: "alice"}, "repo:acme/models:ref:refs/heads/main"},
		{"pull request", ghemu.ActionsRun{Repo: repoName, Event: "pull_request", Ref: "refs/pull/1/merge", SHA: f.mainSHA}, "repo:acme/models:pull_request"},
		{"environment", ghemu.ActionsRun{Repo: repoName, Event: "push", Ref: "refs/heads/main", Environment: "prod"}, "repo:acme/models:environment:prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, tok := f.e.ActionsOIDC(tt.run)
			env := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tok}
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
			raw, err := a.GetIDToken(context.Background(), "sts.amazonaws.com")
			if err != nil {
				t.Fatal(err)
			}
			claims := jwt.MapClaims{}
			parsed, err := jwt.ParseWithClaims(raw, claims, func(tk *jwt.Token) (any, error) {
				if tk.Header["kid"] != f.e.OIDCKeyID() {
					t.Errorf("kid %v", tk.Header["kid"])
				}
				return f.e.OIDCPublicKey(), nil
			})
			if err != nil || !parsed.Valid {
				t.Fatalf("token does not verify: %v", err)
			}
			if claims["iss"] != ghemu.OIDCIssuer || claims["aud"] != "sts.amazonaws.com" || claims["sub"] != tt.sub ||
				claims["repository"] != repoName || claims["ref"] != tt.run.Ref || claims["sha"] != tt.run.SHA {
				t.Errorf("claims = %v", claims)
			}
		})
	}
	res, err := f.e.HTTPClient().Get(f.e.OIDCDiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	json.NewDecoder(res.Body).Decode(&conf)
	res.Body.Close()
	if conf.Issuer != ghemu.OIDCIssuer || conf.JWKSURI == "" {
		t.Errorf("discovery = %+v", conf)
	}
	req, _ := http.NewRequest("GET", f.e.URL()+"_actions/token?audience=x", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	res, err = f.e.HTTPClient().Do(req)
	if err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad request token: %v %v", res.StatusCode, err)
	}
}
