package artifacts_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

// smallMultipart makes server-side copies over 5 MiB multipart, with 5 MiB
// parts, so that the multipart path runs on small objects.
func smallMultipart(t *testing.T, w *world) *artifacts.Copier {
	t.Helper()
	t.Cleanup(artifacts.SetMaxCopyObjectSize(5 << 20))
	c := w.copier()
	c.PartSize = 5 << 20
	return c
}

func TestCopyServerSideMultipart(t *testing.T) {
	data := pattern(12<<20 + 3)
	tests := []struct {
		name string
		want string // expected digest: the source is hashed while it is copied
	}{
		{name: "digest known: hash while copying", want: sha256Hex(data)},
		{name: "digest unknown: hash, then copy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(t, shared, "m.bin", data, false)
			c := smallMultipart(t, w)
			w.srv.InjectFault(awsemu.Fault{Service: "s3", Operation: "UploadPartCopy", Throttle: 2})
			var inCall atomic.Int32
			done := map[string]int64{}
			c.Progress = func(p artifacts.Progress) {
				if inCall.Add(1) != 1 {
					t.Error("Progress called concurrently")
				}
				defer inCall.Add(-1)
				done[p.Phase] = p.Done
			}

			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if res != (artifacts.Result{Path: artifacts.PathServerSideMultipart, SHA256: sha256Hex(data), Size: int64(len(data)), Hashed: true}) {
				t.Errorf("Copy = %+v", res)
			}
			w.assertCopy(t, "m.bin", sha256Hex(data))
			if n := int64(len(data)); done[artifacts.PhaseHashing] != n || done[artifacts.PhaseCopying] != n {
				t.Errorf("progress ended at %v, want %d for both phases", done, n)
			}
			if o, _ := w.srv.S3().Object(target, "m.bin"); o.Parts != 3 || o.Metadata["modelpromote-sha256"] != sha256Hex(data) {
				t.Errorf("target has %d parts and metadata %v, want 3 parts and the digest", o.Parts, o.Metadata)
			}
			if n := w.srv.Count("s3", "UploadPartCopy"); n != 3+2 {
				t.Errorf("%d UploadPartCopy calls, want 3 and 2 throttled", n)
			}
			if n := w.srv.Count("s3", "UploadPart") + w.srv.Count("s3", "CopyObject"); n != 0 {
				t.Errorf("%d UploadPart or CopyObject calls", n)
			}
		})
	}
}

func TestCopyServerSideMultipartSourceReplacedMidCopy(t *testing.T) {
	w := newWorld(t)
	w.put(t, shared, "m.bin", pattern(12<<20), false)
	c := smallMultipart(t, w)
	replaced := false
	c.Progress = func(p artifacts.Progress) {
		// Once the source has been hashed, and before its parts are
		// copied, someone uploads another version.
		if p.Phase == artifacts.PhaseHashing && p.Done == p.Total && !replaced {
			replaced = true
			other := pattern(12 << 20)
			other[6<<20] ^= 1 // in part 2
			w.put(t, shared, "m.bin", other, false)
		}
	}
	_, err := c.Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	// Every UploadPartCopy carries x-amz-copy-source-if-match with the
	// ETag hashed, so S3 refuses the new version's parts with 412 (the
	// parts' digests would also differ, should a server ignore it).
	var mismatch *artifacts.DigestMismatchError
	if awserr.Code(err) != "PreconditionFailed" && (!errors.As(err, &mismatch) || mismatch.Part != 2) {
		t.Fatalf("Copy = %v, want S3's PreconditionFailed or a part's digest mismatch", err)
	}
	w.assertNothingLeft(t, "m.bin")
}

func TestCopyServerSideMultipartWrongDigestLeavesNothing(t *testing.T) {
	for _, withSHA256 := range []bool{false, true} {
		w := newWorld(t)
		data := pattern(11 << 20)
		w.put(t, shared, "m.bin", data, withSHA256)
		wrong := sha256Hex([]byte("another model"))
		_, err := smallMultipart(t, w).Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, wrong)
		var mismatch *artifacts.DigestMismatchError
		if !errors.As(err, &mismatch) || mismatch.Want != wrong || mismatch.Got != sha256Hex(data) {
			t.Fatalf("source with SHA-256 checksum %v: Copy = %v, want a mismatch between %s and %s", withSHA256, err, wrong, sha256Hex(data))
		}
		w.assertNothingLeft(t, "m.bin")
	}
}

// headerRecorder records the headers of the requests a client sends.
type headerRecorder struct {
	mu   sync.Mutex
	base http.RoundTripper
	seen []http.Header
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	if r.URL.Query().Has("partNumber") {
		h.seen = append(h.seen, r.Header.Clone())
	}
	h.mu.Unlock()
	return h.base.RoundTrip(r)
}

// A streamed part is hashed with SHA-256 once, as part of the whole
// object's digest: it is sent with its CRC32C, which S3 checks, and
// unsigned, so that the SDK does not SHA-256 it again to sign it.
func TestStreamedPartsCarryCRC32CNotASecondSHA256(t *testing.T) {
	w := newWorld(t)
	data := pattern(17<<20 + 5)
	w.put(t, private, "m.bin", data, false)
	rec := &headerRecorder{base: http.DefaultTransport}
	c := w.copier()
	c.PartSize = 5 << 20
	c.Target = s3.NewFromConfig(w.srv.Config(w.prodCreds, fastRetries, func(c *aws.Config) { c.HTTPClient = &http.Client{Transport: rec} }), awsemu.PathStyle)

	res, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != artifacts.PathStreamed || res.SHA256 != sha256Hex(data) {
		t.Fatalf("Copy = %+v, want streamed %s", res, sha256Hex(data))
	}
	w.assertCopy(t, "m.bin", sha256Hex(data))
	if len(rec.seen) != 4 {
		t.Fatalf("%d UploadPart requests, want 4", len(rec.seen))
	}
	for i, h := range rec.seen {
		if h.Get("X-Amz-Checksum-Crc32c") == "" || h.Get("X-Amz-Checksum-Sha256") != "" {
			t.Errorf("part request %d: checksum headers crc32c %q sha256 %q, want CRC32C only", i, h.Get("X-Amz-Checksum-Crc32c"), h.Get("X-Amz-Checksum-Sha256"))
		}
		if got := h.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
			t.Errorf("part request %d: x-amz-content-sha256 %q, want UNSIGNED-PAYLOAD (else the SDK hashed the part to sign it)", i, got)
		}
	}
	o, _ := w.srv.S3().Object(target, "m.bin")
	if o.ChecksumAlgorithm != "CRC32C" || o.ChecksumType != "COMPOSITE" || !strings.HasSuffix(o.Checksum, "-4") {
		t.Errorf("target checksum %s %s %s, want a composite CRC32C of 4 parts", o.ChecksumAlgorithm, o.ChecksumType, o.Checksum)
	}
}

// A part whose bytes S3 received differently from what was read fails
// S3's CRC32C check: nothing is completed and no upload is left.
func TestStreamedPartCorruptedInTransitIsRefused(t *testing.T) {
	w := newWorld(t)
	w.put(t, private, "m.bin", pattern(11<<20), false)
	c := w.copier()
	c.PartSize = 5 << 20
	c.Target = s3.NewFromConfig(w.srv.Config(w.prodCreds, fastRetries, func(c *aws.Config) {
		c.HTTPClient = &http.Client{Transport: flipper{http.DefaultTransport}}
	}), awsemu.PathStyle)
	_, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: "m.bin"}, artifacts.URI{Bucket: target, Key: "m.bin"}, "")
	if awserr.Code(err) != "BadDigest" {
		t.Fatalf("Copy = %v, want S3's BadDigest", err)
	}
	w.assertNothingLeft(t, "m.bin")
}

// flipper flips one bit of the body of part 2's upload.
type flipper struct{ base http.RoundTripper }

func (f flipper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Query().Get("partNumber") == "2" && r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		b[len(b)/2] ^= 1
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return f.base.RoundTrip(r)
}

// Copies at once share one budget of part buffers: six streamed copies of
// four parts each, four parts in flight per copy, under a budget of two
// parts, all complete (a part waiting its turn for the whole-object hash
// never waits on a part without a buffer) and never hold more than it.
func TestCopiesAtOnceShareOneBufferBudget(t *testing.T) {
	w := newWorld(t)
	const n = 6
	data := make([][]byte, n)
	for i := range n {
		data[i] = pattern(17<<20 + i)
		w.put(t, private, fmt.Sprintf("m%d.bin", i), data[i], false)
	}
	budget := artifacts.NewBudget(10 << 20)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := w.copier()
			c.PartSize, c.Concurrency, c.Buffers = 5<<20, 4, budget
			key := fmt.Sprintf("m%d.bin", i)
			res, err := c.Copy(ctx(t), artifacts.URI{Bucket: private, Key: key}, artifacts.URI{Bucket: target, Key: key}, sha256Hex(data[i]))
			if err != nil || res.Path != artifacts.PathStreamed {
				t.Errorf("%s: Copy = %+v, %v", key, res, err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		w.assertCopy(t, fmt.Sprintf("m%d.bin", i), sha256Hex(data[i]))
	}
	if p := budget.Peak(); p > 10<<20 {
		t.Errorf("buffers peaked at %d bytes, over the budget of %d", p, 10<<20)
	}
}
