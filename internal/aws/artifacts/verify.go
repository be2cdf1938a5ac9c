package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
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
}

func (e *DigestMismatchError) Error() string {
	what := e.Object.String()
	if e.Part > 0 {
		what += " part " + strconv.Itoa(int(e.Part))
	}
	return fmt.Sprintf("%s: SHA-256 %s does not match %s from %s", what, e.Got, e.Want, e.Source)
}

// partSums are the SHA-256 digests of an object's parts and of the whole.
type partSums struct {
	parts [][]byte
	full  []byte
}

func (p partSums) hex() string { return hex.EncodeToString(p.full) }

// composite is the checksum S3 gives a multipart object uploaded with
// SHA-256 part checksums: the SHA-256 of the concatenated binary part
// digests, base64, suffixed with the part count. It is not the SHA-256 of
// the content.
func (p partSums) composite() string {
	h := sha256.New()
	for _, s := range p.parts {
		h.Write(s)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(p.parts))
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
