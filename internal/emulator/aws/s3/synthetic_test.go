package s3

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
	"testing/iotest"
)

func TestSyntheticReaderIsRandomAccess(t *testing.T) {
	whole, err := io.ReadAll(SyntheticReader(7, 0, 1000))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 1}, {3, 17}, {8, 8}, {13, 987}, {999, 1}, {500, 0}} {
		got, err := io.ReadAll(iotest.OneByteReader(SyntheticReader(7, r[0], r[1])))
		if err != nil || !bytes.Equal(got, whole[r[0]:r[0]+r[1]]) {
			t.Errorf("range %v differs", r)
		}
	}
	other, _ := io.ReadAll(SyntheticReader(8, 0, 1000))
	if bytes.Equal(whole, other) {
		t.Error("seeds 7 and 8 give the same bytes")
	}
	if err := iotest.TestReader(SyntheticReader(7, 5, 995), whole[5:]); err != nil {
		t.Error(err)
	}
}

func TestCompositeChecksum(t *testing.T) {
	// Two parts whose SHA-256s are known: the composite is SHA-256 over the
	// concatenated binary digests, base64, with the part count.
	p1 := b64(bytes.Repeat([]byte{1}, 32))
	p2 := b64(bytes.Repeat([]byte{2}, 32))
	got := compositeChecksum(algSHA256, []string{p1, p2})
	h := newChecksum(algSHA256)
	h.Write(bytes.Repeat([]byte{1}, 32))
	h.Write(bytes.Repeat([]byte{2}, 32))
	if want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-2"; got != want {
		t.Errorf("composite %s, want %s", got, want)
	}
}
