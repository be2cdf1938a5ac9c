// Package s3 emulates Amazon S3's REST/XML API, path-style: buckets owned by
// accounts with optional bucket policies, objects on disk or synthetic
// (generated from a seed), ranges, copies, multipart uploads with part
// copies, and S3's checksums.
package s3

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Options configures the S3 service.
type Options struct {
	// Dir holds object data; default a new temporary directory that Close
	// removes.
	Dir string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Region is returned by GetBucketLocation; default us-east-1.
	Region string
}

// Service is the emulated S3. Create it with New.
type Service struct {
	dir    string
	ownDir bool
	now    func() time.Time
	region string

	mu            sync.RWMutex
	buckets       map[string]*bucket
	uploads       map[string]*upload
	syntheticSums map[[2]uint64]string
	inflight      int             // requests being served, see gc.go
	garbage       map[string]bool // data files that may be unreferenced
}

// New returns an empty S3.
func New(opts Options) (*Service, error) {
	s := &Service{
		dir: opts.Dir, now: opts.Now, region: opts.Region,
		buckets: map[string]*bucket{}, uploads: map[string]*upload{}, syntheticSums: map[[2]uint64]string{}, garbage: map[string]bool{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "awsemu-s3-")
		if err != nil {
			return nil, fmt.Errorf("new s3: %w", err)
		}
		s.dir, s.ownDir = dir, true
	}
	return s, nil
}

// Close removes the data directory if New created it.
func (s *Service) Close() error {
	if !s.ownDir {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("close s3: %w", err)
	}
	return nil
}

// Name is S3's signing name.
func (s *Service) Name() string { return "s3" }

// Operation names the API operation from method, path and query.
func (s *Service) Operation(r *http.Request) string {
	bucketName, key := splitPath(r)
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case bucketName == "":
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
	case key == "":
		switch r.Method {
		case http.MethodPut:
			if has("policy") {
				return "PutBucketPolicy"
			}
			if has("object-lock") {
				return "PutObjectLockConfiguration"
			}
			return "CreateBucket"
		case http.MethodGet:
			switch {
			case has("policy"):
				return "GetBucketPolicy"
			case has("location"):
				return "GetBucketLocation"
			case has("object-lock"):
				return "GetObjectLockConfiguration"
			case has("uploads"):
				return "ListMultipartUploads"
			case q.Get("list-type") == "2":
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodDelete:
			if has("policy") {
				return "DeleteBucketPolicy"
			}
			return "DeleteBucket"
		case http.MethodPost:
			if has("delete") {
				return "DeleteObjects"
			}
		}
	default:
		switch r.Method {
		case http.MethodPut:
			switch {
			case has("uploadId") && copySource:
				return "UploadPartCopy"
			case has("uploadId"):
				return "UploadPart"
			case copySource:
				return "CopyObject"
			case has("retention"):
				return "PutObjectRetention"
			}
			return "PutObject"
		case http.MethodGet:
			if has("uploadId") {
				return "ListParts"
			}
			if has("retention") {
				return "GetObjectRetention"
			}
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodDelete:
			if has("uploadId") {
				return "AbortMultipartUpload"
			}
			return "DeleteObject"
		case http.MethodPost:
			if has("uploads") {
				return "CreateMultipartUpload"
			}
			if has("uploadId") {
				return "CompleteMultipartUpload"
			}
		}
	}
	return "Unknown"
}

// ServeAWS handles an authenticated S3 request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	s.beginRequest()
	defer s.endRequest()
	var err *apiError
	switch op := s.Operation(r); op {
	case "ListBuckets":
		err = s.listBuckets(w, c)
	case "CreateBucket":
		err = s.createBucket(w, r, c)
	case "DeleteBucket":
		err = s.deleteBucket(w, r, c)
	case "HeadBucket":
		err = s.headBucket(w, r, c)
	case "GetBucketLocation":
		err = s.getBucketLocation(w, r, c)
	case "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy":
		err = s.bucketPolicy(w, r, c, op)
	case "ListObjectsV2":
		err = s.listObjectsV2(w, r, c)
	case "ListMultipartUploads":
		err = s.listMultipartUploads(w, r, c)
	case "PutObject":
		err = s.putObject(w, r, c)
	case "GetObject", "HeadObject":
		err = s.getObject(w, r, c)
	case "DeleteObject":
		err = s.deleteObject(w, r, c)
	case "DeleteObjects":
		err = s.deleteObjects(w, r, c)
	case "CopyObject":
		err = s.copyObject(w, r, c)
	case "CreateMultipartUpload":
		err = s.createMultipartUpload(w, r, c)
	case "UploadPart":
		err = s.uploadPart(w, r, c)
	case "UploadPartCopy":
		err = s.uploadPartCopy(w, r, c)
	case "CompleteMultipartUpload":
		err = s.completeMultipartUpload(w, r, c)
	case "AbortMultipartUpload":
		err = s.abortMultipartUpload(w, r, c)
	case "ListParts":
		err = s.listParts(w, r, c)
	case "PutObjectLockConfiguration":
		err = s.putObjectLockConfiguration(w, r, c)
	case "GetObjectLockConfiguration":
		err = s.getObjectLockConfiguration(w, r, c)
	case "PutObjectRetention":
		err = s.putObjectRetention(w, r, c)
	case "GetObjectRetention":
		err = s.getObjectRetention(w, r, c)
	default:
		err = &apiError{http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented: " + op}
	}
	if err != nil {
		drain(r)
		s.WriteError(w, r, err.status, err.code, err.message)
	}
}

// drain reads what is left of the request body before an error is written,
// so that the client gets the error rather than a connection reset while it
// is still sending (Go's server discards only 256 KiB itself). Even a
// client that sent Expect: 100-continue is made to send its body: Go's
// transport otherwise races the early response against its own write and
// sometimes reports the reset instead of the error.
func drain(r *http.Request) {
	if r.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 6<<30))
}

// WriteError writes S3's XML error document (no body for HEAD requests, as
// S3 does).
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	id := requestID()
	w.Header().Set("X-Amz-Request-Id", id)
	w.Header().Set("X-Amz-Id-2", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	bucketName, key := splitPath(r)
	doc := errorDoc{Code: code, Message: message, RequestID: id, HostID: id}
	switch code {
	case "NoSuchKey":
		doc.Key = key
	case "NoSuchBucket":
		doc.BucketName = bucketName
	}
	writeXML(w, status, doc)
}

type apiError struct {
	status  int
	code    string
	message string
}

func internalError(err error) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again. (" + err.Error() + ")"}
}

var (
	errAccessDenied       = &apiError{http.StatusForbidden, "AccessDenied", "Access Denied"}
	errNoSuchKey          = &apiError{http.StatusNotFound, "NoSuchKey", "The specified key does not exist."}
	errNoSuchBucket       = &apiError{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"}
	errNoSuchUpload       = &apiError{http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."}
	errPreconditionFailed = &apiError{http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"}
	errMalformedXML       = &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
)

func invalidArgument(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidArgument", msg}
}

func invalidRequest(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidRequest", msg}
}

// splitPath splits a path-style URL into bucket and key.
func splitPath(r *http.Request) (bucketName, key string) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucketName, key, _ = strings.Cut(p, "/")
	return bucketName, key
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
	if w.Header().Get("X-Amz-Request-Id") == "" {
		w.Header().Set("X-Amz-Request-Id", requestID())
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func bucketARN(name string) string      { return "arn:aws:s3:::" + name }
func objectARN(name, key string) string { return "arn:aws:s3:::" + name + "/" + key }
