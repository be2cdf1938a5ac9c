package artifacts_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// partsDigest is what the check binds of data in parts of partSize: S3's
// composite SHA-256, computed here independently of the plan's hasher.
func partsDigest(data []byte, partSize int64) *plan.PartsDigest {
	var sums [][]byte
	for off := int64(0); off < int64(len(data)); off += partSize {
		s := sha256.Sum256(data[off:min(off+partSize, int64(len(data)))])
		sums = append(sums, s[:])
	}
	return &plan.PartsDigest{PartSize: partSize, SHA256: plan.CompositeSHA256(sums)}
}

// boundTo is the binding the check makes of the object at key now.
func (w *world) boundTo(t *testing.T, key string, data []byte, partSize int64) artifacts.Bound {
	t.Helper()
	o, ok := w.srv.S3().Object(shared, key)
	if !ok {
		t.Fatalf("no s3://%s/%s", shared, key)
	}
	return artifacts.Bound{SHA256: sha256Hex(data), ETag: o.ETag, Size: int64(len(data)), Parts: partsDigest(data, partSize)}
}

// A large object the check read (so bound with the composite SHA-256 of
// its parts too) is copied server-side in exactly those parts, in
// parallel, and verified against the bound composite: no byte of it is
// read by the process, and the target carries S3's composite SHA-256.
func TestCopyInBoundPartsReadsNoByte(t *testing.T) {
	w := newWorld(t)
	data := pattern(17<<20 + 5) // 4 parts of 5 MiB, the last 2 MiB + 5
	w.put(t, shared, "m.bin", data, false)
	b := w.boundTo(t, "m.bin", data, 5<<20)
	w.srv.InjectFault(awsemu.Fault{Service: "s3", Operation: "UploadPartCopy", Throttle: 1})
	w.srv.ResetRequests()
	src, dst := artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}

	res, err := w.copier().CopyBound(ctx(t), src, dst, b)
	if err != nil {
		t.Fatal(err)
	}
	want := artifacts.Result{Path: artifacts.PathServerSideMultipart, SHA256: sha256Hex(data), Size: int64(len(data)), Parts: 4}
	if res != want {
		t.Errorf("CopyBound = %+v, want %+v", res, want)
	}
	w.assertCopy(t, "m.bin", sha256Hex(data))
	o, _ := w.srv.S3().Object(target, "m.bin")
	if o.ChecksumAlgorithm != "SHA256" || o.ChecksumType != "COMPOSITE" || o.Checksum != b.Parts.SHA256 || o.Parts != 4 {
		t.Errorf("target checksum %s %s %s in %d parts, want the bound composite %s in 4", o.ChecksumAlgorithm, o.ChecksumType, o.Checksum, o.Parts, b.Parts.SHA256)
	}
	if o.Metadata["modelpromote-sha256"] != sha256Hex(data) {
		t.Errorf("metadata %v, want the bound SHA-256", o.Metadata)
	}
	if n := w.srv.Count("s3", "GetObject"); n != 0 {
		t.Errorf("%d GetObject calls, want none: S3 hashes the parts it copies", n)
	}
	if n := w.srv.Count("s3", "UploadPartCopy"); n != 4+1 {
		t.Errorf("%d UploadPartCopy calls, want 4 and 1 throttled", n)
	}
	if n := w.srv.Count("s3", "CopyObject") + w.srv.Count("s3", "UploadPart") + w.srv.Count("s3", "PutObject"); n != 0 {
		t.Errorf("%d CopyObject, UploadPart or PutObject calls, want none", n)
	}
	if !strings.Contains(w.logs.String(), "verified by the check's parts digest") {
		t.Errorf("the log does not say how it copied:\n%s", w.logs)
	}

	// A rerun finds the copy by its composite SHA-256: nothing is read
	// or copied.
	w.srv.ResetRequests()
	again, err := w.copier().CopyBound(ctx(t), src, dst, b)
	if err != nil || again != (artifacts.Result{Path: artifacts.PathSkipped, SHA256: sha256Hex(data), Size: int64(len(data))}) {
		t.Errorf("rerun = %+v, %v; want skipped with the bound SHA-256", again, err)
	}
	if n := w.srv.Count("s3", "GetObject") + w.srv.Count("s3", "UploadPartCopy") + w.srv.Count("s3", "CreateMultipartUpload"); n != 0 {
		t.Errorf("rerun made %d GetObject, UploadPartCopy or CreateMultipartUpload calls, want none", n)
	}
	if got, err := w.copier().PredictBound(ctx(t), src, artifacts.URI{Bucket: target, Key: "other.bin"}, b); err != nil || got.Path != artifacts.PathServerSideMultipart {
		t.Errorf("PredictBound = %+v, %v; want %s", got, err, artifacts.PathServerSideMultipart)
	}
}

// The source's bytes are not the ones the check hashed, though its ETag
// and size are (an object swapped for another with the same ETag: a
// single-part ETag is an MD5, and MD5 collides): S3's part SHA-256s do
// not make the bound composite, so the upload is aborted before it is
// completed and nothing is left in the target.
func TestCopyInBoundPartsRefusesSwappedBytes(t *testing.T) {
	w := newWorld(t)
	reviewed := pattern(12 << 20)
	swapped := append([]byte(nil), reviewed...)
	swapped[7<<20] ^= 0x40 // in part 2
	w.put(t, shared, "m.bin", swapped, false)
	b := w.boundTo(t, "m.bin", reviewed, 5<<20)
	_, err := w.copier().CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, b)
	var mismatch *artifacts.DigestMismatchError
	if !errors.As(err, &mismatch) || !mismatch.Composite || mismatch.Want != b.Parts.SHA256 || mismatch.Got != partsDigest(swapped, 5<<20).SHA256 {
		t.Fatalf("CopyBound = %v, want a composite mismatch between %s and %s", err, b.Parts.SHA256, partsDigest(swapped, 5<<20).SHA256)
	}
	w.assertNothingLeft(t, "m.bin")
	if n := w.srv.Count("s3", "CompleteMultipartUpload"); n != 0 {
		t.Errorf("%d CompleteMultipartUpload calls, want none", n)
	}
	// An earlier copy of other bytes in the target (another composite)
	// is not taken for the bound object either.
	w.put(t, shared, "n.bin", reviewed, false)
	other := w.boundTo(t, "n.bin", reviewed, 5<<20)
	if _, err := w.copier().CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "n.bin"}, artifacts.URI{Bucket: target, Key: "n.bin"}, other); err != nil {
		t.Fatal(err)
	}
	other.Parts = partsDigest(reviewed, 6<<20) // the same bytes cut elsewhere
	res, err := w.copier().CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "n.bin"}, artifacts.URI{Bucket: target, Key: "n.bin"}, other)
	if err != nil || res.Path != artifacts.PathServerSideMultipart || res.Parts != 2 {
		t.Errorf("CopyBound with another layout = %+v, %v; want copied again in 2 parts", res, err)
	}
}

// A source overwritten while its parts are copied: every UploadPartCopy
// is conditional on the bound ETag, so S3 refuses the rest with 412, and
// the upload is aborted.
func TestCopyInBoundPartsSourceReplacedMidCopy(t *testing.T) {
	w := newWorld(t)
	data := pattern(12 << 20)
	w.put(t, shared, "m.bin", data, false)
	b := w.boundTo(t, "m.bin", data, 5<<20)
	c := w.copier()
	c.PartCopyConcurrency = 1
	replaced := false
	c.Progress = func(p artifacts.Progress) {
		if !replaced {
			replaced = true
			w.put(t, shared, "m.bin", pattern(12<<20+1), false)
		}
	}
	_, err := c.CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, b)
	if !strings.Contains(err.Error(), "PreconditionFailed") {
		t.Fatalf("CopyBound = %v, want S3's PreconditionFailed", err)
	}
	w.assertNothingLeft(t, "m.bin")
}

// Where the server returns no SHA-256 of a copied part, the completed
// copy is hashed (bytes in), compared with the bound SHA-256, and the
// result and the log say so; a mismatch leaves nothing.
func TestCopyInBoundPartsWithoutPartChecksumsHashesTheCopy(t *testing.T) {
	data := pattern(11 << 20)
	for _, tt := range []struct {
		name string
		ok   bool
	}{{name: "the bound bytes", ok: true}, {name: "other bytes"}} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			src := data
			if !tt.ok {
				src = append([]byte(nil), data...)
				src[1] ^= 1
			}
			w.put(t, shared, "m.bin", src, false)
			b := w.boundTo(t, "m.bin", data, 5<<20)
			c := w.copier()
			c.Target = s3.NewFromConfig(w.srv.Config(w.prodCreds, fastRetries), awsemu.PathStyle, ignoreUploadChecksums)
			w.srv.ResetRequests()
			res, err := c.CopyBound(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, b)
			if !strings.Contains(w.logs.String(), "S3 returned no SHA-256 of the copied parts") {
				t.Errorf("log does not say why it hashed:\n%s", w.logs)
			}
			if !tt.ok {
				var mismatch *artifacts.DigestMismatchError
				if !errors.As(err, &mismatch) || mismatch.Got != sha256Hex(src) {
					t.Fatalf("CopyBound = %v, want a mismatch", err)
				}
				if _, ok := w.srv.S3().Object(target, "m.bin"); ok {
					t.Error("the mismatched copy was left")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := (artifacts.Result{Path: artifacts.PathServerSideMultipart, SHA256: sha256Hex(data), Size: int64(len(data)), Parts: 3, Hashed: true}); res != want {
				t.Errorf("CopyBound = %+v, want %+v", res, want)
			}
			w.assertCopy(t, "m.bin", sha256Hex(data))
		})
	}
}

// ignoreUploadChecksums makes the client's uploads look as they do on a
// server without checksums: CreateMultipartUpload goes without
// ChecksumAlgorithm (such a server ignores it), so parts are copied and
// completed with no checksum at all.
func ignoreUploadChecksums(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("ignoreUploadChecksums",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if p, ok := in.Parameters.(*s3.CreateMultipartUploadInput); ok {
					p.ChecksumAlgorithm = ""
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}
