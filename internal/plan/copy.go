package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// CopyObject is one S3 object apply copies into a target account.
type CopyObject struct {
	// Source is the object in the source account, as the package names it.
	Source string `json:"source"`
	// Target is where it is copied: the environment's bucket, under the
	// version's prefix.
	Target string `json:"target"`
	// SHA256 is the lowercase hex digest the object must have: the
	// package's ContentDigest, else what the check computed; "" when
	// neither is known (an offline plan).
	SHA256 string `json:"sha256,omitempty"`
	// VersionID, ETag and Size are the source object the check read
	// (see Binding): apply copies only that object, with S3's copy
	// preconditions.
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Size      int64  `json:"size,omitempty"`
	// Parts is the composite SHA-256 of the source's canonical parts
	// the check computed in the same read as SHA256 (see PartsDigest):
	// apply may copy the object in those parts server-side and verify
	// the copy by it. Nil for small objects and objects the check did
	// not read (S3 or an earlier stage's record gave their SHA-256).
	Parts *PartsDigest `json:"parts,omitempty"`
	// Problem says why the object cannot be copied safely (a recorded
	// digest that is not SHA-256); the copy refuses to start while any
	// object has one.
	Problem string `json:"problem,omitempty"`
	// Fields are the places in the package that refer to it.
	Fields []string `json:"fields"`
}

// CopyObjects lists every object pkg refers to, once each, with the
// SHA-256 any of its references records, and where it goes under prefix
// in bucket.
func CopyObjects(pkg *ModelPackage, bucket, prefix string) []CopyObject {
	seen := map[string]int{}
	var out []CopyObject
	for _, ref := range pkg.Objects {
		want, problem := "", ""
		if ref.Digest != "" {
			hexDigest, ok := strings.CutPrefix(ref.Digest, "sha256:")
			if !ok {
				problem = fmt.Sprintf("%s: ContentDigest %q is not sha256:<hex>", ref.URI, ref.Digest)
			}
			want = strings.ToLower(hexDigest)
		}
		i, ok := seen[ref.URI]
		if !ok {
			i = len(out)
			seen[ref.URI] = i
			out = append(out, CopyObject{Source: ref.URI, Target: fmt.Sprintf("s3://%s/%s", bucket, TargetKey(prefix, ref.URI))})
		}
		o := &out[i]
		o.Fields = append(o.Fields, ref.Field)
		if o.SHA256 == "" {
			o.SHA256 = want
		}
		if problem != "" {
			o.Problem = strings.TrimPrefix(o.Problem+"; "+problem, "; ")
		}
	}
	return out
}

// TargetKey is where a source object is copied to under a promotion's
// prefix: deterministic, flat, and free of anything the source key could
// use to climb out of the prefix.
func TargetKey(prefix, sourceURI string) string {
	sum := sha256.Sum256([]byte(sourceURI))
	return prefix + "objects/" + hex.EncodeToString(sum[:8]) + "/" + path.Base(sourceURI)
}
