package artifacts_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

const (
	devAccount  = "111111111111"
	prodAccount = "222222222222"
	prodKMSKey  = "arn:aws:kms:us-east-1:" + prodAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"

	shared  = "dev-models"  // prod may read it: server-side copies
	private = "dev-private" // prod may not: streamed copies
	target  = "prod-models"
)

// world is an emulator with a dev account holding the sources and a prod
// account holding the target bucket, and S3 clients for each.
type world struct {
	srv                 *awsemu.Server
	dev, prod           *s3.Client
	devCreds, prodCreds aws.Credentials
	logs                *syncBuffer
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldIn(t, t.TempDir())
}

// newWorldIn is newWorld with S3's data in dir.
func newWorldIn(t testing.TB, dir string) *world {
	t.Helper()
	return startWorld(t, dir, (*awsemu.Server).Start)
}

// newWorldTLS is newWorld served over HTTPS, where the SDK streams bodies
// aws-chunked with trailing checksums, as it does against AWS.
func newWorldTLS(t testing.TB) *world {
	t.Helper()
	return startWorld(t, t.TempDir(), (*awsemu.Server).StartTLS)
}

func startWorld(t testing.TB, dir string, start func(*awsemu.Server) error) *world {
	t.Helper()
	srv, err := awsemu.New(awsemu.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := start(srv); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dev, err := srv.AddAccount("dev", devAccount)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := srv.AddAccount("prod", prodAccount)
	if err != nil {
		t.Fatal(err)
	}
	s := srv.S3()
	for _, b := range []struct{ name, owner string }{{shared, devAccount}, {private, devAccount}, {target, prodAccount}} {
		if err := s.CreateBucket(b.name, b.owner); err != nil {
			t.Fatal(err)
		}
	}
	err = s.SetBucketPolicy(shared, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+prodAccount+`:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::`+shared+`","arn:aws:s3:::`+shared+`/*"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	client := func(creds aws.Credentials) *s3.Client {
		return s3.NewFromConfig(srv.Config(creds, fastRetries), awsemu.PathStyle)
	}
	return &world{srv: srv, dev: client(dev), prod: client(prod), devCreds: dev, prodCreds: prod, logs: &syncBuffer{}}
}

// memDir is a directory in memory (/dev/shm) when there is one, else on
// disk: streaming gigabytes to a disk-backed emulator measures the disk.
func memDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "artifacts-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// fastRetries keeps the SDK's standard retryer (3 attempts, throttling and
// 5xx) with millisecond backoff.
func fastRetries(c *aws.Config) {
	c.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = time.Millisecond })
	}
}

// copier copies from dev to prod with small parts, so that multipart paths
// run on small objects.
func (w *world) copier() *artifacts.Copier {
	return &artifacts.Copier{
		Source: w.dev, Target: w.prod,
		SourceOwner: devAccount, TargetOwner: prodAccount,
		KMSKeyARN: prodKMSKey,
		Logger:    slog.New(slog.NewTextHandler(w.logs, nil)),
	}
}

// put stores data as dev would upload it; withSHA256 asks S3 to keep a
// full-object SHA-256 checksum (otherwise it keeps CRC64NVME).
func (w *world) put(t *testing.T, bucket, key string, data []byte, withSHA256 bool) {
	t.Helper()
	if !withSHA256 {
		if err := w.srv.S3().PutObject(bucket, key, data); err != nil {
			t.Fatal(err)
		}
		return
	}
	_, err := w.dev.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertCopy checks, in emulator state, that target/key holds content
// with hex SHA-256 sum, encrypted with the prod key, with our metadata.
func (w *world) assertCopy(t *testing.T, key, sum string) {
	t.Helper()
	o, ok := w.srv.S3().Object(target, key)
	if !ok {
		t.Fatalf("s3://%s/%s was not written", target, key)
	}
	got, err := w.srv.S3().SHA256(target, key)
	if err != nil {
		t.Fatal(err)
	}
	if got != sum {
		t.Errorf("s3://%s/%s SHA-256 = %s, want %s", target, key, got, sum)
	}
	if o.ServerSideEncryption != "aws:kms" || o.KMSKeyID != prodKMSKey {
		t.Errorf("s3://%s/%s encryption = %s %s, want aws:kms %s", target, key, o.ServerSideEncryption, o.KMSKeyID, prodKMSKey)
	}
	if o.Metadata["modelpromote-source-etag"] == "" {
		t.Errorf("s3://%s/%s has no source ETag in its metadata: %v", target, key, o.Metadata)
	}
	if ups := w.srv.S3().MultipartUploads(target); len(ups) > 0 {
		t.Errorf("uploads left in %s: %v", target, ups)
	}
}

// assertNothingLeft checks, in emulator state, that a refused copy left
// neither a target object at key nor an open upload.
func (w *world) assertNothingLeft(t *testing.T, key string) {
	t.Helper()
	if _, ok := w.srv.S3().Object(target, key); ok {
		t.Errorf("s3://%s/%s was written", target, key)
	}
	if ups := w.srv.S3().MultipartUploads(target); len(ups) > 0 {
		t.Errorf("uploads left in %s: %v", target, ups)
	}
}

func (w *world) sha256Of(t testing.TB, bucket, key string) string {
	t.Helper()
	sum, err := w.srv.S3().SHA256(bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pattern is n deterministic, non-repeating-per-part bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/4093)
	}
	return b
}

func ctx(t testing.TB) context.Context {
	// The test binary's own -timeout, less a margin so that the test reports
	// which copy ran out of time before the binary panics: the 6 GiB copies
	// under MODELPROMOTE_LONG_TESTS take longer than any fixed bound on a
	// loaded machine. Benchmarks, and tests run with -timeout 0, get 5
	// minutes.
	deadline := time.Now().Add(5 * time.Minute)
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			deadline = d.Add(-min(30*time.Second, time.Until(d)/10))
		}
	}
	c, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return c
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// heapPeak samples HeapInuse until stop is called and returns its growth
// over the level when it started, after a GC.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak - base
	}
}
