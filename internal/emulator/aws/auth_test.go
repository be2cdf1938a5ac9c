package awsemu_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-bucket", devAccount); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddRole(awsemu.Role{Account: devAccount, Name: "deployer", Trust: []string{devAccount}}); err != nil {
		t.Fatal(err)
	}
	session, err := e.sts(e.dev).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + devAccount + ":role/deployer"), RoleSessionName: aws.String("pr-1"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	temp := aws.Credentials{
		AccessKeyID: *session.Credentials.AccessKeyId, SecretAccessKey: *session.Credentials.SecretAccessKey,
		SessionToken: *session.Credentials.SessionToken,
	}
	wrongSecret := e.dev
	wrongSecret.SecretAccessKey = "x" + e.dev.SecretAccessKey[1:]
	wrongToken := temp
	wrongToken.SessionToken = "FwoGZXIvYXdzEbogus"
	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: "secret"}

	tests := []struct {
		name     string
		creds    aws.Credentials
		advance  time.Duration
		stsCode  string
		s3Code   string
		s3Status int
	}{
		{name: "long-term key", creds: e.dev},
		{name: "temporary key", creds: temp},
		{name: "wrong secret", creds: wrongSecret, stsCode: "SignatureDoesNotMatch", s3Code: "SignatureDoesNotMatch"},
		{name: "unknown key", creds: unknown, stsCode: "InvalidClientTokenId", s3Code: "InvalidAccessKeyId"},
		{name: "wrong session token", creds: wrongToken, stsCode: "InvalidClientTokenId", s3Code: "InvalidToken"},
		{name: "expired session", creds: temp, advance: 16 * time.Minute, stsCode: "ExpiredToken", s3Code: "ExpiredToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.Advance(tc.advance)
			defer e.srv.Advance(-tc.advance)
			_, err := e.sts(tc.creds, noRetries).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if got := apiCode(t, err); got != tc.stsCode {
				t.Errorf("sts: code %q, want %q (%v)", got, tc.stsCode, err)
			}
			_, err = e.s3(tc.creds, noRetries).ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("dev-bucket")})
			if got := apiCode(t, err); got != tc.s3Code {
				t.Errorf("s3: code %q, want %q (%v)", got, tc.s3Code, err)
			}
		})
	}
}

// signed builds a request signed with creds, the way the SDK would.
func signed(t *testing.T, creds aws.Credentials, method, url, service string, body []byte, header http.Header) *http.Request {
	t.Helper()
	return signedAt(t, creds, method, url, service, body, header, time.Now())
}

// signedAt is signed with the given signing time.
func signedAt(t *testing.T, creds aws.Credentials, method, url, service string, body []byte, header http.Header, when time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if service == "s3" && req.Header.Get("X-Amz-Content-Sha256") == "" {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if h := req.Header.Get("X-Amz-Content-Sha256"); h != "" {
		hash = h
	}
	err = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }).
		SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", when)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestTamperedBodyIsRejected(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-bucket", devAccount); err != nil {
		t.Fatal(err)
	}
	// STS: the payload hash is part of the signature.
	req := signed(t, e.dev, "POST", e.srv.URL()+"/", "sts", []byte("Action=GetCallerIdentity&Version=2011-06-15"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	req.Body = io.NopCloser(strings.NewReader("Action=GetCallerIdentitX&Version=2011-06-15"))
	if status, body := do(t, req); status != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("sts tampered body: %d %s", status, body)
	}
	// S3: the body must match x-amz-content-sha256.
	req = signed(t, e.dev, "PUT", e.srv.URL()+"/dev-bucket/k", "s3", []byte("hello"), nil)
	req.Body = io.NopCloser(strings.NewReader("jello"))
	if status, body := do(t, req); status != 400 || !strings.Contains(body, "<Code>XAmzContentSHA256Mismatch</Code>") {
		t.Errorf("s3 tampered body: %d %s", status, body)
	}
	if _, ok := e.srv.S3().Object("dev-bucket", "k"); ok {
		t.Error("object stored despite mismatching body")
	}
	// UNSIGNED-PAYLOAD is accepted as S3 does.
	req = signed(t, e.dev, "PUT", e.srv.URL()+"/dev-bucket/u", "s3", []byte("hello"),
		http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}})
	if status, body := do(t, req); status != 200 {
		t.Errorf("unsigned payload: %d %s", status, body)
	}
	// A request with no signature at all.
	req, _ = http.NewRequest("GET", e.srv.URL()+"/dev-bucket/u", nil)
	if status, body := do(t, req); status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("anonymous s3: %d %s", status, body)
	}
}

func TestUnsignedPayloadFromSDK(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-bucket", devAccount); err != nil {
		t.Fatal(err)
	}
	_, err := e.s3(e.dev).PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("dev-bucket"), Key: aws.String("k"), Body: strings.NewReader("payload"),
	}, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	if err != nil {
		t.Fatal(err)
	}
	assertContent(t, e, "dev-bucket", "k", []byte("payload"))
}

// TestTLSStreamsAWSChunked: over TLS the SDK uploads an unseekable body
// aws-chunked with a trailing CRC32; over plain HTTP it refuses to.
func TestTLSStreamsAWSChunked(t *testing.T) {
	srv, err := newTLSServer(t)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := srv.AddAccount("dev", devAccount)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.S3().CreateBucket("dev-bucket", devAccount); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
	client := s3.NewFromConfig(srv.Config(creds), awsemu.PathStyle)
	_, err = client.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("dev-bucket"), Key: aws.String("streamed"),
		Body: io.MultiReader(bytes.NewReader(data)), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Over plain HTTP the same call fails in the SDK before it is sent.
	plain := newEnv(t)
	_, err = plain.s3(plain.dev).PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("dev-bucket"), Key: aws.String("streamed"),
		Body: io.MultiReader(bytes.NewReader(data)), ContentLength: aws.Int64(int64(len(data))),
	})
	if err == nil || !strings.Contains(err.Error(), "unseekable stream is not supported without TLS") {
		t.Errorf("unseekable body over plain HTTP: %v", err)
	}
	o, ok := srv.S3().Object("dev-bucket", "streamed")
	sum := sha256.Sum256(data)
	if !ok || o.SHA256 != hex.EncodeToString(sum[:]) || o.ChecksumAlgorithm != "CRC32" {
		t.Errorf("object = %+v", o)
	}
}

func TestSigningTimeSkew(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	tests := []struct {
		name, service, url string
		body               []byte
		header             http.Header
		shift              time.Duration
		status             int
		code               string
	}{
		{"sts on time", "sts", "/", body, form, 0, 200, ""},
		{"sts 20 minutes late", "sts", "/", body, form, -20 * time.Minute, 403, "SignatureDoesNotMatch"},
		{"s3 10 minutes early", "s3", "/dev-models?list-type=2", nil, nil, 10 * time.Minute, 200, ""},
		{"s3 20 minutes early", "s3", "/dev-models?list-type=2", nil, nil, 20 * time.Minute, 403, "RequestTimeTooSkewed"},
	}
	for _, tc := range tests {
		method := "GET"
		if tc.body != nil {
			method = "POST"
		}
		status, resp := do(t, signedAt(t, e.dev, method, e.srv.URL()+tc.url, tc.service, tc.body, tc.header, time.Now().Add(tc.shift)))
		if status != tc.status || (tc.code != "" && !strings.Contains(resp, "<Code>"+tc.code+"</Code>")) {
			t.Errorf("%s: %d %s", tc.name, status, resp)
		}
	}
	// Advancing the emulator's clock does not make requests skewed.
	e.srv.Advance(time.Hour)
	if _, err := e.sts(e.dev).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after Advance: %v", err)
	}
}
