package s3

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
)

// received is a request body written to a data file.
type received struct {
	file      string
	size      int64
	md5       []byte
	sha256Hex string            // "" when not computed (see receive)
	checksums map[string]string // algorithm → base64
}

// errTooLarge is S3's answer to a single PUT or part over 5 GiB.
var errTooLarge = &apiError{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."}

// declaredSize is the body size the client announced: the decoded length
// of an aws-chunked body, else Content-Length (-1 when unknown).
func declaredSize(r *http.Request) int64 {
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return r.ContentLength
}

// receive writes the request body to a new data file, decoding aws-chunked
// bodies and verifying x-amz-content-sha256, Content-MD5 and any
// x-amz-checksum-* header or trailer. It always computes the MD5 (the
// ETag) and the algorithms in want, plus CRC64NVME when the client sent no
// checksum (S3's default). It computes the body's SHA-256 when keepSHA256
// or when the request signed it (a hex x-amz-content-sha256), not for an
// unsigned body: S3 then checks only the checksums sent, and so the
// emulator's CPU in a copy benchmark is not a second SHA-256 of the
// client's parts.
func (s *Service) receive(r *http.Request, keepSHA256 bool, want ...string) (*received, *apiError) {
	var body io.Reader = http.NoBody
	if r.Body != nil {
		body = r.Body
	}
	var chunked *chunkedReader
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		chunked = newChunkedReader(body)
		body = chunked
	}
	md5h := md5.New()
	writers := []io.Writer{md5h}
	var shah hash.Hash
	if keepSHA256 || isHex64(r.Header.Get("X-Amz-Content-Sha256")) {
		shah = sha256.New()
		writers = append(writers, shah)
	}
	hashes := map[string]hash.Hash{}
	for _, alg := range checksumsToCompute(r, want) {
		hashes[alg] = newChecksum(alg)
		writers = append(writers, hashes[alg])
	}
	f, err := os.CreateTemp(s.dir, "obj-")
	if err != nil {
		return nil, internalError(fmt.Errorf("create data file: %w", err))
	}
	defer f.Close()
	n, err := io.CopyBuffer(io.MultiWriter(append(writers, f)...), body, make([]byte, 256<<10))
	rec := &received{file: f.Name(), size: n, md5: md5h.Sum(nil), checksums: map[string]string{}}
	if shah != nil {
		rec.sha256Hex = hex.EncodeToString(shah.Sum(nil))
	}
	for alg, h := range hashes {
		rec.checksums[alg] = b64(h.Sum(nil))
	}
	apiErr := &apiError{http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly"}
	if err == nil {
		// A malformed aws-chunked body, a short body or a dropped
		// connection all end in IncompleteBody above.
		apiErr = rec.verify(r, chunked)
	}
	if apiErr != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, apiErr
	}
	return rec, nil
}

// checksumsToCompute lists the checksum algorithms the client sent or
// announced, those in want, or else CRC64NVME.
func checksumsToCompute(r *http.Request, want []string) []string {
	algs := append(sentAlgorithms(r), want...)
	if alg := strings.ToUpper(r.Header.Get("X-Amz-Sdk-Checksum-Algorithm")); newChecksum(alg) != nil {
		algs = append(algs, alg)
	}
	if len(algs) == 0 {
		return []string{algCRC64NVME}
	}
	slices.Sort(algs)
	return slices.Compact(algs)
}

// verify checks the received body against what the client declared.
func (rec *received) verify(r *http.Request, chunked *chunkedReader) *apiError {
	if cl := r.Header.Get("X-Amz-Decoded-Content-Length"); cl != "" && cl != strconv.FormatInt(rec.size, 10) {
		return &apiError{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"}
	}
	if sha := r.Header.Get("X-Amz-Content-Sha256"); isHex64(sha) && sha != rec.sha256Hex {
		return &apiError{http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	if m := r.Header.Get("Content-Md5"); m != "" && m != base64.StdEncoding.EncodeToString(rec.md5) {
		return &apiError{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
	}
	sent := http.Header{}
	for k, v := range r.Header {
		sent[k] = v
	}
	if chunked != nil {
		for k, v := range chunked.trailers {
			sent[k] = v
		}
	}
	for alg, got := range rec.checksums {
		if v := sent.Get(checksumHeader(alg)); v != "" && v != got {
			return &apiError{http.StatusBadRequest, "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg)}
		}
	}
	return nil
}

// sentAlgorithms lists the checksum algorithms r carries a value for, in
// a header or announced as a trailer.
func sentAlgorithms(r *http.Request) []string {
	var algs []string
	for h := range r.Header {
		if a := algorithmOfHeader(h); a != "" {
			algs = append(algs, a)
		}
	}
	for _, t := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		if a := algorithmOfHeader(strings.TrimSpace(t)); a != "" {
			algs = append(algs, a)
		}
	}
	return algs
}

// primaryChecksum picks the checksum S3 stores for an object: the one the
// client asked for, else CRC64NVME.
func (rec *received) primaryChecksum(r *http.Request) (alg, value string) {
	for h := range r.Header {
		if a := algorithmOfHeader(h); a != "" {
			return a, rec.checksums[a]
		}
	}
	for _, t := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		if a := algorithmOfHeader(strings.TrimSpace(t)); a != "" {
			return a, rec.checksums[a]
		}
	}
	if a := strings.ToUpper(r.Header.Get("X-Amz-Sdk-Checksum-Algorithm")); rec.checksums[a] != "" {
		return a, rec.checksums[a]
	}
	if v, ok := rec.checksums[algCRC64NVME]; ok {
		return algCRC64NVME, v
	}
	return "", ""
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
