package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/server"
)

func init() {
	register("serve", "run the GitHub App webhook server", runServe)
}

// serveOptions are the flags of `modelpromote serve`. Secrets (the
// webhook secret, the private key) come from files or the environment,
// never from flags, and are never logged.
type serveOptions struct {
	IO                Streams
	conn              connection
	Addr              string
	AppID             int64
	KeyFile           string
	SecretFile        string
	Repos             string
	Dir               string
	Workers           int
	QueueSize         int
	MaxBody           int64
	ReconcileInterval time.Duration
	ReconcileWindow   time.Duration
	Lease             time.Duration
	ShutdownTimeout   time.Duration
	RecreateFailed    bool
	LogLevel          string
}

// Environment variables serve reads.
const (
	envKey           = "MODELPROMOTE_APP_PRIVATE_KEY" // the PEM itself
	envKeyFile       = "MODELPROMOTE_APP_PRIVATE_KEY_FILE"
	envSecret        = "MODELPROMOTE_WEBHOOK_SECRET"
	envSecretFile    = "MODELPROMOTE_WEBHOOK_SECRET_FILE"
	envRepos         = "MODELPROMOTE_REPOS"
	defaultServeAddr = ":8080"
)

func runServe(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	o := serveOptions{IO: s, conn: connection{f: f}}
	fs := newFlagSet("serve", "serve --app-id ID --app-key-file PEM [--addr :8080] [--repos owner/name,...]", s)
	fs.StringVar(&o.Addr, "addr", defaultServeAddr, "listen address")
	appIDFlag(fs, &o.AppID)
	fs.StringVar(&o.KeyFile, "app-key-file", "", "file holding the App's private key PEM (default $"+envKeyFile+", or the PEM in $"+envKey+")")
	fs.StringVar(&o.SecretFile, "webhook-secret-file", "", "file holding the webhook secret (default $"+envSecretFile+", or the secret in $"+envSecret+")")
	fs.StringVar(&o.Repos, "repos", "", "comma-separated allow-list of owner/name or owner/* (default $"+envRepos+"; empty: every installed repository)")
	o.conn.registerGitHub(fs, false)
	o.conn.registerAWS(fs)
	dirFlag(fs, &o.Dir, "promotions directory in each repository")
	fs.IntVar(&o.Workers, "workers", 4, "jobs run at once")
	fs.IntVar(&o.QueueSize, "queue-size", 100, "jobs waiting before deliveries are refused with 503")
	fs.Int64Var(&o.MaxBody, "max-body", 25<<20, "largest webhook body accepted, in bytes")
	fs.DurationVar(&o.ReconcileInterval, "reconcile-interval", 10*time.Minute, "how often to look for missed work (0: never)")
	fs.DurationVar(&o.ReconcileWindow, "reconcile-window", 24*time.Hour, "how far back merged pull requests are reconciled")
	fs.DurationVar(&o.Lease, "apply-lease", 15*time.Minute, "how long an apply lease lasts without renewal")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 60*time.Second, "on SIGTERM, how long running jobs may take to finish")
	fs.BoolVar(&o.RecreateFailed, "recreate-failed", false, "delete and recreate an endpoint found Failed (otherwise stop)")
	fs.StringVar(&o.LogLevel, "log-level", "info", "debug, info, warn or error")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, s, "unexpected argument %q: serve takes only flags", fs.Arg(0))
	}
	log, err := newLogger(s, o.LogLevel)
	if err != nil {
		return usageError(fs, s, "%v", err)
	}
	srv, app, err := o.server(ctx, log)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote serve: %v\n", err)
		return ExitUsage
	}
	ln, err := f.Listen(o.Addr)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote serve: %v\n", err)
		return ExitFail
	}
	return o.serve(ctx, srv, ln, app, log)
}

// serve runs until ctx ends, then shuts down gracefully.
func (o *serveOptions) serve(ctx context.Context, srv *server.Server, ln net.Listener, app *github.App, log *slog.Logger) int {
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	srv.Start()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "app_id", app.ID, "api", app.APIURL)
	code := ExitOK
	select {
	case <-ctx.Done():
	case err := <-errc:
		log.Error("http server", "err", err)
		code = ExitFail
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
		code = ExitFail
	}
	log.Info("stopped")
	return code
}

func (o *serveOptions) server(ctx context.Context, log *slog.Logger) (*server.Server, *github.App, error) {
	s := o.IO
	id, err := appID(s, o.AppID)
	if err != nil {
		return nil, nil, err
	}
	if o.AppID = id; o.AppID == 0 {
		return nil, nil, errors.New("--app-id (or $" + github.EnvAppID + ") is required")
	}
	key, err := secret(s, o.KeyFile, envKeyFile, envKey, "the App's private key")
	if err != nil {
		return nil, nil, err
	}
	hookSecret, err := secret(s, o.SecretFile, envSecretFile, envSecret, "the webhook secret")
	if err != nil {
		return nil, nil, err
	}
	app, err := o.conn.f.GitHubApp(o.conn.Connection, o.AppID, key)
	if err != nil {
		return nil, nil, err
	}
	bot, err := app.BotLogin(ctx)
	if err != nil {
		return nil, nil, err
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	repos := o.Repos
	if repos == "" {
		repos = s.Getenv(envRepos)
	}
	srv, err := server.New(server.Options{Secret: hookSecret, GitHub: app, BotLogin: bot, AppID: o.AppID, Repos: splitList(repos),
		AWS: awsCfg, S3PathStyle: o.conn.s3PathStyle(), Dir: o.Dir, Workers: o.Workers, QueueSize: o.QueueSize, MaxBody: o.MaxBody,
		ReconcileInterval: o.ReconcileInterval, ReconcileWindow: o.ReconcileWindow, Lease: o.Lease,
		RecreateFailed: o.RecreateFailed, Poll: o.conn.f.Poll, Logger: log, Version: Version})
	if err != nil {
		return nil, nil, err
	}
	app.OnResponse = srv.ObserveResponse
	return srv, app, nil
}

// secret reads a secret from a file (flag or environment) or straight from
// the environment.
func secret(s Streams, file, fileEnv, valueEnv, what string) ([]byte, error) {
	if file == "" {
		file = s.Getenv(fileEnv)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		if b = []byte(strings.TrimSpace(string(b))); len(b) == 0 {
			return nil, fmt.Errorf("%s in %s is empty", what, file)
		}
		return b, nil
	}
	if v := strings.TrimSpace(s.Getenv(valueEnv)); v != "" {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("%s is required: a file (%s flag or $%s) or $%s", what, flagOf(fileEnv), fileEnv, valueEnv)
}

func flagOf(env string) string {
	if env == envKeyFile {
		return "-app-key-file"
	}
	return "-webhook-secret-file"
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func newLogger(s Streams, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: l})), nil
}
