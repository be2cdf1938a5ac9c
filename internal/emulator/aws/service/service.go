// Package service is the contract between the AWS emulator's core (which
// authenticates requests, tells accounts apart, injects faults and logs
// requests) and the emulated services behind it (STS, S3, SageMaker,
// CloudWatch). It is a leaf package so that each service can live in its own
// package without an import cycle.
package service

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
)

// Caller is the authenticated principal that signed a request.
type Caller struct {
	// Account is the 12-digit account ID the credentials belong to.
	Account string
	// AccessKeyID is the access key the request was signed with.
	AccessKeyID string
	// ARN is the principal: arn:aws:iam::ACCOUNT:user/NAME or
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	ARN string
	// Chained is true for credentials obtained from AssumeRole with
	// credentials that were themselves temporary (role chaining).
	Chained bool
	// SourceIdentity is carried through role chaining, when set.
	SourceIdentity string
	// Region is the region from the request's SigV4 credential scope.
	Region string
}

// Service is one emulated AWS service, mounted by the core under the SigV4
// signing name (the service in the credential scope: "sts", "s3",
// "sagemaker", "monitoring").
type Service interface {
	// Name is the SigV4 signing name.
	Name() string
	// Operation names the API operation r calls (e.g. "CreateModelPackage",
	// "PutObject"), used for faults on demand and the request log. It must
	// not consume r.Body.
	Operation(r *http.Request) string
	// ServeAWS handles an authenticated request.
	ServeAWS(w http.ResponseWriter, r *http.Request, c Caller)
	// WriteError writes an error the way this service's protocol does, so
	// that the SDK decodes code and message (e.g. ThrottlingException,
	// AccessDenied) exactly as it would from AWS.
	WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string)
}

// FormParams reads the parameters of a query-protocol request (Action,
// Version and the operation's members) from the form body and the query
// string, without consuming the body: the core may have buffered it, and
// the service reads it again.
func FormParams(r *http.Request) url.Values {
	v := r.URL.Query()
	if r.Body == nil || r.Body == http.NoBody {
		return v
	}
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return v
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return v
	}
	for k, vs := range form {
		v[k] = append(v[k], vs...)
	}
	return v
}
