package awsemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// authenticatePresigned checks a SigV4 query-string signature (a presigned
// URL): it re-presigns the request with the SDK's signer and compares.
func (s *Server) authenticatePresigned(r *http.Request) (service.Service, service.Caller, *apiError) {
	q := r.URL.Query()
	sig, err := parseAuthorization(fmt.Sprintf("%s Credential=%s, SignedHeaders=%s, Signature=%s",
		q.Get("X-Amz-Algorithm"), q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")))
	if err != nil {
		e := apiError{http.StatusBadRequest, "AuthorizationQueryParametersError", fmt.Sprintf("Query-string authentication is invalid: %v", err)}
		return s.guessService(r), service.Caller{}, &e
	}
	svc := s.service(sig.Service)
	if svc == nil {
		e := apiError{http.StatusBadRequest, "UnknownService", fmt.Sprintf("the emulator has no service %q", sig.Service)}
		return nil, service.Caller{}, &e
	}
	signingTime, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil || expires < 1 || expires > 604800 {
		e := apiError{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be a valid date and a number of seconds between 1 and 604800"}
		return svc, service.Caller{}, &e
	}
	key, caller, apiErr := s.checkKey(sig, q.Get("X-Amz-Security-Token"))
	if apiErr != nil {
		return svc, caller, apiErr
	}
	if s.Now().After(signingTime.Add(time.Duration(expires) * time.Second)) {
		e := apiError{http.StatusForbidden, "AccessDenied", "Request has expired"}
		return svc, caller, &e
	}
	payloadHash := "UNSIGNED-PAYLOAD"
	if sig.Service != "s3" {
		body, err := bufferBody(r)
		if err != nil {
			e := apiError{http.StatusBadRequest, "InvalidRequest", err.Error()}
			return svc, caller, &e
		}
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: key.SessionToken}
	if err := sig.verifyPresigned(r, creds, payloadHash, signingTime); err != nil {
		s.logger.Debug("presigned signature rejected", "access_key", key.AccessKeyID, "reason", err)
		e := errSignature(sig.Service)
		return svc, caller, &e
	}
	return svc, caller, nil
}

func (sig signature) verifyPresigned(r *http.Request, creds aws.Credentials, payloadHash string, signingTime time.Time) error {
	q := r.URL.Query()
	q.Del("X-Amz-Signature")
	clone := &http.Request{
		Method: r.Method,
		Host:   r.Host,
		URL:    &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: rawPath(r), RawQuery: q.Encode()},
		Header: http.Header{},
	}
	for _, h := range sig.SignedHeaders {
		if h != "host" {
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = sig.Service == "s3" })
	signedURL, _, err := signer.PresignHTTP(context.Background(), creds, clone, payloadHash, sig.Service, sig.Region, signingTime)
	if err != nil {
		return fmt.Errorf("recompute presigned signature: %w", err)
	}
	u, err := url.Parse(signedURL)
	if err != nil {
		return fmt.Errorf("recompute presigned signature: %w", err)
	}
	want := u.Query()
	if strings.Join(strings.Split(want.Get("X-Amz-SignedHeaders"), ";"), ";") != strings.Join(sig.SignedHeaders, ";") {
		return fmt.Errorf("signed headers %v cannot be reproduced", sig.SignedHeaders)
	}
	if !hmac.Equal([]byte(want.Get("X-Amz-Signature")), []byte(sig.Signature)) {
		return fmt.Errorf("signature mismatch")
	}
	return nil
}
