package plan

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Parts: what lets apply copy a large object server-side in parallel parts
// and still verify it without reading a byte of it.
//
// A server-side copy made of parallel UploadPartCopy requests leaves the
// target no full-object SHA-256, only S3's composite one: SHA-256 over the
// concatenated binary SHA-256 of each part, base64, suffixed "-N" (the
// S3 User Guide, "Checking object integrity in Amazon S3", section "Using
// part-level checksums for multipart uploads"). S3 computes each copied
// part's SHA-256 from the bytes it copied when the upload was created with
// ChecksumAlgorithm SHA256. So the check, which reads every byte of an
// object S3 keeps no full SHA-256 for, also computes that composite for
// the byte ranges apply will copy, in the same read; apply copies exactly
// those ranges and compares the composite of S3's part checksums with the
// bound one. Two byte strings cut at the same offsets have the same
// composite only if every part has the same SHA-256, that is (short of a
// SHA-256 collision) only if they are the same bytes: the copy is the
// object whose whole SHA-256 the check bound, which stays its identity in
// the plan and in evidence records.

// PartsDigest is S3's composite SHA-256 of an object cut into parts of
// PartSize bytes (the last may be shorter).
type PartsDigest struct {
	PartSize int64 `json:"partSize"`
	// SHA256 is base64(SHA-256(SHA-256(part 1) ‖ … ‖ SHA-256(part N)))
	// followed by "-N", as S3 writes x-amz-checksum-sha256 of a
	// multipart object with COMPOSITE checksums.
	SHA256 string `json:"sha256"`
}

// S3's multipart limits.
const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
	maxObject   = 5 << 40
)

// PartsDigestAbove is the size above which the check binds an object's
// composite SHA-256 too (PartsLayout): up to it one CopyObject was as
// fast as parts or faster (bench/README.md, "crossover": 128 MiB 1.6× slower
// in parts, 256 MiB 0.72×, 768 MiB 0.56× on versitygw), and hashing the
// parts costs the check a second SHA-256 pass over the bytes.
const PartsDigestAbove = 128 << 20

// partsDigestMinPartSize is the smallest canonical part: of 8, 16, 32, 64
// and 128 MiB parts, 32 and 64 copied 768 MiB fastest (bench/README.md).
const partsDigestMinPartSize = 32 << 20

// PartsLayout is the canonical part size for an object of size bytes:
// 32 MiB, grown in whole MiB so that there are at most 10,000 parts; 0 for
// an object of at most PartsDigestAbove bytes (or over S3's 5 TiB limit),
// which gets no parts digest. It depends on the size alone, so the check
// and apply agree; the binding records it anyway, so that apply copies the
// ranges the check hashed whatever version runs it.
func PartsLayout(size int64) int64 {
	if size <= PartsDigestAbove || size > maxObject {
		return 0
	}
	ps := int64(partsDigestMinPartSize)
	if need := (size + maxParts - 1) / maxParts; need > ps {
		ps = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return ps
}

// Valid says whether d is a composite SHA-256 of an object of size bytes
// whose parts S3 can copy: parts of 5 MiB to 5 GiB, at most 10,000, and
// the value's part count agrees with the size.
func (d PartsDigest) Valid(size int64) error {
	if d.PartSize < minPartSize || d.PartSize > maxPartSize {
		return fmt.Errorf("part size %d is not between 5 MiB and 5 GiB", d.PartSize)
	}
	n := (size + d.PartSize - 1) / d.PartSize
	if n < 1 || n > maxParts {
		return fmt.Errorf("%d parts of %d bytes is not between 1 and 10,000", n, d.PartSize)
	}
	sum, count, ok := strings.Cut(d.SHA256, "-")
	raw, err := base64.StdEncoding.DecodeString(sum)
	if !ok || err != nil || len(raw) != sha256.Size || count != strconv.FormatInt(n, 10) {
		return fmt.Errorf("%q is not a composite SHA-256 of %d parts", d.SHA256, n)
	}
	return nil
}

// Parts is the number of parts.
func (d PartsDigest) Parts(size int64) int { return int((size + d.PartSize - 1) / d.PartSize) }

// CompositeSHA256 is S3's composite checksum of binary part SHA-256s.
func CompositeSHA256(parts [][]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

// Digester hashes what is written to it twice: the whole (SHA-256)
// and, when partSize > 0, each part of partSize bytes: one read of the
// object gives both digests, as the check binds them.
type Digester struct {
	full     hash.Hash
	partSize int64
	part     hash.Hash
	inPart   int64
	parts    [][]byte
}

// NewDigester hashes in parts of partSize bytes (none when 0).
func NewDigester(partSize int64) *Digester {
	w := &Digester{full: sha256.New(), partSize: partSize}
	if partSize > 0 {
		w.part = sha256.New()
	}
	return w
}

// Write hashes p into both digests; a large p is hashed into the two at
// once, on two goroutines, so that the second digest costs CPU but little
// wall time where a core is free.
func (w *Digester) Write(p []byte) (int, error) {
	if w.part == nil {
		w.full.Write(p)
		return len(p), nil
	}
	if len(p) < parallelDigestMin {
		w.full.Write(p)
		w.writeParts(p)
		return len(p), nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.full.Write(p) })
	w.writeParts(p)
	wg.Wait()
	return len(p), nil
}

// parallelDigestMin is the smallest write hashed on two goroutines: below
// it, starting one costs more than it saves.
const parallelDigestMin = 256 << 10

// DigestBuffer is the read buffer to copy into a Digester with
// (io.CopyBuffer): large enough for its two hashes to run at once.
const DigestBuffer = 1 << 20

func (w *Digester) writeParts(p []byte) {
	for rest := p; len(rest) > 0; {
		n := min(int64(len(rest)), w.partSize-w.inPart)
		w.part.Write(rest[:n])
		rest, w.inPart = rest[n:], w.inPart+n
		if w.inPart == w.partSize {
			w.parts, w.inPart = append(w.parts, w.part.Sum(nil)), 0
			w.part.Reset()
		}
	}
}

// Sums returns the whole SHA-256 (binary) and the parts digest (nil when
// not asked for).
func (w *Digester) Sums() ([]byte, *PartsDigest) {
	full := w.full.Sum(nil)
	if w.part == nil {
		return full, nil
	}
	parts := w.parts
	if w.inPart > 0 {
		parts = append(parts, w.part.Sum(nil))
	}
	return full, &PartsDigest{PartSize: w.partSize, SHA256: CompositeSHA256(parts)}
}

var _ io.Writer = (*Digester)(nil)
