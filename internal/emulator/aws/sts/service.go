// Package sts emulates AWS Security Token Service over its query protocol:
// GetCallerIdentity, AssumeRole (trust rules, external ID, session limits,
// role chaining, source identity) and AssumeRoleWithWebIdentity (OIDC tokens
// such as GitHub Actions').
package sts

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// Service is the emulated STS. Create it with New.
type Service struct {
	store *identity.Store
	now   func() time.Time

	mu        sync.RWMutex
	roles     map[string]*role // by ARN
	providers map[string]crypto.PublicKey
}

// New returns an STS that issues session keys into store and judges expiry
// by now.
func New(store *identity.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now, roles: map[string]*role{}, providers: map[string]crypto.PublicKey{}}
}

// Name is STS's signing name.
func (s *Service) Name() string { return "sts" }

// Operation is the request's Action parameter.
func (s *Service) Operation(r *http.Request) string {
	return service.FormParams(r).Get("Action")
}

// AllowsUnsigned accepts AssumeRoleWithWebIdentity without a signature, as
// AWS does: the token is the credential.
func (s *Service) AllowsUnsigned(r *http.Request) bool {
	return service.FormParams(r).Get("Action") == "AssumeRoleWithWebIdentity"
}

// ServeAWS handles an authenticated STS request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	p := service.FormParams(r)
	var (
		result any
		err    *apiError
	)
	switch action := p.Get("Action"); action {
	case "GetCallerIdentity":
		result = s.getCallerIdentity(c)
	case "AssumeRole":
		result, err = s.assumeRole(p, c)
	case "AssumeRoleWithWebIdentity":
		result, err = s.assumeRoleWithWebIdentity(p)
	default:
		err = &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, p.Get("Version"))}
	}
	if err != nil {
		s.WriteError(w, r, err.status, err.code, err.message)
		return
	}
	writeXML(w, http.StatusOK, result)
}

// WriteError writes a query-protocol error document.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, status, errorResponse{
		Xmlns:     xmlns,
		Error:     errorBody{Type: typ, Code: code, Message: message},
		RequestID: requestID(),
	})
}

type apiError struct {
	status  int
	code    string
	message string
}

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

func accessDenied(format string, args ...any) *apiError {
	return &apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf(format, args...)}
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
