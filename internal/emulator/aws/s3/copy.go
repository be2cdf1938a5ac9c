package s3

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// maxCopySize is the largest source CopyObject and UploadPartCopy accept.
const maxCopySize = 5 << 30

var errCopyTooLarge = invalidRequest(fmt.Sprintf("The specified copy source is larger than the maximum allowable size for a copy source: %d", maxCopySize))

// parseCopySource decodes x-amz-copy-source, which must be the URL-encoded
// "bucket/key" (optionally with a leading slash and ?versionId=). S3
// percent-decodes it, so an unencoded key containing '%' resolves to a
// different key (typically NoSuchKey) or fails to decode, and one with
// spaces or non-ASCII bytes is refused.
func parseCopySource(v string) (bucketName, key string, err *apiError) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f {
			return "", "", invalidArgument("Invalid copy source object key")
		}
	}
	v = strings.TrimPrefix(v, "/")
	if i := strings.Index(v, "?versionId="); i >= 0 {
		v = v[:i]
	}
	decoded, derr := url.PathUnescape(v)
	if derr != nil {
		return "", "", invalidArgument("Invalid copy source encoding")
	}
	bucketName, key, _ = strings.Cut(decoded, "/")
	if bucketName == "" || key == "" {
		return "", "", invalidArgument("Invalid copy source object key")
	}
	return bucketName, key, nil
}

// copySource authorizes and looks up the object named by x-amz-copy-source.
// The caller must hold s.mu.
func (s *Service) copySource(r *http.Request, c service.Caller) (*Object, *apiError) {
	srcBucket, srcKey, err := parseCopySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	b, err := s.authorize(r, c, srcBucket, "s3:GetObject", objectARN(srcBucket, srcKey), "X-Amz-Source-Expected-Bucket-Owner")
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[srcKey]
	if !ok {
		if !b.allowed(c.Account, c.ARN, "s3:ListBucket", bucketARN(srcBucket)) {
			return nil, errAccessDenied
		}
		return nil, errNoSuchKey
	}
	if e := copySourceConditions(r.Header, o); e != nil {
		return nil, e
	}
	return o, nil
}

// copySourceConditions applies a copy's preconditions on its source, as
// CopyObject and UploadPartCopy do: x-amz-copy-source-if-match (the ETag,
// quoted, or "*") and x-amz-copy-source-if-none-match, answered with 412
// PreconditionFailed when they do not hold. A copy bound to the ETag seen
// at review time thereby fails, copying nothing, once the source has been
// overwritten (an overwrite gets a new ETag).
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
func copySourceConditions(h http.Header, o *Object) *apiError {
	if m := h.Get("X-Amz-Copy-Source-If-Match"); m != "" && m != "*" && !etagListed(m, o.ETag) {
		return errPreconditionFailed
	}
	if m := h.Get("X-Amz-Copy-Source-If-None-Match"); m != "" && (m == "*" || etagListed(m, o.ETag)) {
		return errPreconditionFailed
	}
	return nil
}

// etagListed reports whether a conditional header's ETag (quoted or not,
// as clients send either) names etag.
func etagListed(header, etag string) bool {
	return strings.Trim(strings.TrimSpace(header), `"`) == strings.Trim(etag, `"`)
}

func (s *Service) copyObject(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	s.mu.RLock()
	dst, err := s.authorize(r, c, name, "s3:PutObject", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	var src Object
	if err == nil {
		var o *Object
		if o, err = s.copySource(r, c); err == nil {
			src = o.clone()
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if src.Size > maxCopySize {
		return errCopyTooLarge
	}
	directive := r.Header.Get("X-Amz-Metadata-Directive")
	sseHeader := r.Header.Get("X-Amz-Server-Side-Encryption")
	if src.Bucket == name && src.Key == key && directive != "REPLACE" && sseHeader == "" {
		return invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	sse, kmsKey, err := s.encryption(r, dst.Owner)
	if err != nil {
		return err
	}
	o := &Object{
		Bucket: name, Key: key, Size: src.Size,
		LastModified:         s.now(),
		ContentType:          src.ContentType,
		Metadata:             src.Metadata,
		ServerSideEncryption: sse, KMSKeyID: kmsKey,
		SHA256:    src.SHA256,
		Synthetic: src.Synthetic,
		segments:  src.segments,
	}
	if directive == "REPLACE" {
		o.ContentType, o.Metadata = contentType(r), userMetadata(r.Header)
	}
	if e := s.copyDigests(r, &src, o); e != nil {
		return e
	}
	if serr := s.store(o); serr != nil {
		return errNoSuchBucket
	}
	res := copyObjectResult{Xmlns: xmlns, ETag: o.ETag, LastModified: formatTime(o.LastModified)}
	if o.Checksum != "" {
		res.set(o.ChecksumAlgorithm, o.Checksum)
		res.ChecksumType = o.ChecksumType
	}
	writeEncryptionHeaders(w, o)
	writeXML(w, http.StatusOK, res)
	return nil
}

// copyDigests sets a copy's ETag and checksum. A single-part source keeps
// its MD5 ETag; otherwise the copy is one part and gets the MD5 of its
// content. Synthetic content is never read for this: its ETag is derived
// from the segment layout and it carries a checksum only if the source did.
func (s *Service) copyDigests(r *http.Request, src, o *Object) *apiError {
	alg := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Algorithm"))
	if alg != "" && newChecksum(alg) == nil {
		return invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	}
	keepChecksum := src.ChecksumType == "FULL_OBJECT" && (alg == "" || alg == src.ChecksumAlgorithm)
	if keepChecksum {
		o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = src.ChecksumAlgorithm, src.Checksum, "FULL_OBJECT"
	}
	needMD5 := strings.Contains(src.ETag, "-")
	if segmentsSynthetic(o.segments) {
		if needMD5 {
			o.ETag = syntheticETag(o.segments, 0)
		} else {
			o.ETag = src.ETag
		}
		if alg != "" && !keepChecksum {
			sums, err := digestSegments(o.segments, alg)
			if err != nil {
				return internalError(err)
			}
			o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = alg, sums[alg], "FULL_OBJECT"
		}
		return nil
	}
	var algs []string
	if needMD5 {
		algs = append(algs, "MD5")
	}
	if !keepChecksum {
		if alg == "" {
			alg = algCRC64NVME
		}
		algs = append(algs, alg)
	}
	sums, err := digestSegments(o.segments, algs...)
	if err != nil {
		return internalError(err)
	}
	o.ETag = src.ETag
	if needMD5 {
		o.ETag = `"` + sums["MD5"] + `"`
	}
	if !keepChecksum {
		o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = alg, sums[alg], "FULL_OBJECT"
	}
	return nil
}

// digestSegments reads content once and returns the requested digests:
// "MD5" as hex, checksum algorithms as base64.
func digestSegments(segs []segment, algs ...string) (map[string]string, error) {
	hashes := map[string]hash.Hash{}
	var writers []io.Writer
	var size int64
	for _, g := range segs {
		size += g.n
	}
	for _, a := range algs {
		h := newChecksum(a)
		if a == "MD5" {
			h = md5.New()
		}
		hashes[a] = h
		writers = append(writers, h)
	}
	rc, err := openSegments(segs, 0, size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := io.CopyBuffer(io.MultiWriter(writers...), rc, make([]byte, 1<<20)); err != nil {
		return nil, fmt.Errorf("digest content: %w", err)
	}
	out := map[string]string{}
	for a, h := range hashes {
		if a == "MD5" {
			out[a] = hex.EncodeToString(h.Sum(nil))
		} else {
			out[a] = b64(h.Sum(nil))
		}
	}
	return out, nil
}

// syntheticETag is a stable stand-in for the MD5 of synthetic content,
// derived from its layout; parts > 0 adds S3's multipart -N suffix.
func syntheticETag(segs []segment, parts int) string {
	h := md5.New()
	for _, g := range segs {
		fmt.Fprintf(h, "%s:%d:%d:%d;", g.file, g.seed, g.off, g.n)
	}
	etag := hex.EncodeToString(h.Sum(nil))
	if parts > 0 {
		etag += "-" + itoa(parts)
	}
	return `"` + etag + `"`
}
