package artifacts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

func TestCopySmallObjectServerSide(t *testing.T) {
	tests := []struct {
		name       string
		withSHA256 bool
	}{
		{name: "source has a full-object SHA-256", withSHA256: true},
		// S3 computes the copy's SHA-256 (ChecksumAlgorithm SHA256 on
		// CopyObject): the source is not read to learn it.
		{name: "source has only a CRC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			data := pattern(3 << 20)
			w.put(t, shared, "models/m.tar.gz", data, tt.withSHA256)
			w.srv.ResetRequests()

			res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "models/m.tar.gz"}, artifacts.URI{Bucket: target, Key: "m/m.tar.gz"}, "")
			if err != nil {
				t.Fatal(err)
			}
			want := artifacts.Result{Path: artifacts.PathServerSide, SHA256: sha256Hex(data), Size: int64(len(data))}
			if res != want {
				t.Errorf("Copy = %+v, want %+v", res, want)
			}
			w.assertCopy(t, "m/m.tar.gz", sha256Hex(data))
			o, _ := w.srv.S3().Object(target, "m/m.tar.gz")
			if got, _ := artifacts.FullObjectSHA256(o.Checksum); o.ChecksumType != "FULL_OBJECT" || got != sha256Hex(data) {
				t.Errorf("target checksum %s %s %s, want S3's full-object SHA-256 %s", o.ChecksumAlgorithm, o.ChecksumType, o.Checksum, sha256Hex(data))
			}
			if tt.withSHA256 && o.Metadata["modelpromote-sha256"] != sha256Hex(data) {
				t.Errorf("metadata = %v, want modelpromote-sha256 %s", o.Metadata, sha256Hex(data))
			}
			if n := w.srv.Count("s3", "CopyObject"); n != 1 {
				t.Errorf("CopyObject calls = %d, want 1", n)
			}
			if n := w.srv.Count("s3", "PutObject") + w.srv.Count("s3", "UploadPart"); n != 0 {
				t.Errorf("%d payload uploads, want none on the server-side path", n)
			}
			if gets := w.srv.Count("s3", "GetObject"); gets > 0 {
				t.Errorf("GetObject calls = %d, want none: S3 hashes the copy", gets)
			}
			// A rerun finds the copy by S3's checksum: nothing is read.
			w.srv.ResetRequests()
			if res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "models/m.tar.gz"}, artifacts.URI{Bucket: target, Key: "m/m.tar.gz"}, ""); err != nil || res.Path != artifacts.PathSkipped || res.SHA256 != sha256Hex(data) {
				t.Errorf("rerun = %+v, %v; want skipped with %s", res, err, sha256Hex(data))
			}
			if n := w.srv.Count("s3", "GetObject") + w.srv.Count("s3", "CopyObject"); n != 0 {
				t.Errorf("rerun made %d GetObject or CopyObject calls, want none", n)
			}
		})
	}
}

// noCopyChecksum strips the checksums from CopyObject's answer, as a
// server that does not compute them would send it.
type noCopyChecksum struct{ base http.RoundTripper }

func (n noCopyChecksum) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := n.base.RoundTrip(r)
	if err != nil || r.Method != http.MethodPut || r.Header.Get("X-Amz-Copy-Source") == "" || r.URL.Query().Has("partNumber") {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	body = regexp.MustCompile(`<Checksum[A-Za-z0-9]*>[^<]*</Checksum[A-Za-z0-9]*>`).ReplaceAll(body, nil)
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	res.Header.Del("Content-Length")
	return res, nil
}

// Where the server returns no SHA-256 of a server-side copy, the copy is
// hashed (bytes in), compared with the digest wanted, and the result says
// so; a mismatch leaves no target.
func TestCopyServerSideWithoutS3ChecksumHashesTheCopy(t *testing.T) {
	data := pattern(3 << 20)
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{
		{name: "digest unknown", ok: true},
		{name: "digest known", want: sha256Hex(data), ok: true},
		{name: "wrong digest", want: sha256Hex([]byte("other"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(t, shared, "m.bin", data, false)
			c := w.copier()
			c.Target = s3.NewFromConfig(w.srv.Config(w.prodCreds, fastRetries, func(c *aws.Config) {
				c.HTTPClient = &http.Client{Transport: noCopyChecksum{http.DefaultTransport}}
			}), awsemu.PathStyle)
			w.srv.ResetRequests()
			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, tt.want)
			if !tt.ok {
				var mismatch *artifacts.DigestMismatchError
				if !errors.As(err, &mismatch) || mismatch.Got != sha256Hex(data) {
					t.Fatalf("Copy = %v, want a mismatch", err)
				}
				if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
					t.Error("the mismatched copy was left")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := (artifacts.Result{Path: artifacts.PathServerSide, SHA256: sha256Hex(data), Size: int64(len(data)), Hashed: true}); res != want {
				t.Errorf("Copy = %+v, want %+v", res, want)
			}
			if n := w.srv.Count("s3", "GetObject"); n == 0 {
				t.Error("the copy was not read")
			}
			if !strings.Contains(w.logs.String(), "S3 returned no SHA-256 of the copy") {
				t.Errorf("log does not say why it hashed:\n%s", w.logs)
			}
			w.assertCopy(t, "m.bin", sha256Hex(data))
		})
	}
}

func TestCopyWithoutCrossAccountReadStreams(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		partSize  int64
		wantParts int
	}{
		{name: "smaller than a part: one PutObject", size: 1 << 20},
		{name: "multipart", size: 23<<20 + 17, partSize: 5 << 20, wantParts: 5},
		{name: "empty", size: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			data := pattern(tt.size)
			w.put(t, private, "models/m.bin", data, false)
			for _, b := range w.srv.S3().Buckets() {
				if b.Name == private && b.Policy != "" {
					t.Fatalf("%s has a bucket policy; prod must not be able to read it", private)
				}
			}
			c := w.copier()
			c.PartSize = tt.partSize
			var last artifacts.Progress
			c.Progress = func(p artifacts.Progress) { last = p }

			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: "models/m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != artifacts.PathStreamed || res.SHA256 != sha256Hex(data) || res.Size != int64(tt.size) {
				t.Errorf("Copy = %+v, want streamed %s", res, sha256Hex(data))
			}
			w.assertCopy(t, "m.bin", sha256Hex(data))
			if o, _ := w.srv.S3().Object(target, "m.bin"); o.Parts != tt.wantParts {
				t.Errorf("target has %d parts, want %d", o.Parts, tt.wantParts)
			}
			if n := w.srv.Count("s3", "CopyObject") + w.srv.Count("s3", "UploadPartCopy"); n != 0 {
				t.Errorf("%d server-side copy calls, want none: the target may not read the source", n)
			}
			if !strings.Contains(w.logs.String(), "streaming copy") {
				t.Errorf("log does not say the copy was streamed:\n%s", w.logs)
			}
			if last.Done != int64(tt.size) || last.Total != int64(tt.size) || last.Path != artifacts.PathStreamed {
				t.Errorf("last progress = %+v, want %d of %d streamed", last, tt.size, tt.size)
			}
		})
	}
}

func TestCopyDeniedServerSideFallsBackToStream(t *testing.T) {
	w := newWorld(t)
	data := pattern(2 << 20)
	w.put(t, shared, "m.bin", data, true)
	// The target may read the source, but the copy itself is refused
	// (as a KMS or SCP denial would be).
	w.srv.InjectFault(awsemu.Fault{Service: "s3", Operation: "CopyObject", AccessDenied: true})

	res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != artifacts.PathStreamed {
		t.Errorf("path = %s, want streamed", res.Path)
	}
	w.assertCopy(t, "m.bin", sha256Hex(data))
	if !strings.Contains(w.logs.String(), "server-side copy was denied") {
		t.Errorf("log does not say why it streamed:\n%s", w.logs)
	}
}

func TestCopyOtherErrorsAreNotStreamed(t *testing.T) {
	tests := []struct {
		name  string
		fault awsemu.Fault
		src   string
	}{
		{name: "server errors past the retries", src: "m.bin", fault: awsemu.Fault{Service: "s3", Operation: "CopyObject", ServerError: 10}},
		{name: "missing source", src: "nope.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(t, shared, "m.bin", pattern(1<<20), true)
			w.srv.ResetRequests()
			if tt.fault.Service != "" {
				w.srv.InjectFault(tt.fault)
			}
			_, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: shared, Key: tt.src}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
			if err == nil {
				t.Fatal("Copy succeeded")
			}
			if n := w.srv.Count("s3", "PutObject") + w.srv.Count("s3", "CreateMultipartUpload"); n != 0 {
				t.Errorf("%d uploads after %v; only AccessDenied may fall back to streaming", n, err)
			}
			if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
				t.Error("a target object was written")
			}
		})
	}
}

func TestCopySurvivesThrottling(t *testing.T) {
	for _, op := range []string{"CopyObject", "UploadPart", "GetObject"} {
		t.Run(op, func(t *testing.T) {
			w := newWorld(t)
			data := pattern(12 << 20)
			bucket := shared
			if op != "CopyObject" {
				bucket = private
			}
			w.put(t, bucket, "m.bin", data, true)
			w.srv.InjectFault(awsemu.Fault{Service: "s3", Operation: op, Throttle: 2})
			c := w.copier()
			c.PartSize = 5 << 20
			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: bucket, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
			if err != nil {
				t.Fatal(err)
			}
			w.assertCopy(t, "m.bin", res.SHA256)
			throttled := 0
			for _, r := range w.srv.Requests() {
				if r.Operation == op && r.Fault != "" {
					throttled++
				}
			}
			if throttled != 2 {
				t.Errorf("%d throttled %s calls, want 2", throttled, op)
			}
		})
	}
}

func TestCopyRerunSkips(t *testing.T) {
	for _, bucket := range []string{shared, private} {
		t.Run(bucket, func(t *testing.T) {
			w := newWorld(t)
			data := pattern(11 << 20)
			w.put(t, bucket, "m.bin", data, false)
			c := w.copier()
			c.PartSize = 5 << 20
			src, dst := artifacts.URI{Bucket: bucket, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}
			first, err := c.Copy(ctx(t), src, dst, "")
			if err != nil {
				t.Fatal(err)
			}
			before, _ := w.srv.S3().Object(target, "m.bin")
			w.srv.ResetRequests()

			again, err := c.Copy(ctx(t), src, dst, sha256Hex(data))
			if err != nil {
				t.Fatal(err)
			}
			want := artifacts.Result{Path: artifacts.PathSkipped, SHA256: first.SHA256, Size: first.Size}
			if again != want {
				t.Errorf("rerun = %+v, want %+v", again, want)
			}
			after, _ := w.srv.S3().Object(target, "m.bin")
			if !after.LastModified.Equal(before.LastModified) || after.ETag != before.ETag {
				t.Error("the rerun rewrote the target")
			}
			for _, op := range []string{"CopyObject", "PutObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy"} {
				if n := w.srv.Count("s3", op); n != 0 {
					t.Errorf("rerun made %d %s calls", n, op)
				}
			}

			// A new version of the source is copied again.
			w.put(t, bucket, "m.bin", pattern(6<<20), false)
			res, err := c.Copy(ctx(t), src, dst, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Path == artifacts.PathSkipped || res.SHA256 != sha256Hex(pattern(6<<20)) {
				t.Errorf("after the source changed: %+v", res)
			}
			w.assertCopy(t, "m.bin", sha256Hex(pattern(6<<20)))
		})
	}
}

func TestCopyAfterCrashMidMultipartConverges(t *testing.T) {
	w := newWorld(t)
	data := pattern(16 << 20)
	w.put(t, private, "m.bin", data, false)
	// What a run killed mid-copy leaves: an upload with some parts, and
	// an upload to another key that is none of our business.
	for _, key := range []string{"m.bin", "m.bin.other"} {
		up, err := w.prod.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(target), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.prod.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(target), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader(strings.Repeat("x", 1024))}); err != nil {
			t.Fatal(err)
		}
	}
	c := w.copier()
	c.PartSize = 5 << 20
	res, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.SHA256 != sha256Hex(data) {
		t.Errorf("SHA-256 = %s, want %s", res.SHA256, sha256Hex(data))
	}
	if o, _ := w.srv.S3().Object(target, "m.bin"); o.SHA256 == "" && w.sha256Of(t, target, "m.bin") != sha256Hex(data) {
		t.Error("target content differs")
	}
	if ups := w.srv.S3().MultipartUploads(target); len(ups) != 1 {
		t.Errorf("uploads left: %v, want only the other key's", ups)
	}
}

func TestCopyCanceledMidMultipartLeavesNoUpload(t *testing.T) {
	w := newWorld(t)
	w.put(t, private, "m.bin", pattern(30<<20), false)
	c := w.copier()
	c.PartSize, c.Concurrency = 5<<20, 1
	ctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	c.Progress = func(artifacts.Progress) { cancel() } // "crash" after the first part

	_, err := c.Copy(ctx, artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Copy = %v, want context.Canceled", err)
	}
	if ups := w.srv.S3().MultipartUploads(target); len(ups) > 0 {
		t.Errorf("uploads left: %v", ups)
	}
	if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
		t.Error("a target object was written")
	}
	if n := w.srv.Count("s3", "UploadPart"); n > 2 {
		t.Errorf("%d parts uploaded after cancellation", n)
	}

	// The rerun converges.
	c.Progress = nil
	res, err := c.Copy(context.Background(), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	w.assertCopy(t, "m.bin", res.SHA256)
}

func TestCopyWrongDigestFailsAndLeavesNothing(t *testing.T) {
	wrong := sha256Hex([]byte("not the model"))
	tests := []struct {
		name       string
		bucket     string
		withSHA256 bool
		size       int
	}{
		{name: "server-side, source checksum known", bucket: shared, withSHA256: true, size: 1 << 20},
		{name: "server-side, verified by S3's checksum of the copy", bucket: shared, size: 1 << 20},
		{name: "streamed, one part", bucket: private, size: 1 << 20},
		{name: "streamed, multipart", bucket: private, size: 12 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			data := pattern(tt.size)
			w.put(t, tt.bucket, "report.json", data, tt.withSHA256)
			c := w.copier()
			c.PartSize = 5 << 20

			_, err := c.Copy(ctx(t), artifacts.URI{Bucket: tt.bucket, Key: "report.json"}, artifacts.URI{Bucket: target, Key: "report.json"}, strings.ToUpper(wrong))
			var mismatch *artifacts.DigestMismatchError
			if !errors.As(err, &mismatch) {
				t.Fatalf("Copy = %v, want a DigestMismatchError", err)
			}
			if msg := err.Error(); !strings.Contains(msg, wrong) || !strings.Contains(msg, sha256Hex(data)) {
				t.Errorf("error %q does not name both digests", msg)
			}
			w.assertNothingLeft(t, "report.json")
		})
	}
}

func TestCopyWrongDigestRemovesEarlierCopy(t *testing.T) {
	w := newWorld(t)
	data := pattern(1 << 20)
	w.put(t, shared, "report.json", data, false)
	src, dst := artifacts.URI{Bucket: shared, Key: "report.json"}, artifacts.URI{Bucket: target, Key: "report.json"}
	if _, err := w.copier().Copy(ctx(t), src, dst, ""); err != nil {
		t.Fatal(err)
	}
	_, err := w.copier().Copy(ctx(t), src, dst, sha256Hex([]byte("other")))
	var mismatch *artifacts.DigestMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("Copy = %v, want a DigestMismatchError", err)
	}
	if _, ok := w.srv.S3().Object(target, "report.json"); ok {
		t.Error("a copy that does not match the expected digest was left")
	}
}

func TestCopyRefusesKMSAliases(t *testing.T) {
	w := newWorld(t)
	w.put(t, shared, "m.bin", []byte("x"), true)
	w.srv.ResetRequests()
	for _, key := range []string{"", "alias/prod-models", "arn:aws:kms:us-east-1:" + prodAccount + ":alias/prod-models", "1234abcd-12ab-34cd-56ef-1234567890ab"} {
		c := w.copier()
		c.KMSKeyARN = key
		if _, err := c.Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, ""); err == nil {
			t.Errorf("KMS key %q accepted", key)
		}
	}
	if n := w.srv.Count("s3", "CopyObject") + w.srv.Count("s3", "PutObject"); n != 0 {
		t.Errorf("%d writes", n)
	}
}

func TestCopyEncodesKeys(t *testing.T) {
	keys := []string{"reports/a b+c%.json", "models/ünïcødé/モデル v1.tar.gz", "x/a+b=c&d?e#f.json", "reports/a%41.json"}
	for _, bucket := range []string{shared, private} {
		t.Run(bucket, func(t *testing.T) {
			w := newWorld(t)
			// A key whose unencoded form decodes to another existing key
			// must not be confused with it.
			w.put(t, bucket, "reports/aA.json", []byte("decoy"), true)
			for i, key := range keys {
				data := []byte(strings.Repeat(key, i+1))
				w.put(t, bucket, key, data, i%2 == 0)
				res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: bucket, Key: key}, artifacts.URI{Bucket: target, Key: "copy/" + key}, sha256Hex(data))
				if err != nil {
					t.Fatalf("%q: %v", key, err)
				}
				if res.SHA256 != sha256Hex(data) {
					t.Errorf("%q: SHA-256 %s, want %s", key, res.SHA256, sha256Hex(data))
				}
				w.assertCopy(t, "copy/"+key, sha256Hex(data))
			}
		})
	}
}

func TestCopyProgressIsMonotonic(t *testing.T) {
	w := newWorld(t)
	w.put(t, private, "m.bin", pattern(26<<20), false)
	c := w.copier()
	c.PartSize = 5 << 20
	var calls, prev atomic.Int64
	c.Progress = func(p artifacts.Progress) {
		calls.Add(1)
		if p.Done < prev.Load() || p.Done > p.Total {
			t.Errorf("progress went from %d to %d of %d", prev.Load(), p.Done, p.Total)
		}
		prev.Store(p.Done)
	}
	if _, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, ""); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 6 || prev.Load() != 26<<20 {
		t.Errorf("%d progress calls ending at %d", calls.Load(), prev.Load())
	}
}

func TestCopyAccessDeniedIsNotRetried(t *testing.T) {
	w := newWorld(t)
	w.put(t, private, "m.bin", pattern(1<<20), false)
	w.srv.ResetRequests()
	// The target principal may not write: streaming cannot help, and
	// retrying cannot either.
	w.srv.InjectFault(awsemu.Fault{Service: "s3", Operation: "PutObject", Account: prodAccount, AccessDenied: true})
	_, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if err == nil {
		t.Fatal("Copy succeeded")
	}
	if n := w.srv.Count("s3", "PutObject"); n != 1 {
		t.Errorf("%d PutObject calls, want 1: AccessDenied is never retried", n)
	}
}

func TestCopyChecksBucketOwners(t *testing.T) {
	tests := []struct{ name, sourceOwner, targetOwner string }{
		{name: "source bucket owned by another account", sourceOwner: "333333333333", targetOwner: prodAccount},
		{name: "target bucket owned by another account", sourceOwner: devAccount, targetOwner: "333333333333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(t, shared, "m.bin", pattern(1<<20), true)
			w.srv.ResetRequests()
			c := w.copier()
			c.SourceOwner, c.TargetOwner = tt.sourceOwner, tt.targetOwner
			if _, err := c.Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, ""); err == nil {
				t.Fatal("Copy succeeded")
			}
			if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
				t.Error("a target object was written")
			}
		})
	}
}

func TestCopyOverTLS(t *testing.T) {
	w := newWorldTLS(t)
	for _, size := range []int{1 << 20, 12 << 20} {
		for _, bucket := range []string{shared, private} {
			data := pattern(size)
			key := fmt.Sprintf("%s/%d.bin", bucket, size)
			w.put(t, bucket, key, data, false)
			c := w.copier()
			c.PartSize = 5 << 20
			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: bucket, Key: key}, artifacts.URI{Bucket: target, Key: key}, "")
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if res.SHA256 != sha256Hex(data) {
				t.Errorf("%s: SHA-256 %s, want %s", key, res.SHA256, sha256Hex(data))
			}
			w.assertCopy(t, key, sha256Hex(data))
		}
	}
}

// A target whose metadata names the source and the bound digest but of
// which S3 keeps no SHA-256 (a server that computes none, or a copy left
// before it was hashed: CopyObject writes the metadata before the copy is
// verified) is not taken for a verified copy on its metadata: a rerun
// hashes it, and other bytes are refused and deleted, not kept.
func TestCopyRerunDoesNotTrustMetadataWithoutS3Checksum(t *testing.T) {
	w := newWorld(t)
	data := pattern(3 << 20)
	w.put(t, shared, "m.bin", data, false)
	o, _ := w.srv.S3().Object(shared, "m.bin")
	other := pattern(3 << 20)
	other[5] ^= 1
	_, err := w.prod.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(target), Key: aws.String("m.bin"), Body: bytes.NewReader(other),
		Metadata: map[string]string{
			"modelpromote-source-etag": o.ETag,
			"modelpromote-source-size": fmt.Sprint(len(data)),
			"modelpromote-sha256":      sha256Hex(data),
		},
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(prodKMSKey),
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := w.srv.S3().Object(target, "m.bin"); p.ChecksumAlgorithm == "SHA256" {
		t.Fatalf("the planted target has S3's SHA-256 (%s %s): the test needs one without", p.ChecksumAlgorithm, p.ChecksumType)
	}
	res, err := w.copier().CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"},
		artifacts.Bound{SHA256: sha256Hex(data), ETag: o.ETag, Size: int64(len(data))})
	var mismatch *artifacts.DigestMismatchError
	if !errors.As(err, &mismatch) || mismatch.Got != sha256Hex(other) {
		t.Fatalf("CopyBound = %+v, %v; want a mismatch of the target's bytes %s", res, err, sha256Hex(other))
	}
	if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
		t.Error("the target that failed verification was kept")
	}
}
