// Package ghemu is an in-process emulator of the GitHub REST API subset that
// modelpromote uses, plus signed webhook delivery, the Actions OIDC token
// endpoint, and plain views of the web pages API objects link to (web.go).
//
// The real go-github and ghinstallation clients talk to it unchanged; only
// the base URL differs (both https://api.github.com-style "/" and the GitHub
// Enterprise Server form "/api/v3/" are served). Every request and response
// is checked against GitHub's official OpenAPI description (a subset kept in
// openapi/subset.json.gz); failures are recorded (ValidationErrors) and, with
// the test helper ghemutest.New(t), fail the test at cleanup.
//
// How validation reports: a request that does not match the description is
// answered 422 "Invalid request." (as GitHub answers schema violations, with
// GitHub's wording for the limits clients hit: "No more than 50 items are
// allowed…", "Only 65535 characters are allowed…") and recorded; a request
// for an undocumented or unserved path is answered 404 and recorded; a
// response that does not match is recorded (and, WithStrictValidation,
// replaced by a 500); so is a webhook payload that does not match the
// description's webhook schema. ValidationErrors lists the records,
// TakeValidationErrors clears them (for tests that send bad requests on
// purpose), and ghemutest.New(t) reports each left at cleanup with t.Errorf.
//
// Responses are built from emulator state; properties the description
// requires but the emulator does not model (reaction counts, say) are added
// with zero values of the documented type, never overriding a present
// value, so a wrong type the emulator produced is still caught. Webhook
// payloads are completed the same way, from the @octokit/webhooks-examples
// payload of the same event and action first.
//
// State lives in memory: accounts, repositories backed by git-like objects
// (blobs, trees, commits with real git hashes), pull requests, reviews,
// comments, check runs, statuses, deployments and teams. Tests seed it from
// Go (CreateRepo, Push, OpenPullRequest, Review, Merge…), inject faults, and
// inspect it afterwards (Comments, CheckRuns, Deployments…).
package ghemu

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// Emulator is an emulated GitHub. Its methods are safe for concurrent use.
type Emulator struct {
	srv       *httptest.Server
	strict    bool
	rateLimit int
	mux       *http.ServeMux
	web       *http.ServeMux
	clock     func() time.Time

	mu       sync.Mutex
	seq      int64     // last ID handed out
	commitAt time.Time // logical clock for commit timestamps (deterministic SHAs)

	accounts      map[string]*account // by lower-case login
	tokens        map[string]*principal
	repos         map[string]*repo // by lower-case full name
	objects       objectStore
	app           *app           // the App the bot runs as
	actionsApp    *app           // github-actions, behind every ActionsToken
	apps          map[int64]*app // other Apps (AddApp)
	installations map[int64]*installation
	rateUsed      map[string]int // by token

	hooks      []*hook
	deliveries []*delivery
	pending    []*delivery // held deliveries, in the order they were emitted
	mode       DeliveryMode
	wg         sync.WaitGroup // async deliveries in flight

	faults  map[string][]*Fault
	latency map[string]time.Duration
	calls   map[string]int
	// inFlight and peak count concurrent calls per operation (PeakInFlight).
	inFlight map[string]int
	peak     map[string]int
	// archiveLinks are the codeload links handed out (archive.go).
	archiveLinks map[string]archiveLink

	verrs []ValidationError

	queues map[string][]*queueEntry // merge queues by "owner/name:branch" (mergequeue.go)

	oidc *oidcIssuer
}

// Option configures an Emulator.
type Option func(*config)

type config struct {
	appID     int64
	appSlug   string
	strict    bool
	appKey    *rsa.PrivateKey
	mode      DeliveryMode
	rateLimit int
	addr      string
	clock     func() time.Time
}

// WithApp sets the GitHub App's ID and slug (default 1000, "modelpromote").
func WithApp(id int64, slug string) Option {
	return func(c *config) { c.appID, c.appSlug = id, slug }
}

// WithAppKey uses key as the App's private key instead of the default one
// (generated once per process and shared by emulators).
func WithAppKey(key *rsa.PrivateKey) Option {
	return func(c *config) { c.appKey = key }
}

// WithStrictValidation makes a response that does not match GitHub's OpenAPI
// description reach the client as a 500 instead of passing through (it is
// recorded either way). Requests that do not match are always answered with
// 422, as GitHub answers them.
func WithStrictValidation() Option {
	return func(c *config) { c.strict = true }
}

// WithAddr listens on addr (e.g. "127.0.0.1:8080", for a demo) instead of
// a random local port.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr }
}

// WithClock makes now the clock of the timestamps objects carry (a world
// whose story starts in the past shares one clock with its AWS side).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithDeliveryMode sets how webhooks are delivered (default Sync).
func WithDeliveryMode(m DeliveryMode) Option {
	return func(c *config) { c.mode = m }
}

// New starts an emulator; call Close when done. Tests use ghemutest.New,
// which also fails the test on any OpenAPI mismatch.
func New(opts ...Option) (*Emulator, error) {
	cfg := config{appID: 1000, appSlug: "modelpromote", rateLimit: defaultRateLimit, clock: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.appKey == nil {
		cfg.appKey = sharedKey(0)
	}
	e := &Emulator{
		strict:        cfg.strict,
		clock:         cfg.clock,
		rateLimit:     cfg.rateLimit,
		commitAt:      time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		accounts:      map[string]*account{},
		tokens:        map[string]*principal{},
		repos:         map[string]*repo{},
		objects:       objectStore{},
		installations: map[int64]*installation{},
		rateUsed:      map[string]int{},
		mode:          cfg.mode,
		faults:        map[string][]*Fault{},
		latency:       map[string]time.Duration{},
		calls:         map[string]int{},
		inFlight:      map[string]int{},
		archiveLinks:  map[string]archiveLink{},
		peak:          map[string]int{},
		oidc:          newOIDCIssuer(),
	}
	e.app = &app{id: cfg.appID, slug: cfg.appSlug, name: cfg.appSlug, description: "GitOps promotions for ML models",
		externalURL: "https://github.com/modelpromote/modelpromote",
		owner:       &account{id: 1, login: "modelpromote", kind: "Organization"}, key: cfg.appKey, createdAt: time.Now().UTC(),
		permissions: appPermissions, events: appEvents}
	e.actionsApp = newActionsApp()
	e.apps = map[int64]*app{}
	e.bot() // the App's bot user exists from the start
	e.mux = e.routes()
	e.web = e.webRoutes()
	e.srv = httptest.NewUnstartedServer(e)
	if cfg.addr != "" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			e.srv.Close()
			return nil, fmt.Errorf("github emulator: listen on %s: %w", cfg.addr, err)
		}
		e.srv.Listener.Close()
		e.srv.Listener = l
	}
	e.srv.Start()
	return e, nil
}

// sharedKeys are generated once per process: RSA generation dominates the
// cost of an emulator, and tests start many. Index 0 is the default App key,
// 1 the Actions OIDC key.
var (
	sharedKeysOnce [2]sync.Once
	sharedKeys     [2]*rsa.PrivateKey
)

func sharedKey(i int) *rsa.PrivateKey {
	sharedKeysOnce[i].Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("ghemu: generate RSA key: %v", err))
		}
		sharedKeys[i] = key
	})
	return sharedKeys[i]
}

// Close stops the server after in-flight async deliveries finish.
func (e *Emulator) Close() {
	e.wg.Wait()
	e.srv.Close()
}

// URL is the API base URL, with a trailing slash (like https://api.github.com/).
func (e *Emulator) URL() string { return e.srv.URL + "/" }

// EnterpriseURL is the GitHub Enterprise Server form of the base URL
// (http://HOST/api/v3/), as go-github's WithEnterpriseURLs builds it.
func (e *Emulator) EnterpriseURL() string { return e.srv.URL + "/api/v3/" }

// Client returns a go-github client of the API at URL that authenticates
// with token (none when empty).
func (e *Emulator) Client(token string) *github.Client {
	c := github.NewClient(e.srv.Client())
	if token != "" {
		c = c.WithAuthToken(token)
	}
	u, _ := url.Parse(e.URL())
	c.BaseURL, c.UploadURL = u, u
	return c
}

// EnterpriseClient is Client for the GitHub Enterprise Server form of the
// API (http://HOST/api/v3/), configured with go-github's WithEnterpriseURLs.
func (e *Emulator) EnterpriseClient(token string) *github.Client {
	c := github.NewClient(e.srv.Client())
	if token != "" {
		c = c.WithAuthToken(token)
	}
	c, err := c.WithEnterpriseURLs(e.srv.URL, e.srv.URL)
	if err != nil {
		panic(err) // the server URL always parses
	}
	return c
}

// HTTPClient is an *http.Client suitable for talking to the emulator.
func (e *Emulator) HTTPClient() *http.Client { return e.srv.Client() }

// ServeHTTP serves the API at "/" and "/api/v3/", the Actions OIDC endpoint
// under "/_actions/".
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := e.srv.URL
	if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3"); ok && (p == "" || p[0] == '/') {
		r2 := r.Clone(r.Context())
		r2.URL.Path = p
		r2.URL.RawPath = ""
		if rp, ok := strings.CutPrefix(r.URL.RawPath, "/api/v3"); ok {
			r2.URL.RawPath = rp
		}
		r = r2
		base += "/api/v3"
	}
	if strings.HasPrefix(r.URL.Path, "/_actions/") {
		e.serveOIDC(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/_web/") {
		e.serveWeb(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/_codeload/") {
		e.serveCodeload(w, r)
		return
	}
	r = r.WithContext(withAPIBase(r.Context(), base))
	e.mux.ServeHTTP(w, r)
}

// nextID hands out IDs shared by every kind of object. Callers hold e.mu.
func (e *Emulator) nextID() int64 {
	e.seq++
	return e.seq
}

// now is the clock of the timestamps objects carry (created_at,
// submitted_at, merged_at, …), other than commit dates: the wall clock
// unless WithClock says otherwise. Token and JWT expiry are always judged
// against the wall clock, which clients sign and cache by.
func (e *Emulator) now() time.Time { return e.clock().UTC().Truncate(time.Second) }
