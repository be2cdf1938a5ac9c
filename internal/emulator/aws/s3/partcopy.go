package s3

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// uploadPartCopy serves UploadPartCopy: a range of an existing object
// becomes a part without passing through the client. The part shares the
// source's data (synthetic stays synthetic); it is read only to compute an
// MD5 ETag for stored data and the upload's checksum when it has one.
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
