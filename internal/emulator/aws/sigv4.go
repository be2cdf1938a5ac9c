package awsemu

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const sigV4Algorithm = "AWS4-HMAC-SHA256"

// signature is a parsed SigV4 Authorization header.
type signature struct {
	AccessKeyID   string
	Date          string // yyyymmdd from the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

var errNotSigV4 = errors.New("authorization header is not AWS4-HMAC-SHA256")

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (signature, error) {
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return signature{}, errNotSigV4
	}
	var sig signature
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return signature{}, fmt.Errorf("malformed authorization component %q", part)
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return signature{}, fmt.Errorf("malformed credential scope %q", v)
			}
			sig.AccessKeyID, sig.Date, sig.Region, sig.Service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			sig.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			sig.Signature = v
		}
	}
	if sig.AccessKeyID == "" || len(sig.SignedHeaders) == 0 || sig.Signature == "" {
		return signature{}, errors.New("authorization header lacks Credential, SignedHeaders or Signature")
	}
	return sig, nil
}

// verify recomputes the request's signature with the SDK's signer over the
// headers the client signed and compares it with the one it sent.
// payloadHash is the hex SHA-256 of the body or the literal the client
// signed with (UNSIGNED-PAYLOAD, STREAMING-…).
func (sig signature) verify(r *http.Request, creds aws.Credentials, payloadHash string) error {
	amzDate := r.Header.Get("X-Amz-Date")
	signingTime, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return fmt.Errorf("bad X-Amz-Date %q: %w", amzDate, err)
	}
	if !strings.HasPrefix(amzDate, sig.Date) {
		return fmt.Errorf("credential scope date %s does not match X-Amz-Date %s", sig.Date, amzDate)
	}
	clone := &http.Request{
		Method: r.Method,
		Host:   r.Host,
		URL: &url.URL{
			Scheme:   "http",
			Host:     r.Host,
			Path:     r.URL.Path,
			RawPath:  rawPath(r),
			RawQuery: r.URL.RawQuery,
		},
		Header: http.Header{},
	}
	for _, h := range sig.SignedHeaders {
		switch h {
		case "host", "x-amz-date":
		case "content-length":
			clone.ContentLength = r.ContentLength
		default:
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		// S3 signs the path as sent, other services escape it again.
		o.DisableURIPathEscaping = sig.Service == "s3"
	})
	err = signer.SignHTTP(context.Background(), creds, clone, payloadHash, sig.Service, sig.Region, signingTime)
	if err != nil {
		return fmt.Errorf("recompute signature: %w", err)
	}
	want, err := parseAuthorization(clone.Header.Get("Authorization"))
	if err != nil {
		return fmt.Errorf("recompute signature: %w", err)
	}
	if strings.Join(want.SignedHeaders, ";") != strings.Join(sig.SignedHeaders, ";") {
		return fmt.Errorf("signed headers %v cannot be reproduced (got %v)", sig.SignedHeaders, want.SignedHeaders)
	}
	if !hmac.Equal([]byte(want.Signature), []byte(sig.Signature)) {
		return errors.New("signature mismatch")
	}
	return nil
}

// rawPath is the path exactly as it came over the wire.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		if u, err := url.Parse(p); err == nil {
			return u.EscapedPath()
		}
	}
	return p
}
