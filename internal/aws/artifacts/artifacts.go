// Package artifacts reads and copies S3 objects: model data and compliance
// reports. Reads set ExpectedBucketOwner, so that a bucket of the same name
// in another account can never stand in for the source's.
//
// Copier copies an object from the source account into a target account's
// bucket: server-side (CopyObject, or UploadPartCopy above 5 GiB) when the
// target principal may read the source, streamed through the process in
// bounded memory when it may not. Every copy is verified by SHA-256,
// encrypted with the target's KMS key ARN, and recorded in the target's
// metadata so that a rerun does not copy it again.
package artifacts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// URI is a parsed s3://bucket/key.
type URI struct {
	Bucket, Key string
}

// String formats the URI.
func (u URI) String() string { return "s3://" + u.Bucket + "/" + u.Key }

// ParseURI parses s3://bucket/key, refusing what could not name one object
// safely: no key, an invalid bucket name, or "." and ".." path segments
// (a key is copied under a target prefix, and must not climb out of it).
func ParseURI(s string) (URI, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URI{}, fmt.Errorf("%q is not an s3:// URI", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if !manifest.ValidBucketName(bucket) {
		return URI{}, fmt.Errorf("%q: %q is not a valid bucket name", s, bucket)
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return URI{}, fmt.Errorf("%q names no object", s)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." || seg == "" {
			return URI{}, fmt.Errorf("%q: key has an empty, \".\" or \"..\" segment", s)
		}
	}
	if strings.ContainsAny(key, "\x00\r\n") {
		return URI{}, fmt.Errorf("%q: key has control characters", s)
	}
	return URI{Bucket: bucket, Key: key}, nil
}

// Store reads objects of one account.
type Store struct {
	S3 *s3.Client
	// Owner is the account that must own every bucket read (optional).
	Owner string
}

// New returns a Store for cfg. pathStyle forces path-style addressing (for
// emulators and S3-compatible servers).
func New(cfg aws.Config, owner string, pathStyle bool) *Store {
	return &Store{S3: Client(cfg, pathStyle), Owner: owner}
}

// Client returns the S3 client modelpromote uses with cfg. Ranged reads
// have no full-object checksum for the SDK to validate (the copier verifies
// SHA-256 itself), so the SDK's "no supported checksum" log line is off.
func Client(cfg aws.Config, pathStyle bool) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

func (s *Store) owner() *string {
	if s.Owner == "" {
		return nil
	}
	return aws.String(s.Owner)
}

// Stat implements plan.Objects.
func (s *Store) Stat(ctx context.Context, uri string) (plan.ObjectInfo, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return plan.ObjectInfo{}, err
	}
	out, err := s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &u.Bucket, Key: &u.Key, ExpectedBucketOwner: s.owner(), ChecksumMode: types.ChecksumModeEnabled})
	if awserr.IsNotFound(err) {
		return plan.ObjectInfo{}, fmt.Errorf("%s: %w", uri, plan.ErrNotFound)
	}
	if err != nil {
		return plan.ObjectInfo{}, fmt.Errorf("head %s: %w", uri, err)
	}
	info := plan.ObjectInfo{URI: uri, Size: aws.ToInt64(out.ContentLength), LastModified: aws.ToTime(out.LastModified),
		ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		SSE: string(out.ServerSideEncryption), KMSKeyID: aws.ToString(out.SSEKMSKeyId)}
	if out.ChecksumType != types.ChecksumTypeComposite {
		info.SHA256, _ = fullObjectSHA256(aws.ToString(out.ChecksumSHA256))
	}
	return info, nil
}

// Open implements plan.Objects.
func (s *Store) Open(ctx context.Context, uri string) (io.ReadCloser, plan.ObjectInfo, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, plan.ObjectInfo{}, err
	}
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &u.Bucket, Key: &u.Key, ExpectedBucketOwner: s.owner()})
	if awserr.IsNotFound(err) {
		return nil, plan.ObjectInfo{}, fmt.Errorf("%s: %w", uri, plan.ErrNotFound)
	}
	if err != nil {
		return nil, plan.ObjectInfo{}, fmt.Errorf("get %s: %w", uri, err)
	}
	return out.Body, plan.ObjectInfo{URI: uri, Size: aws.ToInt64(out.ContentLength), LastModified: aws.ToTime(out.LastModified),
		ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId),
		SSE: string(out.ServerSideEncryption), KMSKeyID: aws.ToString(out.SSEKMSKeyId)}, nil
}

// Put writes body to uri, encrypted with kmsKeyARN and checksummed with
// SHA-256, in a bucket the Store's Owner must own. Apply writes evidence
// records with it.
func (s *Store) Put(ctx context.Context, uri URI, body []byte, contentType, kmsKeyARN string) error {
	_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(uri.Bucket),
		Key:                  aws.String(uri.Key),
		Body:                 bytes.NewReader(body),
		ContentType:          aws.String(contentType),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId:          aws.String(kmsKeyARN),
		ExpectedBucketOwner:  s.owner(),
		ChecksumAlgorithm:    types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", uri, err)
	}
	return nil
}

// copySource formats x-amz-copy-source: the bucket and the URL-encoded key.
func copySource(u URI) string {
	return u.Bucket + "/" + (&url.URL{Path: u.Key}).EscapedPath()
}

// copySource is x-amz-copy-source for s, naming its version when pinned.
func (s source) copySource() string {
	if s.versionID != "" {
		return copySource(s.uri) + "?versionId=" + url.QueryEscape(s.versionID)
	}
	return copySource(s.uri)
}

// Delete deletes the object at uri; an object already gone is not an
// error (DeleteObject answers 204 either way:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
func (s *Store) Delete(ctx context.Context, uri URI) error {
	_, err := s.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(uri.Bucket), Key: aws.String(uri.Key), ExpectedBucketOwner: s.owner()})
	if err != nil && !awserr.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", uri, err)
	}
	return nil
}
