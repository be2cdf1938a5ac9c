package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gogh "github.com/google/go-github/v60/github"
)

// App authenticates as a GitHub App: a JWT signed with the App's private
// key for the App's own endpoints, and an installation token (one hour,
// refreshed by ghinstallation) for each installation's repositories.
type App struct {
	ID int64
	// APIURL is the API base URL with a trailing slash: https://api.github.com/
	// or, for GitHub Enterprise Server, https://HOST/api/v3/.
	APIURL string
	// OnResponse, when set, sees every API response made with an
	// installation token (the server reads rate limits from it).
	OnResponse func(installationID int64, resp *http.Response)

	base http.RoundTripper
	apps *ghinstallation.AppsTransport
	jwt  *gogh.Client

	mu       sync.Mutex
	clients  map[int64]*gogh.Client
	installs map[string]int64 // owner/name → installation, as found
}

// DefaultAPIURL is github.com's API.
const DefaultAPIURL = "https://api.github.com/"

// NewApp returns the App with id and its PEM private key. apiURL is the
// API base URL ("" for github.com); base carries the requests
// (http.DefaultTransport when nil). The key is kept only inside the
// transport that signs JWTs.
func NewApp(id int64, privateKeyPEM []byte, apiURL string, base http.RoundTripper) (*App, error) {
	if id <= 0 {
		return nil, fmt.Errorf("app ID %d is not positive", id)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	apps, err := ghinstallation.NewAppsTransport(base, id, privateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("app private key: %w", err)
	}
	apps.BaseURL = strings.TrimSuffix(apiURL, "/")
	a := &App{ID: id, APIURL: apiURL, base: base, apps: apps, clients: map[int64]*gogh.Client{}, installs: map[string]int64{}}
	if a.jwt, err = a.client(&http.Client{Transport: apps}); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *App) client(hc *http.Client) (*gogh.Client, error) {
	c := gogh.NewClient(hc)
	if a.APIURL == DefaultAPIURL {
		return c, nil
	}
	c, err := c.WithEnterpriseURLs(a.APIURL, a.APIURL)
	if err != nil {
		return nil, fmt.Errorf("API URL %s: %w", a.APIURL, err)
	}
	return c, nil
}

// BotLogin returns the login the App acts as ("SLUG[bot]"), read with
// GET /app.
func (a *App) BotLogin(ctx context.Context) (string, error) {
	app, _, err := a.jwt.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("get app %d: %w", a.ID, err)
	}
	return app.GetSlug() + "[bot]", nil
}

// Installation returns the ID of the App's installation on owner/name
// (GET /repos/{owner}/{repo}/installation).
func (a *App) Installation(ctx context.Context, owner, name string) (int64, error) {
	inst, _, err := a.jwt.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		return 0, fmt.Errorf("find installation of %s/%s: %w", owner, name, err)
	}
	return inst.GetID(), nil
}

// Client returns the client of one installation; clients are kept, so
// their tokens are reused until ghinstallation refreshes them.
func (a *App) Client(installationID int64) (*gogh.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[installationID]; ok {
		return c, nil
	}
	itr := ghinstallation.NewFromAppsTransport(a.apps, installationID)
	itr.BaseURL = a.apps.BaseURL
	var rt http.RoundTripper = itr
	if a.OnResponse != nil {
		rt = observed{rt: itr, id: installationID, fn: a.OnResponse}
	}
	c, err := a.client(&http.Client{Transport: &RetryTransport{Base: rt}})
	if err != nil {
		return nil, err
	}
	a.clients[installationID] = c
	return c, nil
}

// Repo returns the adapter for fullName ("owner/name") acting as the
// installation installationID (found with Installation when 0, and
// remembered).
func (a *App) Repo(ctx context.Context, installationID int64, fullName string) (*Repo, error) {
	owner, name, err := ParseRepo(fullName)
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(fullName)
	a.mu.Lock()
	if installationID == 0 {
		installationID = a.installs[key]
	} else if len(a.installs) < maxRemembered {
		a.installs[key] = installationID
	}
	a.mu.Unlock()
	if installationID == 0 {
		if installationID, err = a.Installation(ctx, owner, name); err != nil {
			return nil, err
		}
		a.mu.Lock()
		if len(a.installs) < maxRemembered {
			a.installs[key] = installationID
		}
		a.mu.Unlock()
	}
	c, err := a.Client(installationID)
	if err != nil {
		return nil, err
	}
	return NewRepo(c, owner, name), nil
}

// maxRemembered bounds the repositories whose installation is remembered.
const maxRemembered = 10000

// observed reports each response to fn.
type observed struct {
	rt http.RoundTripper
	id int64
	fn func(int64, *http.Response)
}

func (o observed) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.rt.RoundTrip(req)
	if err == nil {
		o.fn(o.id, resp)
	}
	return resp, err
}
