package awsemu_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

const (
	devAccount  = "111111111111"
	prodAccount = "222222222222"
)

// env is a started emulator with a dev and a prod account.
type env struct {
	srv       *awsemu.Server
	dev, prod aws.Credentials
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvIn(t, t.TempDir())
}

// fastRetries keeps the SDK's standard retryer but with millisecond backoff.
func fastRetries(c *aws.Config) {
	c.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = time.Millisecond })
	}
}

func noRetries(c *aws.Config) {
	c.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
}

func (e *env) s3(creds aws.Credentials, opts ...func(*aws.Config)) *s3.Client {
	return s3.NewFromConfig(e.srv.Config(creds, opts...), awsemu.PathStyle)
}

func (e *env) sts(creds aws.Credentials, opts ...func(*aws.Config)) *sts.Client {
	return sts.NewFromConfig(e.srv.Config(creds, opts...))
}

// apiCode is the AWS error code of err, "" when err is nil or not an API
// error.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func newTLSServer(t *testing.T) (*awsemu.Server, error) {
	t.Helper()
	srv, err := awsemu.New(awsemu.Options{DataDir: t.TempDir()})
	if err != nil {
		return nil, err
	}
	if err := srv.StartTLS(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, nil
}

// assertContent checks an object's bytes and SHA-256 in emulator state.
func assertContent(t *testing.T, e *env, bucket, key string, want []byte) {
	t.Helper()
	rc, err := e.srv.S3().Open(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("s3://%s/%s holds %d bytes, want %d (equal prefix: %v)", bucket, key, len(got), len(want), bytes.HasPrefix(want, got[:min(len(got), 16)]))
	}
	sum, err := e.srv.S3().SHA256(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if w := sha256.Sum256(want); sum != hex.EncodeToString(w[:]) {
		t.Errorf("s3://%s/%s sha256 = %s, want %x", bucket, key, sum, w)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// newEnvIn is newEnv with S3 data in dir.
func newEnvIn(t testing.TB, dir string) *env {
	t.Helper()
	srv, err := awsemu.New(awsemu.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{srv: srv}
	if e.dev, err = srv.AddAccount("dev", devAccount); err != nil {
		t.Fatal(err)
	}
	if e.prod, err = srv.AddAccount("prod", prodAccount); err != nil {
		t.Fatal(err)
	}
	return e
}

// diskUsage sums the sizes of the files under dir.
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}
