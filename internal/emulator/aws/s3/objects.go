package s3

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

func (s *Service) putObject(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	s.mu.RLock()
	b, err := s.authorize(r, c, name, "s3:PutObject", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	sse, kmsKey, err := s.encryption(r, b.Owner)
	if err != nil {
		return err
	}
	if r.Header.Get("If-None-Match") == "*" {
		if _, exists := s.Object(name, key); exists {
			return errPreconditionFailed
		}
	}
	if declaredSize(r) > maxPartSize {
		return errTooLarge
	}
	rec, err := s.receive(r, true)
	if err != nil {
		return err
	}
	alg, sum := rec.primaryChecksum(r)
	o := &Object{
		Bucket: name, Key: key, Size: rec.size,
		ETag:                 `"` + hex.EncodeToString(rec.md5) + `"`,
		LastModified:         s.now(),
		ContentType:          contentType(r),
		Metadata:             userMetadata(r.Header),
		ServerSideEncryption: sse, KMSKeyID: kmsKey,
		ChecksumAlgorithm: alg, Checksum: sum, ChecksumType: "FULL_OBJECT",
		SHA256:   rec.sha256Hex,
		segments: []segment{{file: rec.file, n: rec.size}},
	}
	if lerr := s.lockOnPut(r, o); lerr != nil {
		s.mu.Lock()
		s.discardLocked(o.segments)
		s.mu.Unlock()
		return lerr
	}
	if r.Header.Get("If-None-Match") == "*" {
		if err := s.storeIfAbsent(o); err != nil {
			return err
		}
	} else if serr := s.store(o); serr != nil {
		return errNoSuchBucket
	}
	w.Header().Set("ETag", o.ETag)
	writeEncryptionHeaders(w, o)
	if alg != "" {
		w.Header().Set(checksumHeader(alg), sum)
		w.Header().Set("X-Amz-Checksum-Type", o.ChecksumType)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// encryption reads the SSE headers: aws:kms with an optional key (default
// the account's aws/s3 key), AES256, or S3's default AES256.
func (s *Service) encryption(r *http.Request, account string) (sse, kmsKey string, err *apiError) {
	sse = r.Header.Get("X-Amz-Server-Side-Encryption")
	kmsKey = r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
	switch sse {
	case "":
		if kmsKey != "" {
			return "", "", invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
		}
		return "AES256", "", nil
	case "AES256":
		if kmsKey != "" {
			return "", "", invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
		}
		return sse, "", nil
	case "aws:kms", "aws:kms:dsse":
		if kmsKey == "" {
			kmsKey = fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/s3", s.region, account)
		}
		return sse, kmsKey, nil
	}
	return "", "", invalidArgument("The encryption method specified is not supported")
}

// writeEncryptionHeaders returns an object's server-side encryption and
// its KMS key, as S3 does on PUT, COPY, HEAD and GET
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html:
// x-amz-server-side-encryption, x-amz-server-side-encryption-aws-kms-key-id).
// modelpromote tells an evidence record apply wrote by its key.
func writeEncryptionHeaders(w http.ResponseWriter, o *Object) {
	if o.ServerSideEncryption != "" {
		w.Header().Set("X-Amz-Server-Side-Encryption", o.ServerSideEncryption)
	}
	if o.KMSKeyID != "" {
		w.Header().Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", o.KMSKeyID)
	}
}

func contentType(r *http.Request) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "binary/octet-stream"
}

func userMetadata(h http.Header) map[string]string {
	var m map[string]string
	for k := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok {
			if m == nil {
				m = map[string]string{}
			}
			m[name] = h.Get(k)
		}
	}
	return m
}

func (s *Service) getObject(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	s.mu.RLock()
	b, err := s.authorize(r, c, name, "s3:GetObject", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	var o Object
	if err == nil {
		if obj, ok := b.objects[key]; ok {
			o = obj.clone()
		} else if b.allowed(c.Account, c.ARN, "s3:ListBucket", bucketARN(name)) {
			err = errNoSuchKey
		} else {
			err = errAccessDenied // S3 hides existence from callers who cannot list
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if m := r.Header.Get("If-Match"); m != "" && m != o.ETag && m != "*" {
		return errPreconditionFailed
	}
	if m := r.Header.Get("If-None-Match"); m != "" && (m == o.ETag || m == "*") {
		w.Header().Set("ETag", o.ETag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	start, length, ranged, rerr := parseRange(r.Header.Get("Range"), o.Size)
	if rerr != nil {
		return rerr
	}
	if pn := r.URL.Query().Get("partNumber"); pn != "" {
		if r.Header.Get("Range") != "" {
			return invalidRequest("Cannot specify both Range header and partNumber query parameter")
		}
		if start, length, ranged, rerr = partRange(&o, pn); rerr != nil {
			return rerr
		}
	}
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", o.ContentType)
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	for k, v := range o.Metadata {
		h.Set("X-Amz-Meta-"+k, v)
	}
	writeEncryptionHeaders(w, &o)
	if o.Parts > 0 && ranged && r.URL.Query().Get("partNumber") != "" {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(o.Parts))
	}
	if !ranged && o.Checksum != "" && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		h.Set(checksumHeader(o.ChecksumAlgorithm), o.Checksum)
		h.Set("X-Amz-Checksum-Type", o.ChecksumType)
	}
	status := http.StatusOK
	if ranged {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, o.Size))
		status = http.StatusPartialContent
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	rc, oerr := openSegments(o.segments, start, length)
	if oerr != nil {
		return internalError(oerr)
	}
	defer rc.Close()
	w.WriteHeader(status)
	// The response writer copies with its own (pooled) buffer.
	_, _ = io.Copy(w, rc)
	return nil
}

// partRange is the byte range of part pn of a multipart object; part 1 of
// a single-part object is the whole object.
func partRange(o *Object, pn string) (start, length int64, ranged bool, err *apiError) {
	n, perr := strconv.Atoi(pn)
	if perr != nil || n < 1 || n > maxParts {
		return 0, 0, false, invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	if len(o.partSizes) == 0 {
		if n != 1 {
			return 0, 0, false, &apiError{http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable"}
		}
		return 0, o.Size, false, nil
	}
	if n > len(o.partSizes) {
		return 0, 0, false, &apiError{http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable"}
	}
	for _, sz := range o.partSizes[:n-1] {
		start += sz
	}
	return start, o.partSizes[n-1], true, nil
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
// A range S3 cannot parse is ignored (the whole object is returned); one
// that starts past the end is InvalidRange.
func parseRange(v string, size int64) (start, length int64, ranged bool, err *apiError) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, size, false, nil
	}
	invalid := &apiError{http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable"}
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil {
			return 0, size, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, invalid
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil {
		return 0, size, false, nil
	}
	end := size - 1
	if last != "" {
		b, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || b < a {
			return 0, size, false, nil
		}
		end = min(b, size-1)
	}
	if a >= size {
		return 0, 0, false, invalid
	}
	return a, end - a + 1, true, nil
}

func (s *Service) deleteObject(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.authorize(r, c, name, "s3:DeleteObject", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	if err != nil {
		return err
	}
	if o, ok := b.objects[key]; ok {
		if o.retained(s.now()) {
			return errObjectLocked
		}
		s.discardLocked(o.segments)
		delete(b.objects, key)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
