package awsemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// maxBufferedBody bounds the bodies of non-S3 requests, which the core reads
// whole to hash them for signature verification.
const maxBufferedBody = 64 << 20

// UnsignedOperations is implemented by services that accept some requests
// without a signature (STS AssumeRoleWithWebIdentity). AllowsUnsigned must
// leave r.Body readable.
type UnsignedOperations interface {
	AllowsUnsigned(r *http.Request) bool
}

// ServeHTTP authenticates r, applies faults, logs it and hands it to the
// service named in its credential scope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w}
	entry := Request{Time: s.Now(), Path: r.URL.Path}
	defer func() {
		entry.Status = rec.status()
		entry.Duration = time.Since(start)
		s.log.add(entry, start)
		s.logger.Info("aws request", "service", entry.Service, "op", entry.Operation,
			"account", entry.Account, "caller", entry.Caller, "status", entry.Status, "fault", entry.Fault)
	}()

	svc, caller, apiErr := s.authenticate(r)
	if svc == nil {
		drain(r)
		writeBareError(rec, apiErr)
		return
	}
	entry.Service = svc.Name()
	entry.Operation = svc.Operation(r)
	entry.Account, entry.Caller = caller.Account, caller.ARN
	if apiErr != nil {
		drain(r)
		svc.WriteError(rec, r, apiErr.Status, apiErr.Code, apiErr.Message)
		return
	}
	if s.reachesUnreachable(entry.Service, r, caller) {
		entry.Fault = "unreachable"
		drain(r)
		e := errAccessDenied(entry.Service, caller.ARN, entry.Operation)
		svc.WriteError(rec, r, e.Status, e.Code, e.Message)
		return
	}
	latency, fault, name := s.faults.apply(entry.Service, entry.Operation, caller.Account, caller.ARN)
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if fault != nil {
		entry.Fault = name
		drain(r)
		svc.WriteError(rec, r, fault.Status, fault.Code, fault.Message)
		return
	}
	svc.ServeAWS(rec, r, caller)
}

// authenticate finds the service r is for and its caller. A nil service
// means r could not be routed; a non-nil error is written through the
// service.
func (s *Server) authenticate(r *http.Request) (service.Service, service.Caller, *apiError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return s.authenticatePresigned(r)
		}
		return s.unsigned(r)
	}
	sig, err := parseAuthorization(authz)
	if err != nil {
		e := errIncompleteSignature(fmt.Sprintf("Authorization header is invalid: %v", err))
		return s.guessService(r), service.Caller{}, &e
	}
	svc := s.service(sig.Service)
	if svc == nil {
		e := apiError{http.StatusBadRequest, "UnknownService", fmt.Sprintf("the emulator has no service %q", sig.Service)}
		return nil, service.Caller{}, &e
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if sig.Service != "s3" {
		// The S3 service verifies its own (possibly streamed, possibly
		// aws-chunked) body against X-Amz-Content-Sha256.
		body, err := bufferBody(r)
		if err != nil {
			e := apiError{http.StatusBadRequest, "InvalidRequest", err.Error()}
			return svc, service.Caller{}, &e
		}
		sum := sha256.Sum256(body)
		if payloadHash == "" {
			payloadHash = hex.EncodeToString(sum[:])
		} else if payloadHash != hex.EncodeToString(sum[:]) && payloadHash != "UNSIGNED-PAYLOAD" {
			e := errSignature(sig.Service)
			return svc, service.Caller{}, &e
		}
	}
	if payloadHash == "" {
		e := apiError{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"}
		return svc, service.Caller{}, &e
	}
	key, caller, apiErr := s.checkKey(sig, r.Header.Get("X-Amz-Security-Token"))
	if apiErr != nil {
		return svc, caller, apiErr
	}
	// Skew is judged against the wall clock, not the emulator's (which
	// Advance moves to expire credentials).
	if signed, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date")); err == nil {
		if d := time.Since(signed); d > maxSkew || d < -maxSkew {
			e := errSkew(sig.Service, signed)
			return svc, caller, &e
		}
	}
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: key.SessionToken}
	if err := sig.verify(r, creds, payloadHash); err != nil {
		s.logger.Debug("signature rejected", "access_key", key.AccessKeyID, "reason", err)
		e := errSignature(sig.Service)
		return svc, caller, &e
	}
	return svc, caller, nil
}

// checkKey looks up the signing key and checks its session token and
// expiry.
func (s *Server) checkKey(sig signature, token string) (identity.Key, service.Caller, *apiError) {
	key, ok := s.store.Lookup(sig.AccessKeyID)
	if !ok {
		e := errUnknownKey(sig.Service)
		return key, service.Caller{}, &e
	}
	caller := service.Caller{
		Account:        key.Account,
		AccessKeyID:    key.AccessKeyID,
		ARN:            key.ARN,
		Chained:        key.Chained,
		SourceIdentity: key.SourceIdentity,
		Region:         sig.Region,
	}
	if key.Temporary {
		if token != key.SessionToken {
			e := errBadToken(sig.Service)
			return key, service.Caller{}, &e
		}
		if !s.Now().Before(key.Expires) {
			e := errExpiredToken(sig.Service)
			return key, caller, &e
		}
	}
	return key, caller, nil
}

// unsigned routes a request without an Authorization header to a service
// that accepts it, or refuses it.
func (s *Server) unsigned(r *http.Request) (service.Service, service.Caller, *apiError) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if _, err := bufferBody(r); err != nil {
			e := apiError{http.StatusBadRequest, "InvalidRequest", err.Error()}
			return s.guessService(r), service.Caller{}, &e
		}
	}
	s.mu.RLock()
	names := make([]string, 0, len(s.services))
	for name := range s.services {
		names = append(names, name)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	for _, name := range names {
		if u, ok := s.service(name).(UnsignedOperations); ok && u.AllowsUnsigned(r) {
			return s.service(name), service.Caller{}, nil
		}
	}
	svc := s.guessService(r)
	if svc != nil && svc.Name() == "s3" {
		e := errAccessDenied("s3", "", "")
		return svc, service.Caller{}, &e
	}
	e := apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	return svc, service.Caller{}, &e
}

// guessService picks the service to word an error for a request whose
// credential scope could not be read: a JSON request goes to the service
// its X-Amz-Target names (when mounted), query requests to STS's error
// format, anything else to S3's.
func (s *Server) guessService(r *http.Request) service.Service {
	if target, _, ok := strings.Cut(r.Header.Get("X-Amz-Target"), "."); ok {
		if svc := s.service(strings.ToLower(target)); svc != nil {
			return svc
		}
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "application/x-amz-json") {
		return s.service("sts")
	}
	return s.service("s3")
}

// drain reads what is left of the request body before an error is written,
// so that the client gets the error rather than a connection reset while it
// is still sending (Go's server discards only 256 KiB itself). Even a
// client that sent Expect: 100-continue is made to send its body: Go's
// transport otherwise races the early response against its own write and
// sometimes reports the reset instead of the error.
func drain(r *http.Request) {
	if r.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 6<<30))
}

// bufferBody reads r.Body whole and replaces it with a re-readable copy.
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = http.NoBody
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBufferedBody+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(b) > maxBufferedBody {
		return nil, fmt.Errorf("request body over %d bytes", maxBufferedBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// writeBareError answers a request no service could be found for, in the
// query protocol's XML.
func writeBareError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error></ErrorResponse>`, e.Code, e.Message)
}
