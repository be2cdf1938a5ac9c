package awsemu

import (
	"crypto"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	s3svc "github.com/modelpromote/modelpromote/internal/emulator/aws/s3"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
	stssvc "github.com/modelpromote/modelpromote/internal/emulator/aws/sts"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Region is the region Config hands to clients; default us-east-1.
	Region string
	// DataDir is where S3 object bytes live; default a fresh temporary
	// directory removed by Close.
	DataDir string
	// Logger receives one line per request (never credentials); default
	// discards.
	Logger *slog.Logger
	// RequestLogLimit bounds the entries Requests keeps (the oldest go
	// first); default 100,000, negative for no limit. Counts are exact
	// regardless.
	RequestLogLimit int
}

// Role is an IAM role with its trust rules; see [stssvc.Role].
type Role = stssvc.Role

// WebIdentityTrust lets OIDC identities assume a role; see
// [stssvc.WebIdentityTrust].
type WebIdentityTrust = stssvc.WebIdentityTrust

// Server is the emulator: an http.Handler plus seeding, faults and
// inspection. Create it with New, then Start it (or serve it yourself).
type Server struct {
	region string
	logger *slog.Logger
	store  *identity.Store
	sts    *stssvc.Service
	s3     *s3svc.Service
	faults faultSet
	// unreachable are the accounts no request may reach (unreachable.go).
	unreachable unreachableSet
	log         requestLog

	mu       sync.RWMutex
	services map[string]service.Service
	offset   time.Duration // added to the wall clock, see Advance

	ts *httptest.Server
}

// New returns a server with STS and S3 mounted and no accounts.
func New(opts Options) (*Server, error) {
	s := &Server{
		region:   opts.Region,
		logger:   opts.Logger,
		store:    identity.NewStore(),
		services: map[string]service.Service{},
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.RequestLogLimit == 0:
		s.log.limit = defaultLogLimit
	case opts.RequestLogLimit > 0:
		s.log.limit = max(opts.RequestLogLimit, 2)
	}
	var err error
	s.s3, err = s3svc.New(s3svc.Options{Dir: opts.DataDir, Now: s.Now, Region: s.region})
	if err != nil {
		return nil, fmt.Errorf("new aws emulator: %w", err)
	}
	s.sts = stssvc.New(s.store, s.Now)
	s.Mount(s.sts)
	s.Mount(s.s3)
	return s, nil
}

// Mount serves svc under its SigV4 signing name, replacing any service
// mounted under the same name.
func (s *Server) Mount(svc service.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[svc.Name()] = svc
}

// Start serves plain HTTP on a loopback port until Close.
func (s *Server) Start() error {
	if s.ts != nil {
		return fmt.Errorf("start aws emulator: already started at %s", s.ts.URL)
	}
	s.ts = httptest.NewServer(s)
	return nil
}

// StartTLS serves HTTPS on a loopback port until Close, with a certificate
// that Config's HTTP client trusts. Over TLS the S3 client streams bodies
// aws-chunked with a trailing checksum, as it does against AWS; over plain
// HTTP it sends a header checksum and refuses unseekable bodies.
func (s *Server) StartTLS() error {
	if s.ts != nil {
		return fmt.Errorf("start aws emulator: already started at %s", s.ts.URL)
	}
	s.ts = httptest.NewTLSServer(s)
	return nil
}

// URL is the base endpoint clients use, e.g. http://127.0.0.1:41234; ""
// before Start.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close stops serving and removes the data directory if New created it.
func (s *Server) Close() error {
	if s.ts != nil {
		s.ts.Close()
	}
	if err := s.s3.Close(); err != nil {
		return fmt.Errorf("close aws emulator: %w", err)
	}
	return nil
}

// Region is the region the emulator hands to clients.
func (s *Server) Region() string { return s.region }

// Now is the emulator's clock: the wall clock moved by Advance. Signing
// times are not checked against it; credential and token expiry are.
func (s *Server) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return time.Now().Add(s.offset)
}

// Advance moves the emulator's clock forward, e.g. to expire sessions.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// AddAccount creates an account with an "admin" IAM user and returns that
// user's long-term credentials.
func (s *Server) AddAccount(name, id string) (aws.Credentials, error) {
	if err := s.store.AddAccount(name, id); err != nil {
		return aws.Credentials{}, err
	}
	return s.AddUser(id, "admin")
}

// AddUser creates an IAM user in an account and returns its long-term
// credentials.
func (s *Server) AddUser(accountID, user string) (aws.Credentials, error) {
	k, err := s.store.AddUser(accountID, user)
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, Source: "awsemu"}, nil
}

// Accounts lists the emulated accounts.
func (s *Server) Accounts() []identity.Account { return s.store.Accounts() }

// AddRole creates a role with its trust rules.
func (s *Server) AddRole(r Role) error { return s.sts.AddRole(r) }

// TrustOIDCProvider registers an OIDC identity provider (e.g.
// https://token.actions.githubusercontent.com) whose RS256 tokens
// AssumeRoleWithWebIdentity accepts when signed with key.
func (s *Server) TrustOIDCProvider(issuerURL string, key crypto.PublicKey) {
	s.sts.TrustOIDCProvider(issuerURL, key)
}

// S3 gives access to the S3 service for seeding and inspection.
func (s *Server) S3() *s3svc.Service { return s.s3 }

// STS gives access to the STS service.
func (s *Server) STS() *stssvc.Service { return s.sts }

// InjectFault installs a fault; call the returned function to remove it.
func (s *Server) InjectFault(f Fault) (remove func()) { return s.faults.add(f) }

// ClearFaults removes every installed fault.
func (s *Server) ClearFaults() { s.faults.clear() }

func (s *Server) service(name string) service.Service {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.services[name]
}
