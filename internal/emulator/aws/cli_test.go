package awsemu_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// awsCLI runs the AWS CLI against the emulator with creds from the
// environment only. Without the CLI the test is skipped, unless CI is set
// (.ci/run installs awscli).
func awsCLI(t *testing.T, e *env, creds aws.Credentials) func(args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not installed (CI is set): apt-get install -y awscli")
		}
		t.Skip("aws CLI not installed")
	}
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", e.srv.URL(), "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = []string{
			"HOME=" + home, "PATH=" + os.Getenv("PATH"),
			"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
			"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
			"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		}
		if creds.SessionToken != "" {
			cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds.SessionToken)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		defer func() { t.Logf("aws %s: %s", strings.Join(args, " "), time.Since(start)) }()
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
}

func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	run := awsCLI(t, e, e.dev)

	var id struct{ Account, Arn string }
	if err := json.Unmarshal([]byte(run("sts", "get-caller-identity")), &id); err != nil {
		t.Fatal(err)
	}
	if id.Account != devAccount || id.Arn != "arn:aws:iam::"+devAccount+":user/admin" {
		t.Errorf("identity %+v", id)
	}

	dir := t.TempDir()
	small := []byte("evaluation report\n")
	large := make([]byte, 9<<20) // over the CLI's 8 MiB multipart threshold
	if _, err := rand.Read(large); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"report.json": small, "model.tar.gz": large} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		run("s3", "cp", path, "s3://dev-models/models/v1/"+name)
		assertContent(t, e, "dev-models", "models/v1/"+name, data)
	}
	for _, k := range []string{"report.json", "model.tar.gz"} {
		o, _ := e.srv.S3().Object("dev-models", "models/v1/"+k)
		t.Logf("%s: etag %s checksum %s %s %s", k, o.ETag, o.ChecksumAlgorithm, o.ChecksumType, o.Checksum)
	}
	if o, _ := e.srv.S3().Object("dev-models", "models/v1/model.tar.gz"); o.Parts < 2 {
		t.Errorf("large upload not multipart: %+v", o)
	}

	ls := run("s3", "ls", "s3://dev-models/models/v1/")
	if !strings.Contains(ls, "report.json") || !strings.Contains(ls, "model.tar.gz") {
		t.Errorf("ls:\n%s", ls)
	}
	var head struct {
		ContentLength int64
		ETag          string
	}
	if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", "dev-models", "--key", "models/v1/report.json")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ContentLength != int64(len(small)) || head.ETag != `"`+md5hex(small)+`"` {
		t.Errorf("head-object %+v", head)
	}
	out := filepath.Join(dir, "download.tar.gz")
	run("s3", "cp", "s3://dev-models/models/v1/model.tar.gz", out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, large) {
		t.Errorf("download differs (%d bytes, %v)", len(got), err)
	}
}
