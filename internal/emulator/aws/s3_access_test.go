package awsemu_test

import (
	"bytes"
	"net/http"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

func TestCrossAccountAccess(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.S3().PutObject("dev-models", "m/model.tar.gz", []byte("weights")); err != nil {
		t.Fatal(err)
	}
	prod := e.s3(e.prod, noRetries)
	get := func() error {
		_, err := prod.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("m/model.tar.gz")})
		return err
	}
	list := func() error {
		_, err := prod.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("dev-models")})
		return err
	}
	if code := apiCode(t, get()); code != "AccessDenied" {
		t.Errorf("get without policy: %q", code)
	}
	if code := apiCode(t, list()); code != "AccessDenied" {
		t.Errorf("list without policy: %q", code)
	}

	// S3's exact body for a denied request.
	status, body := do(t, signed(t, e.prod, "GET", e.srv.URL()+"/dev-models/m/model.tar.gz", "s3", nil, nil))
	wantBody := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>[0-9A-F]+</RequestId><HostId>[0-9A-F]+</HostId></Error>$`)
	if status != http.StatusForbidden || !wantBody.MatchString(body) {
		t.Errorf("denied response %d %q", status, body)
	}

	// Only the owner may set the policy.
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"ProdRead","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::` + prodAccount + `:root"},
		"Action":["s3:GetObject","s3:ListBucket"],
		"Resource":["arn:aws:s3:::dev-models","arn:aws:s3:::dev-models/*"]}]}`
	_, err := prod.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("dev-models"), Policy: aws.String(policy)})
	if code := apiCode(t, err); code != "AccessDenied" {
		t.Errorf("policy set by other account: %v", err)
	}
	if _, err := e.s3(e.dev).PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("dev-models"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if err := get(); err != nil {
		t.Errorf("get with policy: %v", err)
	}
	if err := list(); err != nil {
		t.Errorf("list with policy: %v", err)
	}
	// A large body refused before it is read still yields the error, not a
	// connection reset.
	_, err = prod.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("x"), Body: bytes.NewReader(make([]byte, 6<<20))})
	if code := apiCode(t, err); code != "AccessDenied" {
		t.Errorf("put with read-only policy: %v", err)
	}
	_, err = prod.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("nope")})
	if code := apiCode(t, err); code != "NoSuchKey" {
		t.Errorf("missing key with list permission: %v", err)
	}
	_, err = prod.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("m/model.tar.gz"), ExpectedBucketOwner: aws.String(prodAccount)})
	if code := apiCode(t, err); code != "AccessDenied" {
		t.Errorf("wrong expected bucket owner: %v", err)
	}
}

// TestBucketPolicyForRole grants a role, not an account: its sessions may
// read, other principals of the account may not.
func TestBucketPolicyForRole(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.S3().PutObject("dev-models", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	err := e.srv.S3().SetBucketPolicy("dev-models", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::`+prodAccount+`:role/promoter"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::dev-models/*"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddRole(awsemu.Role{Account: prodAccount, Name: "promoter", Trust: []string{prodAccount}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(e.prod).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + prodAccount + ":role/promoter"), RoleSessionName: aws.String("copy")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		creds aws.Credentials
		code  string
	}{
		{"role session", credsOf(out), ""},
		{"other user of the account", e.prod, "AccessDenied"},
	} {
		_, err := e.s3(tc.creds, noRetries).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("k")})
		if code := apiCode(t, err); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
		}
	}
}
