package sagemaker_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const (
	devAccount  = "111111111111"
	prodAccount = "222222222222"
	region      = "eu-west-1"
)

// accessKeys maps the test access keys to their accounts.
var accessKeys = map[string]string{
	"AKIDDEV0000000000000": devAccount,
	"AKIDPROD000000000000": prodAccount,
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// core stands in for the emulator core in these tests: it reads the access
// key and region from the SigV4 Authorization header (without verifying the
// signature) and hands the request to the service.
type core struct{ svc service.Service }

func (c core) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[3] != c.svc.Name() {
		c.svc.WriteError(w, r, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	account, ok := accessKeys[m[1]]
	if !ok {
		c.svc.WriteError(w, r, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	c.svc.ServeAWS(w, r, service.Caller{Account: account, AccessKeyID: m[1], Region: m[2], ARN: "arn:aws:iam::" + account + ":user/test"})
}

// env is a SageMaker emulator with CloudWatch beside it and SDK clients for
// both test accounts.
type env struct {
	sm   *sagemaker.Service
	cw   *cloudwatch.Service
	url  string
	dev  *sm.Client
	prod *sm.Client
	// manual is set when transitions wait for e.sm.Advance.
	manual bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvDelay(t, 20*time.Millisecond)
}

// newEnvDelay is newEnv with a longer phase, for tests that must observe an
// intermediate status even on a slow, loaded machine.
func newEnvDelay(t *testing.T, d time.Duration) *env {
	t.Helper()
	cw := cloudwatch.New(cloudwatch.Options{})
	svc := sagemaker.New(sagemaker.Options{PackageDelay: d, EndpointDelay: d, Alarms: cw})
	return newEnvWith(t, svc, cw)
}

// newManualEnv is newEnv whose transitions wait for e.sm.Advance (or
// settle): a test that must see an intermediate status sees it however
// slowly it runs.
func newManualEnv(t *testing.T) *env {
	t.Helper()
	cw := cloudwatch.New(cloudwatch.Options{})
	e := newEnvWith(t, sagemaker.New(sagemaker.Options{Alarms: cw, Manual: true}), cw)
	e.manual = true
	return e
}

// settle runs a manual env's transitions until none is due: every
// endpoint reaches where it is going.
func settle(t *testing.T, e *env) {
	t.Helper()
	for i := 0; e.manual && e.sm.Advance() > 0; i++ {
		if i > 20 {
			t.Fatal("transitions never settle")
		}
	}
}

func newEnvWith(t *testing.T, svc *sagemaker.Service, cw *cloudwatch.Service) *env {
	t.Helper()
	srv := httptest.NewServer(core{svc})
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	return &env{sm: svc, cw: cw, url: srv.URL, dev: client(srv.URL, "AKIDDEV0000000000000", region), prod: client(srv.URL, "AKIDPROD000000000000", region)}
}

func client(url, accessKey, region string) *sm.Client {
	return sm.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
	}, func(o *sm.Options) {
		o.BaseEndpoint = aws.String(url)
		o.RetryMaxAttempts = 1
	})
}

// apiError asserts err is an API error with the given code and returns its
// message.
func apiError(t *testing.T, err error, code string) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	return ae.ErrorMessage()
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// eventually polls cond until it holds or a few seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
