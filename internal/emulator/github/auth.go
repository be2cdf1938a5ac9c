package ghemu

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// account is a user, organization or bot.
type account struct {
	id        int64
	login     string
	kind      string // "User", "Organization", "Bot"
	createdAt time.Time
	teams     map[string]*team // organizations only, by slug
}

// app is a GitHub App: the one the bot runs as (Emulator.app), the
// github-actions App behind every Actions GITHUB_TOKEN, or another App
// installed beside them (AddApp).
type app struct {
	id          int64
	slug        string
	name        string
	description string
	externalURL string
	owner       *account // who registered the App (not a login of the emulator)
	key         *rsa.PrivateKey
	createdAt   time.Time
	permissions map[string]string
	events      []string
}

// ActionsAppID is the ID of the github-actions App, the App every Actions
// GITHUB_TOKEN belongs to; it is what GitHub shows as the "app" of a check
// run created with that token (e.g. "Invalid app_id `15368` - check run can
// only be modified by the GitHub App that created it.",
// https://github.com/OP5dev/TF-via-PR/issues/538).
const ActionsAppID = 15368

// newActionsApp is the github-actions App as GitHub describes it in check
// runs it created.
func newActionsApp() *app {
	return &app{id: ActionsAppID, slug: "github-actions", name: "GitHub Actions",
		description: "Automate your workflow from idea to production", externalURL: "https://help.github.com/en/actions",
		owner:     &account{id: 9919, login: "github", kind: "Organization"},
		createdAt: time.Date(2018, 7, 30, 9, 30, 17, 0, time.UTC),
		permissions: map[string]string{"actions": "write", "checks": "write", "contents": "write", "deployments": "write",
			"issues": "write", "metadata": "read", "packages": "write", "pull_requests": "write", "statuses": "write"},
		events: []string{"check_run", "check_suite", "pull_request", "push", "workflow_dispatch"}}
}

// installation is an App installed on an account (all its repositories).
type installation struct {
	id        int64
	app       *app
	account   *account
	createdAt time.Time
}

// principal is who a token stands for.
type principal struct {
	token   string
	user    *account      // the acting user (the bot for installation tokens)
	inst    *installation // nil for user tokens
	expires time.Time     // zero: never
	repos   map[string]bool
	// actions marks an Actions GITHUB_TOKEN; readOnly one that may not
	// write (what a pull request from a fork gets).
	actions  bool
	readOnly bool
}

// AppInfo is the emulated GitHub App's identity, for configuring
// ghinstallation or the bot.
type AppInfo struct {
	ID            int64
	Slug          string
	PrivateKey    *rsa.PrivateKey
	PrivateKeyPEM []byte // PKCS#1, as GitHub hands it out
	BotLogin      string // "SLUG[bot]"
}

// App returns the App's identity and private key.
func (e *Emulator) App() AppInfo {
	return AppInfo{
		ID:            e.app.id,
		Slug:          e.app.slug,
		PrivateKey:    e.app.key,
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(e.app.key)}),
		BotLogin:      e.app.slug + "[bot]",
	}
}

// bot returns the App's bot user, creating it. Callers hold e.mu or are
// constructing the emulator.
func (e *Emulator) bot() *account { return e.botOf(e.app) }

// botOf returns a's bot user, SLUG[bot], creating it.
func (e *Emulator) botOf(a *app) *account {
	login := a.slug + "[bot]"
	if acc := e.accounts[strings.ToLower(login)]; acc != nil {
		return acc
	}
	return e.addAccount(login, "Bot")
}

// AddApp registers another GitHub App beside the bot's (a CI App, say,
// with its own checks: write), for tests of what such an App can do. It
// returns the App's identity; InstallApp installs it. Its key does not
// sign JWTs the emulator accepts: its installation tokens come from
// InstallationToken.
func (e *Emulator) AddApp(slug string) (AppInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if strings.EqualFold(slug, e.app.slug) || strings.EqualFold(slug, e.actionsApp.slug) {
		return AppInfo{}, fmt.Errorf("an App %s exists", slug)
	}
	for _, a := range e.apps {
		if strings.EqualFold(a.slug, slug) {
			return AppInfo{}, fmt.Errorf("an App %s exists", slug)
		}
	}
	a := &app{id: e.nextID(), slug: slug, name: slug, description: "",
		owner: &account{id: e.nextID(), login: slug + "-org", kind: "Organization"}, key: sharedKey(0), createdAt: e.now(),
		permissions: map[string]string{"checks": "write", "contents": "read", "metadata": "read"}, events: []string{"check_run", "check_suite"}}
	e.apps[a.id] = a
	e.botOf(a)
	return AppInfo{ID: a.id, Slug: a.slug, BotLogin: a.slug + "[bot]"}, nil
}

// InstallApp installs the App appID (AddApp) on the account owner and
// returns the installation ID, for InstallationToken.
func (e *Emulator) InstallApp(appID int64, owner string) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.apps[appID]
	if a == nil {
		return 0, fmt.Errorf("no App %d (AddApp)", appID)
	}
	acc := e.account(owner)
	if acc == nil {
		acc = e.addAccount(owner, "Organization")
	}
	return e.install(a, acc).id, nil
}

// install returns a's installation on acc, creating it. Callers hold e.mu.
func (e *Emulator) install(a *app, acc *account) *installation {
	for _, in := range e.installations {
		if in.app == a && in.account == acc {
			return in
		}
	}
	in := &installation{id: e.nextID(), app: a, account: acc, createdAt: e.now()}
	e.installations[in.id] = in
	return in
}

func (e *Emulator) addAccount(login, kind string) *account {
	a := &account{id: e.nextID(), login: login, kind: kind, createdAt: e.now(), teams: map[string]*team{}}
	e.accounts[strings.ToLower(login)] = a
	return a
}

func (e *Emulator) account(login string) *account { return e.accounts[strings.ToLower(login)] }

func newToken(prefix string) string {
	b := make([]byte, 18)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Install installs the App on the account owner (created as an organization
// if unknown) and returns the installation ID.
func (e *Emulator) Install(owner string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.account(owner)
	if a == nil {
		a = e.addAccount(owner, "Organization")
	}
	return e.install(e.app, a).id
}

// InstallationToken issues an installation token directly (what
// ghinstallation would obtain), valid for an hour.
func (e *Emulator) InstallationToken(installationID int64) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.installations[installationID]
	if in == nil {
		return "", fmt.Errorf("no installation %d", installationID)
	}
	return e.issueInstallationToken(in, nil).token, nil
}

func (e *Emulator) issueInstallationToken(in *installation, repos map[string]bool) *principal {
	p := &principal{token: newToken("ghs_"), user: e.botOf(in.app), inst: in, expires: time.Now().Add(time.Hour), repos: repos}
	e.tokens[p.token] = p
	return p
}

// ActionsToken issues what an Actions job gets as GITHUB_TOKEN for repo
// (OWNER/NAME): an installation token of the github-actions App, acting as
// github-actions[bot], limited to that repository. A readOnly token (a
// pull request from a fork) is refused every write with 403. Neither can
// read organization team memberships, as on GitHub.
func (e *Emulator) ActionsToken(repo string, readOnly bool) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.repoByFullName(repo)
	if err != nil {
		return "", err
	}
	bot := e.account("github-actions[bot]")
	if bot == nil {
		bot = e.addAccount("github-actions[bot]", "Bot")
	}
	in := &installation{id: e.nextID(), app: e.actionsApp, account: r.owner, createdAt: e.now()}
	p := &principal{token: newToken("ghs_"), user: bot, inst: in, expires: time.Now().Add(time.Hour),
		repos: map[string]bool{strings.ToLower(r.name): true}, actions: true, readOnly: readOnly}
	e.tokens[p.token] = p
	return p.token, nil
}

// AppJWT signs a JWT for the App the way ghinstallation does (RS256, iss =
// App ID), valid for ttl.
func (e *Emulator) AppJWT(ttl time.Duration) string {
	iat := time.Now().Add(-30 * time.Second)
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(e.app.id, 10),
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(iat.Add(ttl)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(e.app.key)
	if err != nil {
		panic(err)
	}
	return s
}

// authenticate identifies the caller. It returns GitHub's 401 message when
// the operation's credentials are missing or invalid.
func (c *call) authenticate() (string, bool) {
	h := c.r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "token", "bearer":
	default:
		cred = ""
	}
	e := c.e
	if c.rt.auth == authJWT {
		if msg := e.verifyJWT(cred); msg != "" {
			return msg, false
		}
		return "", true
	}
	if cred == "" {
		if c.rt.auth == authNone {
			return "", true
		}
		return "Requires authentication", false
	}
	e.mu.Lock()
	p := e.tokens[cred]
	e.mu.Unlock()
	if p == nil || (!p.expires.IsZero() && time.Now().After(p.expires)) {
		return "Bad credentials", false
	}
	c.who = p
	return "", true
}

// writePermissions names, for each operation that writes, the App
// permissions any one of which, at write, lets an installation token do it
// (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
var writePermissions = map[string][]string{
	"checks/create": {"checks"}, "checks/update": {"checks"},
	"git/create-ref": {"contents"}, "git/update-ref": {"contents"},
	"pulls/merge": {"contents"}, "repos/create-or-update-file-contents": {"contents"},
	"issues/create":     {"issues"},
	"issues/update":     {"issues", "pull_requests"},
	"issues/add-labels": {"issues", "pull_requests"}, "issues/remove-label": {"issues", "pull_requests"},
	"issues/create-comment": {"issues", "pull_requests"}, "issues/update-comment": {"issues", "pull_requests"},
	"pulls/create": {"pull_requests"}, "pulls/update": {"pull_requests"},
	"pulls/create-review": {"pull_requests"}, "pulls/dismiss-review": {"pull_requests"},
	"repos/create-commit-status": {"statuses"},
	"repos/create-deployment":    {"deployments"}, "repos/create-deployment-status": {"deployments"},
}

// authorize refuses what the caller's token may not do: writes with a
// read-only token, writes its App has no permission for (an installation
// acts with its App's permissions; a write the table does not know is
// refused), team reads with an Actions token.
func (c *call) authorize() (string, bool) {
	if c.who == nil {
		return "", true
	}
	write := c.r.Method != http.MethodGet && c.r.Method != http.MethodHead
	if c.who.readOnly && write {
		return "Resource not accessible by integration", false
	}
	if in := c.who.inst; in != nil && write && c.rt.auth == authToken && (in.app == nil ||
		!slices.ContainsFunc(writePermissions[c.rt.id], func(p string) bool { return in.app.permissions[p] == "write" })) {
		return "Resource not accessible by integration", false
	}
	if c.who.actions && strings.HasPrefix(c.rt.id, "teams/") {
		return "Resource not accessible by integration", false
	}
	return "", true
}

// verifyJWT checks an App JWT as GitHub does: RS256 signed with the App's
// key, iss the App ID, exp at most 10 minutes ahead (60 s clock drift
// allowed), iat present. It returns GitHub's message when refused.
func (e *Emulator) verifyJWT(raw string) (refusal string) {
	if raw == "" {
		return "A JSON web token could not be decoded"
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return &e.app.key.PublicKey, nil
	})
	var ve *jwt.ValidationError
	switch {
	case err == nil:
	case asValidationError(err, &ve) && ve.Errors&jwt.ValidationErrorExpired != 0:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case asValidationError(err, &ve) && ve.Errors&jwt.ValidationErrorIssuedAt != 0:
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	default:
		return "A JSON web token could not be decoded"
	}
	if claims.ExpiresAt == nil {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	if claims.IssuedAt == nil {
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	if claims.ExpiresAt.Time.After(time.Now().Add(10*time.Minute + time.Minute)) {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	if claims.Issuer != strconv.FormatInt(e.app.id, 10) {
		return "Integration not found"
	}
	return ""
}

func asValidationError(err error, target **jwt.ValidationError) bool {
	ve, ok := err.(*jwt.ValidationError)
	if ok {
		*target = ve
	}
	return ok
}

// canSee reports whether the caller may see repository r: installation
// tokens only see their installation's account (and the repositories the
// token was narrowed to); user tokens see everything.
func (c *call) canSee(r *repo) bool {
	if c.who == nil {
		return true
	}
	if c.who.inst == nil {
		return true
	}
	if c.who.inst.account != r.owner {
		return false
	}
	return c.who.repos == nil || c.who.repos[strings.ToLower(r.name)]
}

// actor is the calling user (the bot for installation tokens).
func (c *call) actor() *account {
	if c.who == nil {
		return nil
	}
	return c.who.user
}

func (e *Emulator) appRoutes() []route {
	return []route{
		{id: "apps/get-authenticated", method: "GET", path: "/app", auth: authJWT, handle: (*call).getApp},
		{id: "apps/get-repo-installation", method: "GET", path: "/repos/{owner}/{repo}/installation", auth: authJWT, handle: (*call).getRepoInstallation},
		{id: "apps/create-installation-access-token", method: "POST", path: "/app/installations/{installation_id}/access_tokens", auth: authJWT, handle: (*call).createAccessToken},
		{id: "rate-limit/get", method: "GET", path: "/rate_limit", auth: authNone, handle: (*call).getRateLimit},
	}
}

var appPermissions = map[string]string{
	"checks": "write", "contents": "write", "deployments": "write", "issues": "write",
	"metadata": "read", "pull_requests": "write", "statuses": "write", "members": "read", "merge_queues": "read",
}

var appEvents = []string{"check_run", "issue_comment", "merge_group", "pull_request", "pull_request_review", "push"}

func (c *call) getApp() {
	m := c.e.appJSON(c.u(), c.e.app)
	m["client_id"] = fmt.Sprintf("Iv1.%016x", c.e.app.id)
	c.json(http.StatusOK, m)
}

func (c *call) getRepoInstallation() {
	r := c.e.repo(c.r.PathValue("owner"), c.r.PathValue("repo"))
	if r == nil {
		c.notFound()
		return
	}
	for _, in := range c.e.installations {
		if in.app == c.e.app && in.account == r.owner {
			c.json(http.StatusOK, installationJSON(c.u(), c.e.app, in))
			return
		}
	}
	c.notFound()
}

func installationJSON(u urls, a *app, in *installation) map[string]any {
	return map[string]any{
		"id":                   in.id,
		"account":              userJSON(u, in.account),
		"repository_selection": "all",
		"access_tokens_url":    u.api(fmt.Sprintf("/app/installations/%d/access_tokens", in.id)),
		"repositories_url":     u.api("/installation/repositories"),
		"html_url":             u.html(fmt.Sprintf("/organizations/%s/settings/installations/%d", in.account.login, in.id)),
		"app_id":               a.id,
		"app_slug":             a.slug,
		"target_id":            in.account.id,
		"target_type":          in.account.kind,
		"permissions":          a.permissions,
		"events":               a.events,
		"created_at":           ts(in.createdAt),
		"updated_at":           ts(in.createdAt),
		"single_file_name":     nil,
		"suspended_by":         nil,
		"suspended_at":         nil,
	}
}

func (c *call) createAccessToken() {
	id, ok := c.intParam("installation_id")
	if !ok {
		return
	}
	in := c.e.installations[id]
	if in == nil || in.app != c.e.app { // the JWT is the bot's App's
		c.notFound()
		return
	}
	var req struct {
		Repositories []string `json:"repositories"`
	}
	if !c.decode(&req) {
		return
	}
	var repos map[string]bool
	if len(req.Repositories) > 0 {
		repos = map[string]bool{}
		for _, name := range req.Repositories {
			if c.e.repo(in.account.login, name) == nil {
				c.invalid(fieldError{Resource: "Repository", Code: "invalid", Message: "There is at least one repository that does not exist or is not accessible to the parent installation."})
				return
			}
			repos[strings.ToLower(name)] = true
		}
	}
	p := c.e.issueInstallationToken(in, repos)
	selection := "all"
	if repos != nil {
		selection = "selected"
	}
	c.json(http.StatusCreated, map[string]any{
		"token":                p.token,
		"expires_at":           ts(p.expires),
		"permissions":          appPermissions,
		"repository_selection": selection,
	})
}
