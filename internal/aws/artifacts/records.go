package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// This file reads evidence records back (`modelpromote status` and
// `history`): list a prefix, read a record, re-hash a copied object, and
// ask whether an object is write-once.

// List returns every object under prefix in bucket, in key order.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]plan.ObjectInfo, error) {
	var out []plan.ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), ExpectedBucketOwner: s.owner()})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, plan.ObjectInfo{URI: URI{Bucket: bucket, Key: aws.ToString(o.Key)}.String(),
				Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// ReadAll reads a whole object of at most limit bytes.
func (s *Store) ReadAll(ctx context.Context, uri string, limit int64) ([]byte, error) {
	body, _, err := s.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", uri, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", uri, limit)
	}
	return data, nil
}

// SHA256 re-reads an object and returns the lowercase hex SHA-256 of its
// bytes and its size: what `history --verify` compares with a record.
func (s *Store) SHA256(ctx context.Context, uri string) (string, int64, error) {
	body, _, err := s.Open(ctx, uri)
	if err != nil {
		return "", 0, err
	}
	defer body.Close()
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return "", n, fmt.Errorf("read %s: %w", uri, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Lock reads whether the object at uri is write-once: the bucket's Object
// Lock configuration (GetObjectLockConfiguration) and the object's
// retention (GetObjectRetention). A bucket or object without either is
// not an error: the answer says so.
func (s *Store) Lock(ctx context.Context, uri string) (plan.ObjectLock, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return plan.ObjectLock{}, err
	}
	var l plan.ObjectLock
	cfg, err := s.S3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &u.Bucket, ExpectedBucketOwner: s.owner()})
	switch {
	case awserr.Code(err) == "ObjectLockConfigurationNotFoundError":
		return l, nil // no Object Lock: no object in it can have a retention
	case err != nil:
		return l, fmt.Errorf("get object lock configuration of %s: %w", u.Bucket, err)
	}
	if c := cfg.ObjectLockConfiguration; c != nil {
		l.BucketEnabled = c.ObjectLockEnabled == "Enabled"
		if c.Rule != nil && c.Rule.DefaultRetention != nil {
			d := c.Rule.DefaultRetention
			l.DefaultMode, l.DefaultDays, l.DefaultYears = string(d.Mode), int(aws.ToInt32(d.Days)), int(aws.ToInt32(d.Years))
		}
	}
	ret, err := s.S3.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &u.Bucket, Key: &u.Key, ExpectedBucketOwner: s.owner()})
	switch {
	case awserr.Code(err) == "NoSuchObjectLockConfiguration":
		return l, nil
	case err != nil:
		return l, fmt.Errorf("get object retention of %s: %w", uri, err)
	}
	if r := ret.Retention; r != nil {
		l.Mode, l.RetainUntil = string(r.Mode), aws.ToTime(r.RetainUntilDate)
	}
	return l, nil
}

// Configs gives the aws.Config of an environment (accounts.Readers does).
type Configs interface {
	Environment(env manifest.Environment) aws.Config
}

// Evidence reads each target environment's bucket with that
// environment's credentials (pass accounts.Readers: the read roles), for
// the evidence records and the objects they list.
type Evidence struct {
	Configs   Configs
	PathStyle bool

	mu     sync.Mutex
	stores map[string]*Store
}

// Store returns the Store of env's account.
func (e *Evidence) Store(env manifest.Environment) *Store {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.stores[env.Name]; ok {
		return s
	}
	if e.stores == nil {
		e.stores = map[string]*Store{}
	}
	s := New(e.Configs.Environment(env), env.Account, e.PathStyle)
	e.stores[env.Name] = s
	return s
}

// List lists prefix in env's artifact bucket.
func (e *Evidence) List(ctx context.Context, env manifest.Environment, prefix string) ([]plan.ObjectInfo, error) {
	return e.Store(env).List(ctx, env.ArtifactBucket, prefix)
}

// ReadAll reads an object with env's credentials.
func (e *Evidence) ReadAll(ctx context.Context, env manifest.Environment, uri string, limit int64) ([]byte, error) {
	return e.Store(env).ReadAll(ctx, uri, limit)
}

// SHA256 re-hashes an object with env's credentials.
func (e *Evidence) SHA256(ctx context.Context, env manifest.Environment, uri string) (string, int64, error) {
	return e.Store(env).SHA256(ctx, uri)
}

// Lock reads an object's Object Lock state with env's credentials.
func (e *Evidence) Lock(ctx context.Context, env manifest.Environment, uri string) (plan.ObjectLock, error) {
	return e.Store(env).Lock(ctx, uri)
}
