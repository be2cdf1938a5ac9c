package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// S3 Object Lock: write-once-read-many storage. A bucket has Object Lock
// enabled at creation (x-amz-bucket-object-lock-enabled: true) or later by
// PutObjectLockConfiguration; its optional default rule gives every new
// object a retention (GOVERNANCE or COMPLIANCE, for Days or Years); a
// PutObject may set its own (x-amz-object-lock-mode and
// x-amz-object-lock-retain-until-date). An object under COMPLIANCE
// retention cannot be deleted, nor its retention shortened or its mode
// changed, by anyone, until the date passes.
//
//   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
//   - https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectRetention.html
//   - error codes: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
//
// The emulator keeps no object versions: where real S3 (Object Lock
// implies versioning) turns an overwrite into a new version and a
// DeleteObject without a version ID into a delete marker, leaving the
// protected version in place, the emulator lets the overwrite replace the
// object (the new one gets the default retention) and refuses the delete,
// so the protected bytes stay readable as they would in S3.

// lockConfiguration is a bucket's Object Lock configuration.
type lockConfiguration struct {
	Mode  string // default retention mode, "" when no default rule
	Days  int
	Years int
}

type objectLockConfigurationXML struct {
	XMLName           xml.Name         `xml:"ObjectLockConfiguration"`
	Xmlns             string           `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string           `xml:"ObjectLockEnabled,omitempty"`
	Rule              *objectLockRuleX `xml:"Rule,omitempty"`
}

type objectLockRuleX struct {
	DefaultRetention struct {
		Mode  string `xml:"Mode,omitempty"`
		Days  int    `xml:"Days,omitempty"`
		Years int    `xml:"Years,omitempty"`
	} `xml:"DefaultRetention"`
}

type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

var (
	errLockConfigNotFound = &apiError{http.StatusNotFound, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"}
	errNoObjectRetention  = &apiError{http.StatusNotFound, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration"}
	errBucketNotLocked    = invalidRequest("Bucket is missing Object Lock Configuration")
	errObjectLocked       = &apiError{http.StatusForbidden, "AccessDenied", "Access Denied because object protected by object lock."}
)

func validMode(m string) bool { return m == "GOVERNANCE" || m == "COMPLIANCE" }

// EnableObjectLock turns Object Lock on for a bucket with a default
// retention (mode "" for none), for seeding tests.
func (s *Service) EnableObjectLock(bucketName, mode string, days int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucketName]
	if ok {
		b.lock = &lockConfiguration{Mode: mode, Days: days}
	}
	return ok
}

func (s *Service) putObjectLockConfiguration(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return internalError(err)
	}
	var in objectLockConfigurationXML
	if xml.Unmarshal(body, &in) != nil || in.ObjectLockEnabled != "Enabled" {
		return errMalformedXML
	}
	cfg := &lockConfiguration{}
	if in.Rule != nil {
		d := in.Rule.DefaultRetention
		if !validMode(d.Mode) || (d.Days > 0) == (d.Years > 0) {
			return errMalformedXML // exactly one of Days and Years, with a mode
		}
		cfg.Mode, cfg.Days, cfg.Years = d.Mode, d.Days, d.Years
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, aerr := s.authorize(r, c, name, "s3:PutBucketObjectLockConfiguration", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	if aerr != nil {
		return aerr
	}
	b.lock = cfg
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) getObjectLockConfiguration(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, _ := splitPath(r)
	s.mu.RLock()
	b, err := s.authorize(r, c, name, "s3:GetBucketObjectLockConfiguration", bucketARN(name), "X-Amz-Expected-Bucket-Owner")
	var cfg *lockConfiguration
	if err == nil && b.lock != nil {
		c := *b.lock
		cfg = &c
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if cfg == nil {
		return errLockConfigNotFound
	}
	out := objectLockConfigurationXML{Xmlns: xmlns, ObjectLockEnabled: "Enabled"}
	if cfg.Mode != "" {
		out.Rule = &objectLockRuleX{}
		out.Rule.DefaultRetention.Mode, out.Rule.DefaultRetention.Days, out.Rule.DefaultRetention.Years = cfg.Mode, cfg.Days, cfg.Years
	}
	writeXML(w, http.StatusOK, out)
	return nil
}

func (s *Service) getObjectRetention(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := s.authorize(r, c, name, "s3:GetObjectRetention", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	if err != nil {
		return err
	}
	o, err := lockedObject(b, key)
	if err != nil {
		return err
	}
	if o.LockMode == "" {
		return errNoObjectRetention
	}
	writeXML(w, http.StatusOK, retentionXML{Xmlns: xmlns, Mode: o.LockMode, RetainUntilDate: o.RetainUntil.UTC().Format(timeFormat)})
	return nil
}

func (s *Service) putObjectRetention(w http.ResponseWriter, r *http.Request, c service.Caller) *apiError {
	name, key := splitPath(r)
	body, rerr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if rerr != nil {
		return internalError(rerr)
	}
	var in retentionXML
	if xml.Unmarshal(body, &in) != nil || !validMode(in.Mode) {
		return errMalformedXML
	}
	until, perr := time.Parse(time.RFC3339, in.RetainUntilDate)
	if perr != nil {
		return errMalformedXML
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.authorize(r, c, name, "s3:PutObjectRetention", objectARN(name, key), "X-Amz-Expected-Bucket-Owner")
	if err != nil {
		return err
	}
	o, err := lockedObject(b, key)
	if err != nil {
		return err
	}
	bypass := strings.EqualFold(r.Header.Get("X-Amz-Bypass-Governance-Retention"), "true")
	if o.retained(s.now()) && (in.Mode != o.LockMode || until.Before(o.RetainUntil)) && !(o.LockMode == "GOVERNANCE" && bypass) {
		return errObjectLocked // compliance: only extended, never shortened or changed
	}
	o.LockMode, o.RetainUntil = in.Mode, until
	w.WriteHeader(http.StatusOK)
	return nil
}

// retained reports whether the object is under a retention that has not
// passed.
func (o *Object) retained(now time.Time) bool {
	return o.LockMode != "" && now.Before(o.RetainUntil)
}

// lockOnPut sets a new object's retention from PutObject's headers, or
// from the bucket's default rule.
func (s *Service) lockOnPut(r *http.Request, o *Object) *apiError {
	mode, until := r.Header.Get("X-Amz-Object-Lock-Mode"), r.Header.Get("X-Amz-Object-Lock-Retain-Until-Date")
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[o.Bucket]
	if !ok {
		return errNoSuchBucket
	}
	if mode != "" || until != "" {
		if b.lock == nil {
			return errBucketNotLocked
		}
		t, err := time.Parse(time.RFC3339, until)
		if !validMode(mode) || err != nil {
			return invalidArgument("x-amz-object-lock-mode and x-amz-object-lock-retain-until-date must both be supplied, with a valid mode and an ISO 8601 date")
		}
		o.LockMode, o.RetainUntil = mode, t
		return nil
	}
	if b.lock != nil && b.lock.Mode != "" {
		o.LockMode = b.lock.Mode
		o.RetainUntil = s.now().AddDate(b.lock.Years, 0, b.lock.Days)
	}
	return nil
}

// lockedObject is key in a bucket that has Object Lock: S3 answers
// InvalidRequest for a bucket without it, NoSuchKey for a missing object.
func lockedObject(b *bucket, key string) (*Object, *apiError) {
	if b.lock == nil {
		return nil, errBucketNotLocked
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, errNoSuchKey
	}
	return o, nil
}
