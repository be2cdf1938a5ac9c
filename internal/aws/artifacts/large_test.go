package artifacts_test

import (
	"os"
	"testing"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
)

// sixGiB is over CopyObject's 5 GiB limit.
const sixGiB = 6 << 30

// syntheticSHA256 computes a synthetic object's digest alongside the
// copy under test, so that the two 6 GiB hashes overlap.
func syntheticSHA256(t *testing.T, w *world, seed uint64, size int64) (wait func() string) {
	t.Helper()
	sum := make(chan string, 1)
	go func() {
		s, err := w.srv.S3().SyntheticSHA256(seed, size)
		if err != nil {
			t.Error(err)
		}
		sum <- s
	}()
	return func() string { return <-sum }
}

// skipIfShort skips a 6 GiB test unless MODELPROMOTE_LONG_TESTS=1 (and
// under -short): each takes 20–60 s on two cores, and minutes on a busy
// machine (the emulator hashes and stores every byte; the race detector
// instruments every copy), against ~10 s for the rest of the package.
// .ci/run runs them; see the README.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("MODELPROMOTE_LONG_TESTS") != "1" {
		t.Skip("6 GiB copy: set MODELPROMOTE_LONG_TESTS=1 to run it; TestCopyServerSideMultipart and TestCopyStreamedInBoundedMemory cover the paths")
	}
}

func TestCopy6GiBServerSideMultipart(t *testing.T) {
	skipIfShort(t)
	w := newWorldIn(t, memDir(t))
	if err := w.srv.S3().PutSyntheticObject(shared, "big/model.tar.gz", 42, sixGiB); err != nil {
		t.Fatal(err)
	}
	want := syntheticSHA256(t, w, 42, sixGiB)
	res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: shared, Key: "big/model.tar.gz"}, artifacts.URI{Bucket: target, Key: "big/model.tar.gz"}, "")
	if err != nil {
		t.Fatal(err)
	}
	sum := want()
	if res != (artifacts.Result{Path: artifacts.PathServerSideMultipart, SHA256: sum, Size: sixGiB, Hashed: true}) {
		t.Errorf("Copy = %+v, want server-side multipart %s", res, sum)
	}
	w.assertCopy(t, "big/model.tar.gz", sum)
	parts := sixGiB / artifacts.DefaultPartSize
	if o, _ := w.srv.S3().Object(target, "big/model.tar.gz"); o.Parts != parts || !o.Synthetic {
		t.Errorf("target: %d parts (synthetic %v), want %d parts copied server-side", o.Parts, o.Synthetic, parts)
	}
	if n := w.srv.Count("s3", "CopyObject"); n != 0 {
		t.Errorf("%d CopyObject calls on a 6 GiB source", n)
	}
	if n := w.srv.Count("s3", "UploadPartCopy"); n != parts {
		t.Errorf("%d UploadPartCopy calls, want %d", n, parts)
	}
	if n := w.srv.Count("s3", "UploadPart") + w.srv.Count("s3", "PutObject"); n != 0 {
		t.Errorf("%d payload uploads on the server-side path", n)
	}
}

func TestCopy6GiBStreamedInBoundedMemory(t *testing.T) {
	skipIfShort(t)
	w := newWorldIn(t, memDir(t))
	if err := w.srv.S3().PutSyntheticObject(private, "big/model.tar.gz", 43, sixGiB); err != nil {
		t.Fatal(err)
	}
	want := syntheticSHA256(t, w, 43, sixGiB)
	stop := heapPeak()
	res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: private, Key: "big/model.tar.gz"}, artifacts.URI{Bucket: target, Key: "big/model.tar.gz"}, "")
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	sum := want()
	if res != (artifacts.Result{Path: artifacts.PathStreamed, SHA256: sum, Size: sixGiB}) {
		t.Errorf("Copy = %+v, want streamed %s", res, sum)
	}
	w.assertCopy(t, "big/model.tar.gz", sum)
	t.Logf("peak heap growth %d MiB", peak>>20)
	if peak >= 128<<20 {
		t.Errorf("peak heap growth %d MiB, want < 128 MiB", peak>>20)
	}
}

func TestCopyStreamedInBoundedMemory(t *testing.T) {
	w := newWorldIn(t, memDir(t))
	const size = 256 << 20
	if err := w.srv.S3().PutSyntheticObject(private, "big/model.tar.gz", 44, size); err != nil {
		t.Fatal(err)
	}
	want := syntheticSHA256(t, w, 44, size)
	stop := heapPeak()
	res, err := w.copier().Copy(ctx(t), artifacts.URI{Bucket: private, Key: "big/model.tar.gz"}, artifacts.URI{Bucket: target, Key: "big/model.tar.gz"}, "")
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if sum := want(); res.SHA256 != sum || res.Path != artifacts.PathStreamed {
		t.Errorf("Copy = %+v, want streamed %s", res, sum)
	}
	if peak >= 128<<20 {
		t.Errorf("peak heap growth %d MiB, want < 128 MiB", peak>>20)
	}
}
