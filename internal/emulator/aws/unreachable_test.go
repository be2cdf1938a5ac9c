package awsemu_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// An unreachable account refuses whatever would reach it, by whoever, and
// the request log says so; other accounts carry on.
func TestUnreachableAccountRefusesEverythingThatWouldReachIt(t *testing.T) {
	e := newEnv(t)
	e.srv.Mount(sagemaker.New(sagemaker.Options{}))
	if err := e.srv.AddRole(awsemu.Role{Account: devAccount, Name: "read", Trust: []string{prodAccount}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct{ name, owner string }{{"dev-models", devAccount}, {"prod-models", prodAccount}} {
		if err := e.srv.S3().CreateBucket(b.name, b.owner); err != nil {
			t.Fatal(err)
		}
		if err := e.srv.S3().PutObject(b.name, "m", []byte("model")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.S3().SetBucketPolicy("dev-models", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+prodAccount+`:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::dev-models/*"}]}`); err != nil {
		t.Fatal(err)
	}
	get := func(creds aws.Credentials, bucket string) error {
		_, err := e.s3(creds, noRetries).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("m")})
		return err
	}
	if err := get(e.prod, "dev-models"); err != nil {
		t.Fatalf("before: prod reads the dev bucket: %v", err)
	}

	restore := e.srv.Unreachable(devAccount)
	e.srv.ResetRequests()
	calls := []struct {
		name string
		call func() error
	}{
		{"dev's own credentials", func() error {
			_, err := e.sts(e.dev, noRetries).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			return err
		}},
		{"assuming a dev role", func() error {
			_, err := e.sts(e.prod, noRetries).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + devAccount + ":role/read"), RoleSessionName: aws.String("s")})
			return err
		}},
		{"reading the dev bucket cross-account", func() error { return get(e.prod, "dev-models") }},
		{"reading a dev model package group by ARN", func() error {
			_, err := sm.NewFromConfig(e.srv.Config(e.prod, noRetries)).DescribeModelPackageGroup(ctx(t), &sm.DescribeModelPackageGroupInput{
				ModelPackageGroupName: aws.String("arn:aws:sagemaker:us-east-1:" + devAccount + ":model-package-group/churn")})
			return err
		}},
		{"copying out of the dev bucket", func() error {
			_, err := e.s3(e.prod, noRetries).CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("copy"), CopySource: aws.String("dev-models/m")})
			return err
		}},
	}
	for _, c := range calls {
		if code := apiCode(t, c.call()); !strings.HasPrefix(code, "AccessDenied") {
			t.Errorf("%s: %q, want AccessDenied", c.name, code)
		}
	}
	if err := get(e.prod, "prod-models"); err != nil {
		t.Errorf("prod's own bucket: %v", err)
	}
	refused := 0
	for _, r := range e.srv.Requests() {
		if r.Fault == "unreachable" {
			refused++
		}
	}
	if refused != len(calls) {
		t.Errorf("%d requests logged as unreachable, want %d", refused, len(calls))
	}
	restore()
	if err := get(e.prod, "dev-models"); err != nil {
		t.Errorf("after restore: %v", err)
	}
}
