package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
)

// Connector reaches a repository as one of the App's installations.
// *github.App implements it.
type Connector interface {
	Repo(ctx context.Context, installationID int64, fullName string) (*github.Repo, error)
	// Installation asks the App API which installation of the App is on
	// owner/name (GET /repos/{owner}/{repo}/installation); GitHub answers
	// 404 when the App is not installed there.
	Installation(ctx context.Context, owner, name string) (int64, error)
}

// Options configure a Server. Secret, GitHub and BotLogin are required.
type Options struct {
	// Secret is the webhook secret deliveries are signed with.
	Secret []byte
	// GitHub reaches repositories as the App.
	GitHub Connector
	// BotLogin is the App's bot user ("SLUG[bot]"): events it caused are
	// ignored.
	BotLogin string
	// AppID is the App's ID: only check runs the App created stand for a
	// pull request's check, in apply and in reconciliation.
	AppID int64
	// Repos is the allow-list: "owner/name" or "owner/*". Empty allows
	// every repository the App is installed on.
	Repos []string

	AWS         aws.Config
	S3PathStyle bool
	// Dir is the promotions directory (default "promotions"); a repository
	// without Dir/modelpromote.yaml on its default branch is ignored.
	Dir string

	Workers   int   // default 4
	QueueSize int   // jobs waiting; default 100
	MaxBody   int64 // bytes; default 25 MiB, GitHub's payload cap
	// BodyBudget bounds the bytes of delivery bodies read at once, before
	// their signatures can be checked (default 32 MiB: the largest
	// delivery at a time, or thousands of ordinary ones); BodyWait is how long a
	// delivery waits for its share before a 503 (default 5 s, within
	// GitHub's 10 s).
	BodyBudget int64
	BodyWait   time.Duration
	// Deliveries and DeliveryTTL bound the delivery IDs remembered for
	// deduplication (default 10,000 and 24 h).
	Deliveries  int
	DeliveryTTL time.Duration

	// ReconcileInterval is how often reconciliation runs (0: only when
	// Reconcile is called); ReconcileWindow is how far back merged pull
	// requests are looked at (default 24 h).
	ReconcileInterval time.Duration
	ReconcileWindow   time.Duration
	// Lease is how long an apply lease lasts without renewal (default 15 min).
	Lease time.Duration
	// Replica names this process in leases (default host-pid).
	Replica string

	// Apply settings, as `modelpromote apply` has them.
	Poll            time.Duration
	EndpointTimeout time.Duration
	RecreateFailed  bool

	Logger  *slog.Logger
	Now     func() time.Time // the clock of checks and applies (time.Now)
	Version string
}

// Server is the webhook server. Start its workers with Start, serve
// Handler, and stop with Shutdown.
type Server struct {
	opts    Options
	log     *slog.Logger
	queue   *queue
	seen    *deliveries
	bodies  *bodyBudget
	metrics *metrics
	configs *configCache
	// notifier announces apply outcomes; its counts are in /metrics.
	notifier *notify.Notifier

	ready   atomic.Bool
	started atomic.Bool
	workers sync.WaitGroup
	// work is the context jobs run in: cancelled when a shutdown's
	// deadline passes.
	work       context.Context
	cancelWork context.CancelFunc
	stopLoop   chan struct{}
	loopDone   chan struct{}

	mu    sync.Mutex
	known map[string]int64 // repositories seen → installation
}

// New returns a server.
func New(opts Options) (*Server, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("a webhook secret is required")
	}
	if opts.GitHub == nil {
		return nil, errors.New("a GitHub connector is required")
	}
	if opts.BotLogin == "" {
		return nil, errors.New("the App's bot login is required")
	}
	if opts.AppID <= 0 {
		return nil, errors.New("the App's ID is required: only check runs it created count")
	}
	for _, r := range opts.Repos {
		if _, _, err := github.ParseRepo(r); err != nil {
			return nil, fmt.Errorf("allow-list: %w", err)
		}
	}
	setDefault(&opts.Dir, manifest.DefaultDir)
	setDefault(&opts.Workers, 4)
	setDefault(&opts.QueueSize, 100)
	setDefault(&opts.MaxBody, 25<<20)
	setDefault(&opts.BodyBudget, 32<<20)
	setDefault(&opts.BodyWait, 5*time.Second)
	if opts.BodyBudget < opts.MaxBody {
		opts.BodyBudget = opts.MaxBody // the largest delivery must fit
	}
	setDefault(&opts.Deliveries, 10000)
	setDefault(&opts.DeliveryTTL, 24*time.Hour)
	setDefault(&opts.ReconcileWindow, 24*time.Hour)
	setDefault(&opts.Lease, 15*time.Minute)
	if opts.Replica == "" {
		host, _ := os.Hostname()
		opts.Replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, log: opts.Logger, queue: newQueue(opts.QueueSize), metrics: newMetrics(),
		seen: newDeliveries(opts.Deliveries, opts.DeliveryTTL, time.Now), configs: newConfigCache(time.Minute),
		bodies: newBodyBudget(opts.BodyBudget),
		known:  map[string]int64{}, stopLoop: make(chan struct{}), loopDone: make(chan struct{}),
		notifier: &notify.Notifier{Logger: opts.Logger}}
	s.work, s.cancelWork = context.WithCancel(context.Background())
	for _, r := range opts.Repos {
		if !strings.HasSuffix(r, "/*") {
			s.known[r] = 0
		}
	}
	return s, nil
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// ObserveResponse records a GitHub response's rate limit; give it to
// github.App.OnResponse.
func (s *Server) ObserveResponse(installation int64, resp *http.Response) {
	s.metrics.observeResponse(installation, resp)
}

// Handler serves /webhook, /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.webhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		queued, running := s.queue.depth()
		s.metrics.write(w, queued, running, s.seen.len())
		writeNotifications(w, s.notifier.Counts())
	})
	return mux
}

// Start starts the workers and, with a reconcile interval, reconciliation
// (a first pass at once, to pick up what a previous process left).
func (s *Server) Start() {
	if !s.started.CompareAndSwap(false, true) {
		return
	}
	for range s.opts.Workers {
		s.workers.Go(s.worker)
	}
	s.ready.Store(true)
	if s.opts.ReconcileInterval <= 0 {
		close(s.loopDone)
		return
	}
	go s.reconcileLoop()
}

func (s *Server) reconcileLoop() {
	defer close(s.loopDone)
	t := time.NewTicker(s.opts.ReconcileInterval)
	defer t.Stop()
	for {
		if err := s.Reconcile(s.work); err != nil {
			s.log.Warn("reconcile", "err", err)
		}
		select {
		case <-s.stopLoop:
			return
		case <-t.C:
		}
	}
}

// Shutdown stops taking work and waits for the jobs running to finish;
// when ctx ends first, it cancels them. Jobs still queued are dropped:
// reconciliation on the next start finds them again. Stop the HTTP server
// first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	if s.started.CompareAndSwap(false, true) { // never started: nothing runs
		close(s.loopDone)
	}
	left := s.queue.close()
	select {
	case <-s.stopLoop:
	default:
		close(s.stopLoop)
	}
	if left > 0 {
		s.log.Info("shutdown: queued jobs left for reconciliation", "jobs", left)
	}
	done := make(chan struct{})
	go func() {
		s.workers.Wait()
		<-s.loopDone
		close(done)
	}()
	select {
	case <-done:
		s.cancelWork()
		return nil
	case <-ctx.Done():
		s.cancelWork()
		<-done
		return fmt.Errorf("shutdown: running jobs cancelled: %w", ctx.Err())
	}
}

// WaitIdle waits until no job is queued or running (tests, demos).
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		if q, r := s.queue.depth(); q == 0 && r == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// allowed reports whether the allow-list admits repo.
func (s *Server) allowed(repo string) bool {
	if len(s.opts.Repos) == 0 {
		return true
	}
	owner, _, _ := strings.Cut(repo, "/")
	for _, r := range s.opts.Repos {
		if strings.EqualFold(r, repo) || strings.EqualFold(r, owner+"/*") {
			return true
		}
	}
	return false
}
