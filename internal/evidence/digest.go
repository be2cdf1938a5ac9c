package evidence

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
)

// Digest is a report's ContentDigest: "sha256:" followed by the hex SHA-256
// of its bytes. The zero Digest is "no digest".
//
// It is deliberately not comparable with what S3 reports: ChecksumSHA256 is
// base64, a multipart object's checksum is a checksum of part checksums, and
// an ETag is an MD5 or worse. ParseDigest refuses those forms.
type Digest struct {
	sum [sha256.Size]byte
	set bool
}

const digestPrefix = "sha256:"

var (
	hexDigest    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	etagLike     = regexp.MustCompile(`^"?[0-9a-fA-F]{32}(-[0-9]+)?"?$`)
	compositeB64 = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}-[0-9]+$`)
)

// ErrDigestMismatch is returned (wrapped) when content does not match its digest.
var ErrDigestMismatch = errors.New("content digest mismatch")

// ParseDigest parses "sha256:<64 hex digits>". Upper-case hex is accepted;
// String always writes lower case.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	rest, ok := strings.CutPrefix(s, digestPrefix)
	if !ok {
		if p, _, found := strings.Cut(s, ":"); found && !strings.ContainsAny(p, `"/+=`) {
			return d, fmt.Errorf("digest %q: unsupported algorithm %q, want sha256", s, p)
		}
		return d, fmt.Errorf("digest %q: %s", s, notHexReason(s))
	}
	if !hexDigest.MatchString(rest) {
		return d, fmt.Errorf("digest %q: want sha256: followed by 64 hex digits; %s", s, notHexReason(rest))
	}
	if _, err := hex.Decode(d.sum[:], []byte(rest)); err != nil {
		return Digest{}, fmt.Errorf("digest %q: %w", s, err)
	}
	d.set = true
	return d, nil
}

// notHexReason explains what a string that is not a hex SHA-256 looks like.
func notHexReason(s string) string {
	switch {
	case hexDigest.MatchString(s):
		return `missing the "sha256:" prefix`
	case etagLike.MatchString(s):
		return "this looks like an S3 ETag (MD5), which is not a content digest"
	case compositeB64.MatchString(s):
		return "this looks like an S3 multipart (composite) checksum, which is a checksum of part checksums, not of the content"
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == sha256.Size {
		return "this looks like a base64 SHA-256 (S3 ChecksumSHA256); ContentDigest is hex: hash the bytes and compare hex to hex"
	}
	return "want sha256: followed by 64 hex digits"
}

// DigestOf returns the digest of data.
func DigestOf(data []byte) Digest {
	return Digest{sum: sha256.Sum256(data), set: true}
}

// IsZero reports whether d is the zero Digest.
func (d Digest) IsZero() bool { return !d.set }

// Hex returns the lower-case hex SHA-256, or "" for the zero Digest.
func (d Digest) Hex() string {
	if !d.set {
		return ""
	}
	return hex.EncodeToString(d.sum[:])
}

// String returns "sha256:<hex>", or "" for the zero Digest.
func (d Digest) String() string {
	if !d.set {
		return ""
	}
	return digestPrefix + d.Hex()
}

// Equal reports whether two digests are the same; two zero digests are equal.
func (d Digest) Equal(o Digest) bool {
	return d.set == o.set && subtle.ConstantTimeCompare(d.sum[:], o.sum[:]) == 1
}

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; empty text is the zero Digest.
func (d *Digest) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*d = Digest{}
		return nil
	}
	p, err := ParseDigest(string(text))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Verify checks data against d.
func (d Digest) Verify(data []byte) error {
	return mismatch(d, DigestOf(data), int64(len(data)))
}

func mismatch(want, got Digest, n int64) error {
	if want.IsZero() {
		return fmt.Errorf("%w: no digest to verify against", ErrDigestMismatch)
	}
	if !want.Equal(got) {
		return fmt.Errorf("%w: want %s, got %s over %d bytes", ErrDigestMismatch, want, got, n)
	}
	return nil
}

// Verifier hashes what is written to it and checks it against a digest:
// tee a report's body through it while reading, then call Verify.
//
//	v := evidence.NewVerifier(want)
//	stats, err := evidence.ParseStatistics(io.TeeReader(body, v), nil)
//	if err == nil { err = v.Verify() }
//
// Verify only after the whole body has been read.
type Verifier struct {
	want Digest
	h    hash.Hash
	n    int64
}

// NewVerifier returns a Verifier for want.
func NewVerifier(want Digest) *Verifier {
	return &Verifier{want: want, h: sha256.New()}
}

// Write hashes p; it never fails.
func (v *Verifier) Write(p []byte) (int, error) {
	v.n += int64(len(p))
	return v.h.Write(p)
}

// Sum returns the digest of what has been written so far.
func (v *Verifier) Sum() Digest {
	var d Digest
	v.h.Sum(d.sum[:0])
	d.set = true
	return d
}

// Verify reports whether what was written matches the expected digest; the
// error wraps ErrDigestMismatch.
func (v *Verifier) Verify() error { return mismatch(v.want, v.Sum(), v.n) }
