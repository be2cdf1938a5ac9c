package awsemu_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestCopyAndGetPreconditions: a copy or read bound to the ETag seen
// earlier fails with S3's 412 PreconditionFailed once the object has been
// overwritten, even with bytes of the same size, and copies nothing; the
// current ETag (quoted, as HeadObject returns it) and "*" pass.
func TestCopyAndGetPreconditions(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	dev, prod := e.s3(e.dev, noRetries), e.s3(e.prod, noRetries)
	head, err := dev.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("reports/aA.json")})
	if err != nil {
		t.Fatal(err)
	}
	reviewed := aws.ToString(head.ETag)
	// The swap: same size, other bytes.
	if err := e.srv.S3().PutObject("dev-models", "reports/aA.json", []byte(`{"x": 2}`)); err != nil {
		t.Fatal(err)
	}
	cp := func(key, ifMatch string) error {
		_, err := prod.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("prod-models"), Key: aws.String(key),
			CopySource: aws.String("dev-models/reports/aA.json"), CopySourceIfMatch: aws.String(ifMatch)})
		return err
	}
	if code := apiCode(t, cp("stale", reviewed)); code != "PreconditionFailed" {
		t.Errorf("CopyObject with the overwritten ETag: %q, want PreconditionFailed", code)
	}
	if _, ok := e.srv.S3().Object("prod-models", "stale"); ok {
		t.Error("a refused copy left an object")
	}
	cur, _ := e.srv.S3().Object("dev-models", "reports/aA.json")
	for _, m := range []string{cur.ETag, "*"} {
		if err := cp("fresh", m); err != nil {
			t.Errorf("CopyObject if-match %s: %v", m, err)
		}
	}
	_, err = prod.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("none"),
		CopySource: aws.String("dev-models/reports/aA.json"), CopySourceIfNoneMatch: aws.String(cur.ETag)})
	if code := apiCode(t, err); code != "PreconditionFailed" {
		t.Errorf("CopyObject if-none-match the current ETag: %q", code)
	}

	up, err := prod.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("prod-models"), Key: aws.String("parts")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = prod.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: aws.String("prod-models"), Key: aws.String("parts"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("dev-models/reports/aA.json"), CopySourceIfMatch: aws.String(reviewed)})
	if code := apiCode(t, err); code != "PreconditionFailed" {
		t.Errorf("UploadPartCopy with the overwritten ETag: %q", code)
	}

	_, err = dev.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("reports/aA.json"), IfMatch: aws.String(reviewed)})
	if code := apiCode(t, err); code != "PreconditionFailed" {
		t.Errorf("GetObject If-Match the overwritten ETag: %q", code)
	}
}

// TestAWSCLIReadsPreconditionFailed: the AWS CLI reads the emulator's 412
// back as S3's PreconditionFailed, for copies and reads.
func TestAWSCLIReadsPreconditionFailed(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not installed (CI is set)")
		}
		t.Skip("aws CLI not installed")
	}
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"s3api", "copy-object", "--bucket", "prod-models", "--key", "c", "--copy-source", "dev-models/reports/aA.json", "--copy-source-if-match", `"0123456789abcdef0123456789abcdef"`},
		{"s3api", "get-object", "--bucket", "dev-models", "--key", "reports/aA.json", "--if-match", `"0123456789abcdef0123456789abcdef"`, filepath.Join(home, "out")},
	} {
		creds := e.prod
		if args[1] == "get-object" {
			creds = e.dev
		}
		cmd := exec.Command(bin, append([]string{"--endpoint-url", e.srv.URL(), "--region", "us-east-1"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
			"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1"}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "PreconditionFailed") {
			t.Errorf("aws %s: err %v, output:\n%s", args[1], err, out)
		}
	}
}
