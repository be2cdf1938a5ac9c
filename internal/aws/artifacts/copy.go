package artifacts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Copy paths, as reported in Result.Path and logged.
const (
	PathServerSide          = "server-side"
	PathServerSideMultipart = "server-side-multipart"
	PathStreamed            = "streamed"
	PathSkipped             = "skipped"
)

// Defaults for Copier: 8 MiB parts (the AWS CLI's part size), 4 in flight
// per copy. All copies of a process also share one budget of part buffers
// (DefaultBudget).
const (
	DefaultPartSize    = 8 << 20
	DefaultConcurrency = 4
)

// S3 limits the copier works within.
const (
	minPartSize = 5 << 20 // smallest part but the last
	maxParts    = 10000
)

// maxCopyObjectSize is the largest source CopyObject accepts; a variable
// so that tests can take the multipart path with small objects.
var maxCopyObjectSize int64 = 5 << 30

// User metadata (without the x-amz-meta- prefix) the copier writes on every
// target object. It is what makes a rerun a no-op: an object that carries
// the ETag and size of the current source was copied from it and verified.
const (
	metaSHA256     = "modelpromote-sha256"      // lowercase hex of the content
	metaSourceETag = "modelpromote-source-etag" // the source's ETag, quoted
	metaSourceSize = "modelpromote-source-size"
	metaSource     = "modelpromote-source" // s3://bucket/key, key URL-encoded
)

// Copier copies objects from a source account's bucket into a target
// account's, server-side when the target principal may read the source and
// streamed through the process when it may not. Every copy is verified by
// SHA-256 and encrypted with the target's KMS key. The zero values of
// PartSize, Concurrency, Progress and Logger are usable.
type Copier struct {
	// Source reads the source with source-account credentials.
	Source *s3.Client
	// Target writes with target-account credentials; it may also be
	// allowed to read the source, which enables server-side copies.
	Target *s3.Client
	// SourceOwner and TargetOwner are the accounts that must own the
	// source and target buckets (ExpectedSourceBucketOwner and
	// ExpectedBucketOwner); empty skips the check.
	SourceOwner, TargetOwner string
	// KMSKeyARN is the target's KMS key, as a full key ARN (never an
	// alias), set on every write.
	KMSKeyARN string
	// PartSize is the multipart part size; default DefaultPartSize, at
	// least 5 MiB, grown so that an object has at most 10,000 parts.
	PartSize int64
	// Concurrency is how many parts of one copy are in flight; default
	// DefaultConcurrency. A copy buffers at most Concurrency × PartSize
	// bytes; when a large object grows the part size, concurrency
	// shrinks to keep that bound.
	Concurrency int
	// Buffers bounds the part buffers of all the copies that share it;
	// default the process-wide budget of DefaultBudget bytes, shared by
	// every Copier of the process that names none.
	Buffers *Budget
	// CopyPartsAbove is the size above which a server-side copy is
	// parallel UploadPartCopy rather than one CopyObject; default and at
	// most 5 GiB, CopyObject's limit. One CopyObject is one serial
	// request, but S3 computes the whole copy's SHA-256 for it; parts run
	// in parallel, but S3 keeps no full-object SHA-256 of a multipart
	// object, so the source is read to check the parts against the
	// digest. bench/README.md measures the crossover. A source whose
	// binding carries a parts digest (Bound.Parts) is copied in those
	// parts whatever its size, verified without reading it.
	CopyPartsAbove int64
	// PartCopyConcurrency is how many parts of one copy are copied at
	// once when the copy is verified by the parts digest (no byte is
	// buffered); default DefaultPartCopyConcurrency.
	PartCopyConcurrency int
	// Progress, if set, is called as parts complete, one call at a time
	// for each copy.
	Progress func(Progress)
	// Logger records which path each copy took and why; default discards.
	Logger *slog.Logger
}

// Progress is how far one object's copy has got.
type Progress struct {
	Source, Target URI
	Path           string
	// Phase is PhaseHashing while the source is read only to verify a
	// server-side copy, PhaseCopying otherwise.
	Phase       string
	Done, Total int64 // bytes
}

// Progress phases.
const (
	PhaseHashing = "hashing"
	PhaseCopying = "copying"
)

// Result describes a finished copy.
type Result struct {
	// Path is PathServerSide, PathServerSideMultipart, PathStreamed or
	// PathSkipped.
	Path string
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	Size   int64
	// Hashed is set when a server-side copy's SHA-256 was computed by
	// reading bytes into the process rather than by S3: a multipart copy
	// whose digest was not known, or a server that returned no checksum
	// of the copy.
	Hashed bool
	// Parts is the number of parts of a server-side copy verified by the
	// bound parts digest (Bound.Parts), 0 otherwise.
	Parts int
}

// source is what HeadObject says about the source object.
type source struct {
	uri         URI
	size        int64
	etag        string
	contentType string
	// versionID pins the version read and copied ("" the current one).
	versionID string
	// sha256 is the hex full-object SHA-256 S3 holds for it, "" when it
	// has none (multipart uploads, other algorithms).
	sha256 string
}

// Copy copies src to dst and returns how, with the content's SHA-256.
// wantSHA256, when not empty, is the hex digest the content must have
// (e.g. a report's ContentDigest): a mismatch fails the copy and leaves no
// target object. Copy is idempotent: a target already copied from the
// current source is not copied again, and uploads left by an interrupted
// run are aborted.
func (c *Copier) Copy(ctx context.Context, src, dst URI, wantSHA256 string) (Result, error) {
	return c.CopyBound(ctx, src, dst, Bound{SHA256: wantSHA256})
}

// Bound is the source object a copy must copy: what the pull request's
// check read of it (see plan.Binding).
type Bound struct {
	// SHA256 is the hex digest the content must have ("" unknown).
	SHA256 string
	// ETag and Size, when set, are the source's as the check saw them;
	// VersionID pins the version in a versioned bucket. Every read and
	// copy of the source is conditional on that ETag (If-Match,
	// x-amz-copy-source-if-match), so an object overwritten since fails
	// with S3's 412 rather than being copied.
	ETag, VersionID string
	Size            int64
	// Parts, when set, is the composite SHA-256 of the source's parts
	// the check computed in the read that gave SHA256: the copy is then
	// made server-side in exactly those parts, in parallel, and verified
	// by S3's part checksums against it, without reading any byte.
	Parts *plan.PartsDigest
}

// SourceChangedError is a source that is no longer the object the check
// bound.
type SourceChangedError struct {
	Object                URI
	Want                  Bound
	GotETag, GotVersionID string
	GotSize               int64
}

func (e *SourceChangedError) Error() string {
	return fmt.Sprintf("%s changed after it was reviewed: it was ETag %s (%d bytes), it is now ETag %s (%d bytes); nothing was copied", e.Object, e.Want.ETag, e.Want.Size, e.GotETag, e.GotSize)
}

// CopyBound is Copy of the source object b names: a source that is no
// longer that object is refused with a SourceChangedError, before any
// byte is copied.
func (c *Copier) CopyBound(ctx context.Context, src, dst URI, b Bound) (Result, error) {
	wantSHA256 := b.SHA256
	if !isKMSKeyARN(c.KMSKeyARN) {
		return Result{}, fmt.Errorf("copy %s: KMS key %q is not a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", src, c.KMSKeyARN)
	}
	want := strings.ToLower(wantSHA256)
	if want != "" && !isHexSHA256(want) {
		return Result{}, fmt.Errorf("copy %s: want SHA-256 %q is not 64 hex digits", src, wantSHA256)
	}
	s, err := c.headSource(ctx, src, b.VersionID)
	if err != nil {
		return Result{}, err
	}
	if (b.ETag != "" && s.etag != b.ETag) || (b.Size != 0 && s.size != b.Size) {
		return Result{}, &SourceChangedError{Object: src, Want: b, GotETag: s.etag, GotVersionID: s.versionID, GotSize: s.size}
	}
	if s.sha256 != "" && want != "" && s.sha256 != want {
		err := &DigestMismatchError{Object: src, Want: want, Got: s.sha256, Source: "the source's S3 checksum"}
		return Result{}, c.discardStale(ctx, s, dst, err)
	}
	parts := b.Parts
	if parts != nil {
		if err := parts.Valid(s.size); err != nil || want == "" {
			c.log().Warn("ignoring the bound parts digest", "src", src, "err", err)
			parts = nil
		}
	}
	if res, ok, err := c.existing(ctx, s, dst, want, parts); err != nil || ok {
		return res, err
	}
	if err := c.abortStaleUploads(ctx, dst); err != nil {
		return Result{}, err
	}
	known := cmp.Or(s.sha256, want)

	// One principal must read the source and write the target for a
	// server-side copy; HEAD with the target's credentials asks whether
	// it may read before any bytes are hashed for a copy that would fail.
	_, err = c.Target.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &src.Bucket, Key: &src.Key, ExpectedBucketOwner: optional(c.SourceOwner)})
	switch {
	case awserr.IsAccessDenied(err):
		c.log().Info("streaming copy: the target principal may not read the source", "src", src, "dst", dst, "size", s.size, "err", err)
		return c.stream(ctx, s, dst, known, want)
	case err != nil:
		return Result{}, fmt.Errorf("head %s as the target: %w", src, err)
	}
	var res Result
	switch {
	case parts != nil:
		c.log().Info("server-side copy in parallel parts, verified by the check's parts digest", "src", src, "dst", dst, "size", s.size, "parts", parts.Parts(s.size))
		res, err = c.copyBoundParts(ctx, s, dst, want, *parts)
	case s.size <= c.copyPartsAbove():
		c.log().Info("server-side copy", "src", src, "dst", dst, "size", s.size)
		res, err = c.copyObject(ctx, s, dst, known, want)
	default:
		c.log().Info("server-side multipart copy: the source is over 5 GiB", "src", src, "dst", dst, "size", s.size)
		res, err = c.copyParts(ctx, s, dst, known)
	}
	if awserr.IsAccessDenied(err) {
		c.log().Info("streaming copy: the server-side copy was denied", "src", src, "dst", dst, "size", s.size, "err", err)
		return c.stream(ctx, s, dst, known, want)
	}
	return res, err
}

func (c *Copier) headSource(ctx context.Context, src URI, versionID string) (source, error) {
	out, err := c.Source.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: &src.Bucket, Key: &src.Key, ExpectedBucketOwner: optional(c.SourceOwner),
		ChecksumMode: types.ChecksumModeEnabled, VersionId: optional(versionID),
	})
	if err != nil {
		return source{}, fmt.Errorf("head %s: %w", src, err)
	}
	s := source{uri: src, size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag), contentType: aws.ToString(out.ContentType),
		versionID: versionID}
	if s.etag == "" {
		return source{}, fmt.Errorf("head %s: no ETag", src)
	}
	if out.ChecksumType != types.ChecksumTypeComposite {
		s.sha256, _ = fullObjectSHA256(aws.ToString(out.ChecksumSHA256))
	}
	return s, nil
}

// existing reports whether dst already holds a verified copy of s, as
// our metadata records. A target whose metadata names the current source
// but whose digest differs from want holds the wrong content: it is
// deleted and the mismatch returned. With a parts digest, a target whose
// S3 composite SHA-256 equals it is the bound bytes (it is a copy made in
// those parts); one with another composite SHA-256 is copied again.
func (c *Copier) existing(ctx context.Context, s source, dst URI, want string, parts *plan.PartsDigest) (Result, bool, error) {
	out, err := c.Target.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: &dst.Bucket, Key: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if awserr.IsNotFound(err) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("head %s: %w", dst, err)
	}
	meta := lowerKeys(out.Metadata)
	stale := func(reason string) (Result, bool, error) {
		c.log().Info("target exists but is stale; copying again", "dst", dst, "reason", reason)
		return Result{}, false, nil
	}
	if reason := c.staleReason(s, out); reason != "" {
		return stale(reason)
	}
	sum := meta[metaSHA256]
	composite := ""
	if out.ChecksumType == types.ChecksumTypeComposite {
		composite = aws.ToString(out.ChecksumSHA256)
	}
	switch {
	case parts != nil && composite == parts.SHA256:
		c.log().Info("skipping copy: the target's composite SHA-256 is the check's parts digest", "src", s.uri, "dst", dst, "sha256", want)
		c.newProgress(s.uri, dst, PathSkipped, PhaseCopying, s.size).add(s.size)
		return Result{Path: PathSkipped, SHA256: want, Size: s.size}, true, nil
	case parts != nil && composite != "":
		return stale("its composite SHA-256 is not the check's parts digest")
	}
	if out.ChecksumType != types.ChecksumTypeComposite {
		// Every single-part copy asks S3 for the copy's SHA-256
		// (CopyObject, PutObject). The metadata's is written before
		// the copy is verified, so without S3's it is no evidence: the
		// copy may have been left before it was hashed.
		got, ok := fullObjectSHA256(aws.ToString(out.ChecksumSHA256))
		if ok && sum != "" && got != sum {
			return stale("S3's checksum differs from the recorded SHA-256")
		}
		sum = got
	}
	if sum == "" {
		// A streamed multipart copy of a source with no known digest
		// could not record one when its upload was created (the digest
		// was known only at the end), and a single-part target without
		// S3's SHA-256 has none to trust; hash the target, bytes in
		// only, rather than copy it again.
		t := source{uri: dst, size: s.size, etag: aws.ToString(out.ETag)}
		var sums partSums
		if sums, err = c.readParts(ctx, c.Target, c.TargetOwner, t, partNone, nil, nil); err != nil {
			return Result{}, false, err
		}
		sum = sums.hex()
	}
	if s.sha256 != "" && sum != s.sha256 {
		return stale("SHA-256 differs from the source's")
	}
	if want != "" && sum != want {
		err := &DigestMismatchError{Object: dst, Want: want, Got: sum, Source: "an earlier copy of " + s.uri.String()}
		return Result{}, false, c.discard(ctx, dst, err)
	}
	c.log().Info("skipping copy: the target is a verified copy of the source", "src", s.uri, "dst", dst, "sha256", sum)
	c.newProgress(s.uri, dst, PathSkipped, PhaseCopying, s.size).add(s.size)
	return Result{Path: PathSkipped, SHA256: sum, Size: s.size}, true, nil
}

// staleReason says why a target whose HEAD is out cannot be a copy of s
// made by this copier ("" when, by our metadata, it is one).
func (c *Copier) staleReason(s source, out *s3.HeadObjectOutput) string {
	meta := lowerKeys(out.Metadata)
	switch {
	case meta[metaSourceETag] != s.etag || meta[metaSourceSize] != strconv.FormatInt(s.size, 10):
		return "copied from another source or version"
	case aws.ToInt64(out.ContentLength) != s.size:
		return "size differs from the source's"
	case aws.ToString(out.SSEKMSKeyId) != c.KMSKeyARN:
		return "not encrypted with " + c.KMSKeyARN
	}
	return ""
}

// Predict says how Copy would copy src to dst, reading only: PathSkipped
// when dst already holds this copier's copy of the current source (by its
// metadata; Copy still verifies the digest), PathStreamed when the target
// principal may not read the source, else the server-side path for the
// source's size. Result.SHA256 is empty.
func (c *Copier) Predict(ctx context.Context, src, dst URI) (Result, error) {
	return c.PredictBound(ctx, src, dst, Bound{})
}

// PredictBound is Predict of a copy of b (CopyBound): a valid parts
// digest makes a server-side copy multipart whatever the size.
func (c *Copier) PredictBound(ctx context.Context, src, dst URI, b Bound) (Result, error) {
	s, err := c.headSource(ctx, src, "")
	if err != nil {
		return Result{}, err
	}
	res := Result{Size: s.size}
	out, err := c.Target.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner)})
	switch {
	case err == nil && c.staleReason(s, out) == "":
		res.Path = PathSkipped
		return res, nil
	case err != nil && !awserr.IsNotFound(err):
		return Result{}, fmt.Errorf("head %s: %w", dst, err)
	}
	_, err = c.Target.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &src.Bucket, Key: &src.Key, ExpectedBucketOwner: optional(c.SourceOwner)})
	switch {
	case awserr.IsAccessDenied(err):
		res.Path = PathStreamed
	case err != nil:
		return Result{}, fmt.Errorf("head %s as the target: %w", src, err)
	case s.size > c.copyPartsAbove() || b.Parts != nil && b.Parts.Valid(s.size) == nil:
		res.Path = PathServerSideMultipart
	default:
		res.Path = PathServerSide
	}
	return res, nil
}

// discardStale deletes dst if our metadata says it was copied from s, whose
// content has just been found not to match: it cannot be the wanted object.
func (c *Copier) discardStale(ctx context.Context, s source, dst URI, cause error) error {
	out, err := c.Target.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner)})
	if err != nil || lowerKeys(out.Metadata)[metaSourceETag] != s.etag {
		return cause
	}
	return c.discard(ctx, dst, cause)
}

// discard deletes a target object that failed verification and returns
// cause, joined with any error deleting it. It runs even when ctx is done.
func (c *Copier) discard(ctx context.Context, dst URI, cause error) error {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	_, err := c.Target.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner)})
	if err != nil {
		return errors.Join(cause, fmt.Errorf("delete unverified %s: %w", dst, err))
	}
	c.log().Warn("deleted target that failed verification", "dst", dst, "err", cause)
	return cause
}

// abortStaleUploads aborts multipart uploads to dst left by an interrupted
// run, so they neither hold storage nor race with this copy. (Resuming one
// would save re-sending its parts, but its parts would have to be
// re-verified anyway, and a copy of the same key by two runs at once is not
// supported.)
func (c *Copier) abortStaleUploads(ctx context.Context, dst URI) error {
	in := &s3.ListMultipartUploadsInput{Bucket: &dst.Bucket, Prefix: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner)}
	for {
		out, err := c.Target.ListMultipartUploads(ctx, in)
		if err != nil {
			return fmt.Errorf("list uploads to %s: %w", dst, err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) != dst.Key {
				continue
			}
			if err := c.abort(ctx, dst, aws.ToString(u.UploadId)); err != nil {
				return err
			}
			c.log().Info("aborted an upload left by an interrupted copy", "dst", dst, "upload", aws.ToString(u.UploadId))
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

func (c *Copier) abort(ctx context.Context, dst URI, uploadID string) error {
	_, err := c.Target.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &uploadID, ExpectedBucketOwner: optional(c.TargetOwner),
	})
	if err != nil && !awserr.IsNotFound(err) {
		return fmt.Errorf("abort upload to %s: %w", dst, err)
	}
	return nil
}

// metadata is what the copier records on a target copied from s. sum is
// the content's hex SHA-256, omitted when not yet known.
func metadata(s source, sum string) map[string]string {
	m := map[string]string{
		metaSourceETag: s.etag,
		metaSourceSize: strconv.FormatInt(s.size, 10),
		metaSource:     "s3://" + copySource(s.uri),
	}
	if sum != "" {
		m[metaSHA256] = sum
	}
	return m
}

// partSize returns the part size and concurrency for an object of size
// bytes: at most 10,000 parts, and at most Concurrency × PartSize bytes in
// flight.
func (c *Copier) partSize(size int64) (partSize int64, concurrency int) {
	ps := max(cmp.Or(c.PartSize, DefaultPartSize), minPartSize)
	conc := max(cmp.Or(c.Concurrency, DefaultConcurrency), 1)
	budget := ps * int64(conc)
	if need := (size + maxParts - 1) / maxParts; need > ps {
		ps = (need + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
	}
	return ps, int(max(1, min(int64(conc), budget/ps)))
}

func (c *Copier) copyPartsAbove() int64 {
	if c.CopyPartsAbove <= 0 {
		return maxCopyObjectSize
	}
	return min(c.CopyPartsAbove, maxCopyObjectSize)
}

func (c *Copier) budget() *Budget {
	if c.Buffers == nil {
		return processBudget
	}
	return c.Buffers
}

func (c *Copier) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// progress accumulates bytes done across parts and reports them in order.
type progress struct {
	mu *sync.Mutex // shared by the phases of one copy
	c  *Copier
	p  Progress
}

func (c *Copier) newProgress(src, dst URI, path, phase string, total int64) *progress {
	return &progress{mu: new(sync.Mutex), c: c, p: Progress{Source: src, Target: dst, Path: path, Phase: phase, Total: total}}
}

// then is the progress of another phase of the same copy, reported one
// call at a time with p's.
func (p *progress) then(phase string) *progress {
	q := &progress{mu: p.mu, c: p.c, p: p.p}
	q.p.Phase, q.p.Done = phase, 0
	return q
}

func (p *progress) add(n int64) {
	if p == nil || p.c.Progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p.Done += n
	p.c.Progress(p.p)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
