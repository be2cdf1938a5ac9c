package artifacts

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// copyObject copies an object of at most 5 GiB with one CopyObject, made
// by the target principal. S3 computes the copy's full-object SHA-256
// (ChecksumAlgorithm SHA256) and returns it, so no byte passes through the
// process: it must equal known, the source's digest (its own S3 checksum
// or the digest the caller expects), when there is one, and is the copy's
// digest otherwise. A server that returns no SHA-256 of the copy (S3
// always does) is answered by hashing the copy, bytes in only, and saying
// so in the log and Result.Hashed.
func (c *Copier) copyObject(ctx context.Context, s source, dst URI, known, want string) (Result, error) {
	from := "the source's S3 checksum"
	if want != "" && known == want {
		from = "the expected digest"
	}
	out, err := c.Target.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &dst.Bucket, Key: &dst.Key,
		CopySource:                aws.String(s.copySource()),
		CopySourceIfMatch:         &s.etag,
		ExpectedBucketOwner:       optional(c.TargetOwner),
		ExpectedSourceBucketOwner: optional(c.SourceOwner),
		MetadataDirective:         types.MetadataDirectiveReplace,
		Metadata:                  metadata(s, known),
		ContentType:               optional(s.contentType),
		ServerSideEncryption:      types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId:               &c.KMSKeyARN,
		ChecksumAlgorithm:         types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		return Result{}, fmt.Errorf("copy %s to %s: %w", s.uri, dst, err)
	}
	res := Result{Path: PathServerSide, Size: s.size}
	var etag string
	if r := out.CopyObjectResult; r != nil {
		etag = aws.ToString(r.ETag)
		if r.ChecksumType != types.ChecksumTypeComposite {
			res.SHA256, _ = fullObjectSHA256(aws.ToString(r.ChecksumSHA256))
		}
	}
	if res.SHA256 == "" {
		c.log().Warn("S3 returned no SHA-256 of the copy; hashing the copy", "src", s.uri, "dst", dst, "size", s.size)
		sum, err := c.hashCopy(ctx, s, dst, etag, PathServerSide)
		if err != nil {
			return Result{}, c.discard(ctx, dst, err)
		}
		res.SHA256, res.Hashed = sum, true
	}
	if known != "" && res.SHA256 != known {
		return Result{}, c.discard(ctx, dst, &DigestMismatchError{Object: dst, Want: known, Got: res.SHA256, Source: from})
	}
	c.newProgress(s.uri, dst, PathServerSide, PhaseCopying, s.size).add(s.size)
	return res, nil
}

// copyParts copies an object over 5 GiB server-side: UploadPartCopy of
// byte ranges, in parallel, into a multipart upload.
//
// S3 keeps no full-object SHA-256 of a multipart object, only a composite
// (a digest of the part digests). So the source is read once, ranges in
// parallel, hashing each part's range and, in order, the whole; S3 computes
// each copied part's SHA-256 from the bytes it copied, and each must equal
// ours for the same range before the upload is completed. The trade-off:
// the object's bytes flow into the process once (never out), at up to
// Concurrency × part size bytes buffered. When the object's digest is known
// up front (the caller's or S3's), the read runs alongside the copy;
// otherwise it comes first, because the digest goes in the metadata the
// upload is created with.
func (c *Copier) copyParts(ctx context.Context, s source, dst URI, known string) (res Result, err error) {
	hashing := c.newProgress(s.uri, dst, PathServerSideMultipart, PhaseHashing, s.size)
	var sums partSums
	if known == "" {
		if sums, err = c.readParts(ctx, c.Source, c.SourceOwner, s, partSHA256, hashing, nil); err != nil {
			return Result{}, fmt.Errorf("hash %s: %w", s.uri, err)
		}
		known = sums.hex()
	}
	id, err := c.createUpload(ctx, s, dst, known, partSHA256)
	if err != nil {
		return Result{}, err
	}
	defer c.abortOnError(ctx, dst, &id, &err)

	partSize, _ := c.partSize(s.size)
	parts := split(s.size, partSize)
	completed := make([]types.CompletedPart, len(parts))
	g, gctx := newGroup(ctx)
	g.Go(func() error { return c.copyRanges(gctx, s, dst, id, parts, completed, hashing.then(PhaseCopying)) })
	if sums.full == nil {
		g.Go(func() (err error) {
			if sums, err = c.readParts(gctx, c.Source, c.SourceOwner, s, partSHA256, hashing, nil); err != nil {
				return fmt.Errorf("hash %s: %w", s.uri, err)
			}
			return nil
		})
	}
	if err = g.Wait(); err != nil {
		return Result{}, err
	}
	if got := sums.hex(); got != known {
		err = &DigestMismatchError{Object: s.uri, Want: known, Got: got, Source: "the source's checksum or the expected digest"}
		return Result{}, err
	}
	for i, p := range completed {
		if want := sums.part(i); aws.ToString(p.ChecksumSHA256) != want {
			got, _ := fullObjectSHA256(aws.ToString(p.ChecksumSHA256))
			err = &DigestMismatchError{Object: dst, Part: *p.PartNumber, Want: hex.EncodeToString(sums.parts[i]), Got: cmp.Or(got, "none"),
				Source: "the source's " + parts[i].bytes()}
			return Result{}, err
		}
	}
	if err = c.complete(ctx, s, dst, &id, completed, sums); err != nil {
		return Result{}, err
	}
	return Result{Path: PathServerSideMultipart, SHA256: known, Size: s.size, Hashed: true}, nil
}

// copyRanges copies parts of s into upload id, Concurrency at a time,
// recording what S3 says of each in completed and reporting to prog.
func (c *Copier) copyRanges(ctx context.Context, s source, dst URI, id string, parts []part, completed []types.CompletedPart, prog *progress) error {
	_, conc := c.partSize(s.size)
	return c.copyRangesConc(ctx, s, dst, id, parts, completed, prog, conc)
}

// createUpload starts a multipart upload to dst with part checksums of
// alg, the target's KMS key and our metadata.
func (c *Copier) createUpload(ctx context.Context, s source, dst URI, sum string, alg partAlg) (string, error) {
	out, err := c.Target.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &dst.Bucket, Key: &dst.Key,
		ExpectedBucketOwner:  optional(c.TargetOwner),
		Metadata:             metadata(s, sum),
		ContentType:          optional(s.contentType),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId:          &c.KMSKeyARN,
		ChecksumAlgorithm:    alg.algorithm(),
	})
	if err != nil {
		return "", fmt.Errorf("start upload to %s: %w", dst, err)
	}
	return aws.ToString(out.UploadId), nil
}

// complete completes an upload whose parts are verified, then checks the
// composite checksum S3 computed from them against ours. *id is cleared
// once the upload no longer exists.
func (c *Copier) complete(ctx context.Context, s source, dst URI, id *string, parts []types.CompletedPart, sums partSums) error {
	out, err := c.Target.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &dst.Bucket, Key: &dst.Key, UploadId: id,
		ExpectedBucketOwner: optional(c.TargetOwner),
		MultipartUpload:     &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("complete upload to %s: %w", dst, err)
	}
	*id = ""
	if got, want := sums.compositeOf(out.ChecksumCRC32C, out.ChecksumSHA256), sums.composite(); got != "" && got != want {
		return c.discard(ctx, dst, fmt.Errorf("%s: S3's composite %s %s of the parts does not match %s of the parts of %s", dst, sums.alg.algorithm(), got, want, s.uri))
	}
	return nil
}

// abortOnError aborts upload *id when *err is set, so that a failed copy
// leaves no parts behind.
func (c *Copier) abortOnError(ctx context.Context, dst URI, id *string, err *error) {
	if *err == nil || *id == "" {
		return
	}
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	if aerr := c.abort(ctx, dst, *id); aerr != nil {
		c.log().Warn("could not abort a failed upload; a rerun will", "dst", dst, "upload", *id, "err", aerr)
	}
}

// hashCopy reads the copy of s at dst (bytes in only, If-Match etag, or
// the ETag a HEAD gives when etag is empty) and returns its hex SHA-256:
// how a copy is verified when the server returned no SHA-256 of it.
func (c *Copier) hashCopy(ctx context.Context, s source, dst URI, etag, path string) (string, error) {
	if etag == "" {
		h, err := c.Target.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &dst.Bucket, Key: &dst.Key, ExpectedBucketOwner: optional(c.TargetOwner)})
		if err != nil {
			return "", fmt.Errorf("head the copy %s: %w", dst, err)
		}
		etag = aws.ToString(h.ETag)
	}
	t := source{uri: dst, size: s.size, etag: etag}
	sums, err := c.readParts(ctx, c.Target, c.TargetOwner, t, partNone, c.newProgress(s.uri, dst, path, PhaseHashing, s.size), nil)
	if err != nil {
		return "", fmt.Errorf("hash the copy %s: %w", dst, err)
	}
	return sums.hex(), nil
}
