package s3

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// completeMultipartUpload serves CompleteMultipartUpload. The upload is
// claimed under the lock so a concurrent complete or abort gets
// NoSuchUpload, and put back if assembling fails.
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
