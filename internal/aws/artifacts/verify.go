package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// DigestMismatchError is a copy whose content does not have the SHA-256 it
// must have. Digests are compared as lowercase hex, never as base64
// checksums or ETags.
type DigestMismatchError struct {
	Object URI
	// Part is the part number when one part of a multipart copy differs,
	// 0 for the whole object.
	Part int32
	// Want is the expected hex digest, from Source; Got is the object's.
	Want, Got string
	Source    string
	// Composite is set when Want and Got are S3 composite SHA-256s of
	// the object's parts (base64, -N), not hex digests of the content.
	Composite bool
}

func (e *DigestMismatchError) Error() string {
	what := e.Object.String()
	if e.Part > 0 {
		what += " part " + strconv.Itoa(int(e.Part))
	}
	kind := "SHA-256"
	if e.Composite {
		kind = "composite SHA-256 of the parts"
	}
	return fmt.Sprintf("%s: %s %s does not match %s from %s", what, kind, e.Got, e.Want, e.Source)
}

// partAlg is the checksum a copy computes of each part, for S3 to check:
// the parts of a streamed upload carry CRC32C (S3's checksum for integrity
// in transit, a few per cent of SHA-256's cost), those S3 copies
// server-side SHA-256, and a read that only hashes the whole object none.
type partAlg int

const (
	partNone partAlg = iota
	partCRC32C
	partSHA256
)

// crc32cTable is the Castagnoli polynomial S3's CRC32C uses (hardware
// accelerated on amd64 and arm64).
var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// sum is the part checksum of data, big-endian for CRCs as S3 encodes it.
func (a partAlg) sum(data []byte) []byte {
	switch a {
	case partCRC32C:
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32cTable))
	case partSHA256:
		s := sha256.Sum256(data)
		return s[:]
	}
	return nil
}

// algorithm is a as S3 names it.
func (a partAlg) algorithm() types.ChecksumAlgorithm {
	switch a {
	case partCRC32C:
		return types.ChecksumAlgorithmCrc32c
	case partSHA256:
		return types.ChecksumAlgorithmSha256
	}
	return ""
}

// newHash is a's hash, for the composite of the part checksums.
func (a partAlg) newHash() hash.Hash {
	if a == partCRC32C {
		return crc32.New(crc32cTable)
	}
	return sha256.New()
}

// partSums are an object's part checksums (of alg) and the SHA-256 of the
// whole.
type partSums struct {
	alg   partAlg
	parts [][]byte
	full  []byte
}

func (p partSums) hex() string { return hex.EncodeToString(p.full) }

// part is the base64 checksum of part i, as S3 writes it.
func (p partSums) part(i int) string { return base64.StdEncoding.EncodeToString(p.parts[i]) }

// composite is the checksum S3 gives a multipart object uploaded with
// part checksums: the algorithm over the concatenated binary part
// checksums, base64, suffixed with the part count. It is not a checksum of
// the content.
func (p partSums) composite() string {
	h := p.alg.newHash()
	for _, s := range p.parts {
		h.Write(s)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(p.parts))
}

// compositeOf picks the composite checksum of p's algorithm from what
// S3 returned.
func (p partSums) compositeOf(crc32c, sha256 *string) string {
	if p.alg == partCRC32C {
		return aws.ToString(crc32c)
	}
	return aws.ToString(sha256)
}

// fullObjectSHA256 converts S3's base64 x-amz-checksum-sha256 of a whole
// object to hex. A composite checksum (of part checksums, suffixed -N) is
// not one, and neither is anything that does not decode to 32 bytes.
func fullObjectSHA256(b64 string) (string, bool) {
	if b64 == "" || strings.Contains(b64, "-") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(raw), true
}

func isHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// isKMSKeyARN accepts arn:PARTITION:kms:REGION:ACCOUNT:key/ID: S3 would
// also take an alias or a bare key ID, but those resolve in the caller's
// account and can silently name another key.
func isKMSKeyARN(s string) bool {
	f := strings.SplitN(s, ":", 6)
	return len(f) == 6 && f[0] == "arn" && f[2] == "kms" && f[3] != "" && len(f[4]) == 12 &&
		strings.HasPrefix(f[5], "key/") && len(f[5]) > len("key/")
}

// cleanupContext outlives ctx's cancellation, briefly, so that a failed
// copy can still abort its upload or delete what it wrote.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
