package artifacts

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// DefaultPartCopyConcurrency is how many UploadPartCopy requests of one
// copy are in flight on the verified-parts path: the AWS CLI's
// max_concurrent_requests. No byte is buffered for them.
const DefaultPartCopyConcurrency = 10

// copyBoundParts copies s server-side in exactly the parts the check
// hashed (d.PartSize), UploadPartCopy in parallel into an upload created
// with SHA-256 part checksums, and verifies the copy without reading any
// byte: S3 computes each copied part's SHA-256 from the bytes it copied,
// and the composite of those (SHA-256 over the binary part digests, -N)
// must equal d.SHA256, the composite the check computed over the same
// ranges in the read that gave want, the object's SHA-256. Equal
// composites of the same ranges are equal bytes (short of a SHA-256
// collision), so the copy is the bound object and want is its digest.
// The upload is completed only once that holds; otherwise it is aborted
// and nothing is left. Every part is conditional on the bound ETag.
//
// A server that returns no SHA-256 of a copied part (S3 always does) is
// answered by completing the upload and hashing the copy, bytes in only
// (Result.Hashed), and saying so in the log.
func (c *Copier) copyBoundParts(ctx context.Context, s source, dst URI, want string, d plan.PartsDigest) (res Result, err error) {
	id, err := c.createUpload(ctx, s, dst, want, partSHA256)
	if err != nil {
		return Result{}, err
	}
	defer c.abortOnError(ctx, dst, &id, &err)
	parts := split(s.size, d.PartSize)
	completed := make([]types.CompletedPart, len(parts))
	prog := c.newProgress(s.uri, dst, PathServerSideMultipart, PhaseCopying, s.size)
	if err = c.copyRangesConc(ctx, s, dst, id, parts, completed, prog, cmp.Or(c.PartCopyConcurrency, DefaultPartCopyConcurrency)); err != nil {
		return Result{}, err
	}
	sums := make([][]byte, len(parts))
	missing := 0
	for i, p := range completed {
		raw, derr := base64.StdEncoding.DecodeString(aws.ToString(p.ChecksumSHA256))
		if derr != nil || len(raw) != 32 {
			missing++
			continue
		}
		sums[i] = raw
	}
	res = Result{Path: PathServerSideMultipart, SHA256: want, Size: s.size, Parts: len(parts)}
	if missing == 0 {
		if got := plan.CompositeSHA256(sums); got != d.SHA256 {
			err = &DigestMismatchError{Object: dst, Want: d.SHA256, Got: got, Source: fmt.Sprintf("the composite SHA-256 of %s's %d parts the check computed (%s was changed after the check read it)", s.uri, len(parts), s.uri),
				Composite: true}
			return Result{}, err
		}
	}
	out, err := c.Target.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &id,
		ExpectedBucketOwner: optional(c.TargetOwner),
		MultipartUpload:     &types.CompletedMultipartUpload{Parts: completed},
	})
	if err != nil {
		return Result{}, fmt.Errorf("complete upload to %s: %w", dst, err)
	}
	id = ""
	if got := aws.ToString(out.ChecksumSHA256); missing == 0 && got != "" && got != d.SHA256 {
		return Result{}, c.discard(ctx, dst, &DigestMismatchError{Object: dst, Want: d.SHA256, Got: got, Composite: true,
			Source: "the composite SHA-256 of the parts the check computed (S3's composite of the completed copy differs from its parts')"})
	}
	if missing > 0 {
		c.log().Warn("S3 returned no SHA-256 of the copied parts; hashing the copy", "src", s.uri, "dst", dst, "size", s.size, "parts", len(parts), "without", missing)
		got, herr := c.hashCopy(ctx, s, dst, aws.ToString(out.ETag), PathServerSideMultipart)
		if herr != nil {
			return Result{}, c.discard(ctx, dst, herr)
		}
		if got != want {
			return Result{}, c.discard(ctx, dst, &DigestMismatchError{Object: dst, Want: want, Got: got, Source: "the check's SHA-256 of " + s.uri.String()})
		}
		res.Hashed = true
	}
	return res, nil
}

// copyRangesConc is copyRanges with conc requests in flight.
func (c *Copier) copyRangesConc(ctx context.Context, s source, dst URI, id string, parts []part, completed []types.CompletedPart, prog *progress, conc int) error {
	var next atomic.Int64
	g, ctx := newGroup(ctx)
	for range min(conc, len(parts)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(parts) {
					return nil
				}
				if err := c.copyRange(ctx, s, dst, id, parts[i], &completed[i]); err != nil {
					return err
				}
				prog.add(parts[i].size)
			}
		})
	}
	return g.Wait()
}

// copyRange copies part p of s into upload id, conditional on s's ETag
// (and version), recording what S3 says of it in done.
func (c *Copier) copyRange(ctx context.Context, s source, dst URI, id string, p part, done *types.CompletedPart) error {
	out, err := c.Target.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &id, PartNumber: &p.number,
		CopySource:                aws.String(s.copySource()),
		CopySourceRange:           aws.String(p.bytes()),
		CopySourceIfMatch:         &s.etag,
		ExpectedBucketOwner:       optional(c.TargetOwner),
		ExpectedSourceBucketOwner: optional(c.SourceOwner),
	})
	if err != nil {
		return fmt.Errorf("copy %s %s to %s part %d: %w", s.uri, p.bytes(), dst, p.number, err)
	}
	*done = types.CompletedPart{PartNumber: &p.number}
	if r := out.CopyPartResult; r != nil {
		done.ETag, done.ChecksumSHA256 = r.ETag, r.ChecksumSHA256
	}
	return nil
}
