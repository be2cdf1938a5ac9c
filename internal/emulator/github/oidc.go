package ghemu

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// OIDCIssuer is the "iss" of Actions OIDC tokens, as on github.com.
const OIDCIssuer = "https://token.actions.githubusercontent.com"

// oidcIssuer signs Actions ID tokens.
type oidcIssuer struct {
	key *rsa.PrivateKey
	kid string

	mu   sync.Mutex
	runs map[string]ActionsRun // request token → run
}

func newOIDCIssuer() *oidcIssuer {
	key := sharedKey(1)
	return &oidcIssuer{key: key, kid: newToken("")[:16], runs: map[string]ActionsRun{}}
}

// ActionsRun describes the workflow run an OIDC token is requested from.
type ActionsRun struct {
	Repo        string // OWNER/NAME
	Event       string // push, pull_request, workflow_dispatch…
	Ref         string // refs/heads/main, refs/pull/7/merge
	SHA         string
	Actor       string
	Environment string // a deployment environment, if the job has one
	Workflow    string // workflow name (default "promote")
	HeadRef     string // pull_request: the head branch
	BaseRef     string // pull_request: the base branch
	RunID       int64
}

// ActionsOIDC returns what the runner puts in ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN for a job of run.
func (e *Emulator) ActionsOIDC(run ActionsRun) (requestURL, requestToken string) {
	tok := newToken("")
	e.oidc.mu.Lock()
	e.oidc.runs[tok] = run
	e.oidc.mu.Unlock()
	return e.srv.URL + "/_actions/token?api-version=2.0", tok
}

// OIDCPublicKey is the key Actions ID tokens are signed with; OIDCKeyID is
// its "kid".
func (e *Emulator) OIDCPublicKey() *rsa.PublicKey { return &e.oidc.key.PublicKey }

// OIDCKeyID is the "kid" header of Actions ID tokens.
func (e *Emulator) OIDCKeyID() string { return e.oidc.kid }

// OIDCDiscoveryURL serves the issuer's OpenID configuration and JWKS (at
// /_actions/.well-known/openid-configuration and /_actions/.well-known/jwks).
func (e *Emulator) OIDCDiscoveryURL() string {
	return e.srv.URL + "/_actions/.well-known/openid-configuration"
}

// JWKS is the issuer's JSON Web Key Set.
func (e *Emulator) JWKS() []byte {
	pub := e.oidc.key.PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": e.oidc.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

func (e *Emulator) serveOIDC(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_actions/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer": OIDCIssuer, "jwks_uri": e.srv.URL + "/_actions/.well-known/jwks",
			"subject_types_supported": []string{"public", "pairwise"}, "response_types_supported": []string{"id_token"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository", "repository_owner", "actor", "environment", "event_name", "workflow", "run_id"},
			"scopes_supported":                      []string{"openid"},
		})
	case "/_actions/.well-known/jwks":
		w.Header().Set("Content-Type", "application/json")
		w.Write(e.JWKS())
	case "/_actions/token":
		e.issueIDToken(w, r)
	default:
		writeError(w, http.StatusNotFound, "Not Found", "")
	}
}

// issueIDToken answers the runner's token request: {"count", "value"}.
func (e *Emulator) issueIDToken(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	e.oidc.mu.Lock()
	run, ok := e.oidc.runs[tok]
	e.oidc.mu.Unlock()
	if !strings.EqualFold(scheme, "bearer") || !ok {
		writeError(w, http.StatusUnauthorized, "Bad credentials", "")
		return
	}
	aud := r.URL.Query().Get("audience")
	owner, _, _ := strings.Cut(run.Repo, "/")
	if aud == "" {
		aud = "https://github.com/" + owner
	}
	sub := "repo:" + run.Repo + ":ref:" + run.Ref
	switch {
	case run.Environment != "":
		sub = "repo:" + run.Repo + ":environment:" + run.Environment
	case run.Event == "pull_request":
		sub = "repo:" + run.Repo + ":pull_request"
	}
	workflow := run.Workflow
	if workflow == "" {
		workflow = "promote"
	}
	t := time.Now()
	e.mu.Lock()
	var repoID, ownerID int64
	if rp, err := e.repoByFullName(run.Repo); err == nil {
		repoID, ownerID = rp.id, rp.owner.id
	}
	e.mu.Unlock()
	wfRef := fmt.Sprintf("%s/.github/workflows/%s.yml@%s", run.Repo, workflow, run.Ref)
	claims := jwt.MapClaims{
		"iss": OIDCIssuer, "aud": aud, "sub": sub, "jti": newGUID(),
		"iat": t.Unix(), "nbf": t.Add(-5 * time.Second).Unix(), "exp": t.Add(10 * time.Minute).Unix(),
		"ref": run.Ref, "ref_type": "branch", "sha": run.SHA, "repository": run.Repo, "repository_owner": owner,
		"repository_id": itoa(repoID), "repository_owner_id": itoa(ownerID), "repository_visibility": "private",
		"actor": run.Actor, "actor_id": "1", "workflow": workflow, "workflow_ref": wfRef, "workflow_sha": run.SHA,
		"job_workflow_ref": wfRef, "job_workflow_sha": run.SHA, "event_name": run.Event,
		"head_ref": run.HeadRef, "base_ref": run.BaseRef, "run_id": itoa(run.RunID), "run_number": "1", "run_attempt": "1",
		"runner_environment": "github-hosted",
	}
	if run.Environment != "" {
		claims["environment"] = run.Environment
	}
	if strings.HasPrefix(run.Ref, "refs/tags/") {
		claims["ref_type"] = "tag"
	}
	jt := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	jt.Header["kid"] = e.oidc.kid
	s, err := jt.SignedString(e.oidc.key)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error(), "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": 1, "value": s})
}
