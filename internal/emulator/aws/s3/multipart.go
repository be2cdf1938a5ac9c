package s3

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
)

type upload struct {
	id, bucket, key string
	created         time.Time
	contentType     string
	metadata        map[string]string
	sse, kmsKey     string
	// checksumAlg and checksumType were chosen at creation; "" when the
	// upload has no checksum.
	checksumAlg, checksumType string
	parts                     map[int]*part
}

type part struct {
	number       int
	size         int64
	etag         string // quoted
	checksum     string // base64, for the upload's algorithm
	segments     []segment
	lastModified time.Time
}

// MultipartUploads lists the IDs of the uploads in progress for a bucket.
func (s *Service) MultipartUploads(bucketName string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []string
	for id, u := range s.uploads {
		if u.bucket == bucketName {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (s *Service) createMultipartUpload(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
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
	alg := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Algorithm"))
	typ := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Type"))
	if alg != "" && newChecksum(alg) == nil {
		return invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	}
	switch {
	case alg == "" && typ != "":
		return invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case alg == "":
	case typ == "" && alg == algCRC64NVME:
		typ = "FULL_OBJECT"
	case typ == "":
		typ = "COMPOSITE"
	case typ == "FULL_OBJECT" && (alg == algSHA1 || alg == algSHA256):
		return invalidRequest(fmt.Sprintf("The %s checksum algorithm does not support the FULL_OBJECT checksum type.", alg))
	case typ == "COMPOSITE" && alg == algCRC64NVME:
		return invalidRequest("The CRC64NVME checksum algorithm does not support the COMPOSITE checksum type.")
	case typ != "FULL_OBJECT" && typ != "COMPOSITE":
		return invalidRequest("Value for x-amz-checksum-type header is invalid.")
	}
	u := &upload{
		id: requestID() + requestID() + requestID(), bucket: name, key: key, created: s.now(),
		contentType: contentType(r), metadata: userMetadata(r.Header), sse: sse, kmsKey: kmsKey,
		checksumAlg: alg, checksumType: typ, parts: map[int]*part{},
	}
	s.mu.Lock()
	s.uploads[u.id] = u
	s.mu.Unlock()
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	writeEncryptionHeaders(w, &Object{ServerSideEncryption: sse, KMSKeyID: kmsKey})
	writeXML(w, http.StatusOK, initiateMultipartUploadResult{Xmlns: xmlns, Bucket: name, Key: key, UploadID: u.id})
	return nil
}

// findUpload authorizes a request on an upload in progress. The caller
// must hold s.mu.
func (s *Service) findUpload(r *http.Request, c service.Caller, action string) (*upload, *apiError) {
	name, key := splitPath(r)
	if _, err := s.authorize(r, c, name, action, objectARN(name, key), "X-Amz-Expected-Bucket-Owner"); err != nil {
		return nil, err
	}
	u, ok := s.uploads[r.URL.Query().Get("uploadId")]
	if !ok || u.bucket != name || u.key != key {
		return nil, errNoSuchUpload
	}
	return u, nil
}

func partNumber(r *http.Request) (int, *apiError) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > maxParts {
		return 0, invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

func (s *Service) uploadPart(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	u, err := s.findUpload(r, c, "s3:PutObject")
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	var want []string
	if u.checksumAlg != "" {
		want = append(want, u.checksumAlg)
		for _, alg := range sentAlgorithms(r) {
			if alg != u.checksumAlg {
				return invalidRequest(fmt.Sprintf("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
					strings.ToLower(u.checksumAlg), strings.ToLower(alg)))
			}
		}
	}
	if declaredSize(r) > maxPartSize {
		return errTooLarge
	}
	rec, err := s.receive(r, want...)
	if err != nil {
		return err
	}
	p := &part{
		number: n, size: rec.size, etag: `"` + hex.EncodeToString(rec.md5) + `"`,
		checksum: rec.checksums[u.checksumAlg], lastModified: s.now(),
		segments: []segment{{file: rec.file, n: rec.size}},
	}
	if e := s.savePart(u, p); e != nil {
		return e
	}
	w.Header().Set("ETag", p.etag)
	if u.checksumAlg != "" {
		w.Header().Set(checksumHeader(u.checksumAlg), p.checksum)
	}
	writeEncryptionHeaders(w, &Object{ServerSideEncryption: u.sse, KMSKeyID: u.kmsKey})
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) savePart(u *upload, p *part) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uploads[u.id] != u {
		s.discardLocked(p.segments)
		return errNoSuchUpload // aborted or completed meanwhile
	}
	if old, ok := u.parts[p.number]; ok {
		s.discardLocked(old.segments)
	}
	u.parts[p.number] = p
	return nil
}

func (s *Service) uploadPartCopy(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	u, err := s.findUpload(r, c, "s3:PutObject")
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
	start, length := int64(0), src.Size
	if v := r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		var rerr *apiError
		if start, length, rerr = copySourceRange(v, src.Size); rerr != nil {
			return rerr
		}
	}
	if length > maxPartSize {
		return errCopyTooLarge
	}
	segs := sliceSegments(src.segments, start, length)
	p := &part{number: n, size: length, lastModified: s.now(), segments: segs}
	var algs []string
	if u.checksumAlg != "" {
		algs = append(algs, u.checksumAlg)
	}
	if segmentsSynthetic(segs) {
		p.etag = syntheticETag(segs, 0)
	} else {
		algs = append(algs, "MD5")
	}
	if len(algs) > 0 {
		sums, derr := digestSegments(segs, algs...)
		if derr != nil {
			return internalError(derr)
		}
		if m, ok := sums["MD5"]; ok {
			p.etag = `"` + m + `"`
		}
		p.checksum = sums[u.checksumAlg]
	}
	if e := s.savePart(u, p); e != nil {
		return e
	}
	res := copyPartResult{Xmlns: xmlns, ETag: p.etag, LastModified: formatTime(p.lastModified)}
	if u.checksumAlg != "" {
		res.set(u.checksumAlg, p.checksum)
	}
	writeEncryptionHeaders(w, &Object{ServerSideEncryption: u.sse, KMSKeyID: u.kmsKey})
	writeXML(w, http.StatusOK, res)
	return nil
}

// copySourceRange parses "bytes=first-last", which must lie within the
// source.
func copySourceRange(v string, size int64) (start, length int64, err *apiError) {
	bad := invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first {
		return 0, 0, bad
	}
	if last >= size {
		return 0, 0, invalidArgument(fmt.Sprintf("Range specified is not valid for source object of size: %d", size))
	}
	return first, last - first + 1, nil
}

func (s *Service) completeMultipartUpload(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	body, rerr := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if rerr != nil {
		return internalError(rerr)
	}
	var req completeMultipartUpload
	if xml.Unmarshal(body, &req) != nil || len(req.Parts) == 0 {
		return errMalformedXML
	}
	s.mu.Lock()
	u, err := s.findUpload(r, c, "s3:PutObject")
	var parts []*part
	if err == nil {
		parts, err = u.check(req.Parts)
	}
	if err == nil {
		delete(s.uploads, u.id) // claimed: a concurrent complete gets NoSuchUpload
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	o, err := s.assemble(r, u, parts)
	if err != nil {
		s.mu.Lock()
		s.uploads[u.id] = u
		s.mu.Unlock()
		return err
	}
	if serr := s.store(o); serr != nil {
		return errNoSuchBucket
	}
	s.mu.Lock()
	for _, p := range u.parts {
		s.discardLocked(p.segments) // parts left out of the object
	}
	s.mu.Unlock()
	res := completeMultipartUploadResult{
		Xmlns: xmlns, Location: "http://" + r.Host + "/" + u.bucket + "/" + u.key,
		Bucket: u.bucket, Key: u.key, ETag: o.ETag,
	}
	if o.Checksum != "" {
		res.set(o.ChecksumAlgorithm, o.Checksum)
		res.ChecksumType = o.ChecksumType
	}
	writeEncryptionHeaders(w, o)
	writeXML(w, http.StatusOK, res)
	return nil
}

// check validates the client's part list against the uploaded parts, as S3
// does: ascending numbers, matching ETags (and checksums when the upload has
// an algorithm), every part but the last at least 5 MiB.
func (u *upload) check(list []completedPart) ([]*part, *apiError) {
	invalidPart := &apiError{http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}
	parts := make([]*part, 0, len(list))
	for i, cp := range list {
		if i > 0 && cp.PartNumber <= list[i-1].PartNumber {
			return nil, &apiError{http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."}
		}
		p, ok := u.parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != strings.Trim(p.etag, `"`) {
			return nil, invalidPart
		}
		if u.checksumAlg != "" && u.checksumType == "COMPOSITE" {
			got := cp.get(u.checksumAlg)
			if got == "" {
				return nil, invalidRequest(fmt.Sprintf("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(u.checksumAlg), cp.PartNumber))
			}
			if got != p.checksum {
				return nil, invalidPart
			}
		}
		parts = append(parts, p)
	}
	for _, p := range parts[:len(parts)-1] {
		if p.size < minPartSize {
			return nil, &apiError{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size."}
		}
	}
	return parts, nil
}

// assemble builds the completed object: segments of the parts in order,
// ETag the MD5 of the parts' binary MD5s with -N, checksum composite or
// full-object as the upload asked.
func (s *Service) assemble(r *http.Request, u *upload, parts []*part) (*Object, *apiError) {
	o := &Object{
		Bucket: u.bucket, Key: u.key, LastModified: s.now(), ContentType: u.contentType, Metadata: u.metadata,
		ServerSideEncryption: u.sse, KMSKeyID: u.kmsKey, Parts: len(parts),
	}
	etags := md5.New()
	var sums []string
	for _, p := range parts {
		raw, _ := hex.DecodeString(strings.SplitN(strings.Trim(p.etag, `"`), "-", 2)[0])
		etags.Write(raw)
		sums = append(sums, p.checksum)
		o.Size += p.size
		o.segments = append(o.segments, p.segments...)
		o.partSizes = append(o.partSizes, p.size)
	}
	o.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(etags.Sum(nil)), len(parts))
	o.Synthetic = segmentsSynthetic(o.segments)
	switch u.checksumType {
	case "COMPOSITE":
		o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = u.checksumAlg, compositeChecksum(u.checksumAlg, sums), "COMPOSITE"
	case "FULL_OBJECT":
		full, err := digestSegments(o.segments, u.checksumAlg)
		if err != nil {
			return nil, internalError(err)
		}
		if v := r.Header.Get(checksumHeader(u.checksumAlg)); v != "" && v != full[u.checksumAlg] {
			return nil, &apiError{http.StatusBadRequest, "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", u.checksumAlg)}
		}
		o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = u.checksumAlg, full[u.checksumAlg], "FULL_OBJECT"
	}
	return o, nil
}

func (s *Service) abortMultipartUpload(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(r, c, "s3:AbortMultipartUpload")
	if err != nil {
		return err
	}
	delete(s.uploads, u.id)
	for _, p := range u.parts {
		s.discardLocked(p.segments)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listParts(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	q := r.URL.Query()
	maxP, marker := 1000, 0
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArgument("Provided max-parts not an integer or within integer range")
		}
		maxP = min(n, 1000)
	}
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalidArgument("Provided part-number-marker not an integer or within integer range")
		}
		marker = n
	}
	s.mu.RLock()
	u, err := s.findUpload(r, c, "s3:ListMultipartUploadParts")
	var parts []part
	if err == nil {
		for _, p := range u.parts {
			if p.number > marker {
				parts = append(parts, *p)
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].number < parts[j].number })
	res := listPartsResult{Xmlns: xmlns, Bucket: u.bucket, Key: u.key, UploadID: u.id, PartNumberMarker: marker, MaxParts: maxP, ChecksumAlgorithm: u.checksumAlg}
	if len(parts) > maxP {
		parts, res.IsTruncated = parts[:maxP], true
	}
	for _, p := range parts {
		px := partXML{PartNumber: p.number, LastModified: formatTime(p.lastModified), ETag: p.etag, Size: p.size}
		if u.checksumAlg != "" {
			px.set(u.checksumAlg, p.checksum)
		}
		res.Parts = append(res.Parts, px)
		res.NextPartNumberMarker = p.number
	}
	writeXML(w, http.StatusOK, res)
	return nil
}
