package s3

import (
	"encoding/hex"
	"fmt"
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
	rec, err := s.receive(r, false, want...)
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
