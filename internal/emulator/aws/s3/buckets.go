package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const timeFormat = "2006-01-02T15:04:05.000Z"

var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func validBucketName(name string) error {
	if !bucketNamePattern.MatchString(name) || strings.Contains(name, "..") {
		return errors.New("invalid bucket name")
	}
	return nil
}

// authorize finds a bucket and checks the caller may perform action on
// resource in it, and that it is owned by x-amz-expected-bucket-owner when
// sent. The caller must hold s.mu.
func (s *Service) authorize(r *http.Request, c service.Caller, name, action, resource, ownerHeader string) (*bucket, *apiError) {
	b, ok := s.buckets[name]
	if !ok {
		return nil, errNoSuchBucket
	}
	if want := r.Header.Get(ownerHeader); want != "" && want != b.Owner {
		return nil, errAccessDenied
	}
	if !b.allowed(c.Account, c.ARN, action, resource) {
		return nil, errAccessDenied
	}
	return b, nil
}

func (s *Service) listBuckets(w http.ResponseWriter, c service.Caller) *apiError {
	res := listAllMyBucketsResult{Xmlns: xmlns, Owner: owner{ID: c.Account}}
	s.mu.RLock()
	for _, b := range s.buckets {
		if b.Owner == c.Account {
			res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: b.Created.UTC().Format(timeFormat)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(res.Buckets, func(i, j int) bool { return res.Buckets[i].Name < res.Buckets[j].Name })
	writeXML(w, http.StatusOK, res)
	return nil
}

func (s *Service) createBucket(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	if err := validBucketName(name); err != nil {
		return &apiError{http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return internalError(err)
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[name]; ok {
		if b.Owner == c.Account && s.region == "us-east-1" {
			// Legacy behaviour S3 keeps in us-east-1 only.
			w.Header().Set("Location", "/"+name)
			w.WriteHeader(http.StatusOK)
			return nil
		}
		if b.Owner == c.Account {
			return &apiError{http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it."}
		}
		return &apiError{http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."}
	}
	s.buckets[name] = &bucket{Bucket: Bucket{Name: name, Owner: c.Account, Created: s.now()}, objects: map[string]*Object{}}
	if strings.EqualFold(r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		s.buckets[name].lock = &lockConfiguration{}
	}
	w.Header().Set("Location", "/"+name)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.authorize(r, c, name, "s3:DeleteBucket", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	if err != nil {
		return err
	}
	if b.Owner != c.Account {
		return errAccessDenied
	}
	if len(b.objects) > 0 {
		return &apiError{http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty"}
	}
	delete(s.buckets, name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) headBucket(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.authorize(r, c, name, "s3:ListBucket", bucketARN(name), "X-Amz-Expected-Bucket-Owner"); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", s.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getBucketLocation(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	s.mu.RLock()
	_, err := s.authorize(r, c, name, "s3:GetBucketLocation", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	loc := s.region
	if loc == "us-east-1" {
		loc = "" // S3 answers an empty constraint for us-east-1
	}
	writeXML(w, http.StatusOK, locationConstraint{Xmlns: xmlns, Value: loc})
	return nil
}

// bucketPolicy serves Put/Get/DeleteBucketPolicy, which only the owning
// account may call.
func (s *Service) bucketPolicy(w http.ResponseWriter, r *http.Request, c service.Caller, op string) *apiError {
	name, _ := splitPath(r)
	var doc string
	if op == "PutBucketPolicy" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 20<<10+1))
		if err != nil {
			return internalError(err)
		}
		if len(body) > 20<<10 {
			return &apiError{http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size."}
		}
		doc = string(body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return errNoSuchBucket
	}
	if want := r.Header.Get("X-Amz-Expected-Bucket-Owner"); b.Owner != c.Account || (want != "" && want != b.Owner) {
		return errAccessDenied
	}
	switch op {
	case "GetBucketPolicy":
		if b.policy == nil {
			return &apiError{http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist"}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, b.Policy)
	case "DeleteBucketPolicy":
		b.policy, b.Policy = nil, ""
		w.WriteHeader(http.StatusNoContent)
	default:
		p, err := parsePolicy(doc)
		if err != nil {
			return &apiError{http.StatusBadRequest, "MalformedPolicy", err.Error()}
		}
		b.policy, b.Policy = p, doc
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }
