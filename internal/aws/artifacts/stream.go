package artifacts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// stream copies through the process, for when no principal may both read
// the source and write the target: ranged GETs with the source's
// credentials, a multipart upload with the target's, parts in parallel and
// at most Concurrency × part size bytes buffered. Every part is sent with
// its CRC32C, which S3 checks on receipt; the whole object's SHA-256 is
// computed, once, from what was read and must equal known (if any) before
// the upload is completed, so a mismatch never leaves a target object.
// The bytes uploaded are the bytes hashed (the same buffer), so a per-part
// CRC for the transfer and one SHA-256 for the content are enough: S3's
// CRC32C is made for integrity in transit, and costs a few per cent of a
// second SHA-256 pass.
func (c *Copier) stream(ctx context.Context, s source, dst URI, known, want string) (res Result, err error) {
	from := "the source's S3 checksum"
	if want != "" && known == want {
		from = "the expected digest"
	}
	partSize, _ := c.partSize(s.size)
	prog := c.newProgress(s.uri, dst, PathStreamed, PhaseCopying, s.size)
	if s.size < partSize {
		return c.streamSmall(ctx, s, dst, known, from, prog)
	}
	// The digest goes in the metadata the upload is created with; when
	// it is not known yet, the metadata records the source only and a
	// rerun that finds the copy hashes it once (see existing).
	id, err := c.createUpload(ctx, s, dst, known, partCRC32C)
	if err != nil {
		return Result{}, err
	}
	defer c.abortOnError(ctx, dst, &id, &err)
	completed := make([]types.CompletedPart, len(split(s.size, partSize)))
	sums, err := c.readParts(ctx, c.Source, c.SourceOwner, s, partCRC32C, prog, func(ctx context.Context, p part, data, sum []byte) error {
		checksum := base64.StdEncoding.EncodeToString(sum)
		out, err := c.Target.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &dst.Bucket, Key: &dst.Key, UploadId: &id, PartNumber: &p.number,
			Body: bytes.NewReader(data), ContentLength: &p.size,
			ChecksumAlgorithm:   types.ChecksumAlgorithmCrc32c,
			ChecksumCRC32C:      &checksum,
			ExpectedBucketOwner: optional(c.TargetOwner),
		}, payloadHash(unsignedPayload))
		if err != nil {
			return fmt.Errorf("upload %s part %d: %w", dst, p.number, err)
		}
		if got := aws.ToString(out.ChecksumCRC32C); got != "" && got != checksum {
			return fmt.Errorf("upload %s part %d: S3 computed CRC32C %s of the part, not %s", dst, p.number, got, checksum)
		}
		completed[p.number-1] = types.CompletedPart{PartNumber: &p.number, ETag: out.ETag, ChecksumCRC32C: &checksum}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	sum := sums.hex()
	if known != "" && sum != known {
		return Result{}, &DigestMismatchError{Object: s.uri, Want: known, Got: sum, Source: from}
	}
	if err = c.complete(ctx, s, dst, &id, completed, sums); err != nil {
		return Result{}, err
	}
	return Result{Path: PathStreamed, SHA256: sum, Size: s.size}, nil
}

// streamSmall copies an object smaller than one part with one GET and one
// PutObject carrying its SHA-256, which S3 checks and keeps as the
// object's full-object checksum.
func (c *Copier) streamSmall(ctx context.Context, s source, dst URI, known, from string, prog *progress) (Result, error) {
	buf, err := c.budget().acquire(ctx, s.size)
	if err != nil {
		return Result{}, err
	}
	defer c.budget().release(buf)
	data := *buf
	if err := getRange(ctx, c.Source, c.SourceOwner, s, part{number: 1, size: s.size}, data); err != nil {
		return Result{}, err
	}
	raw := sha256.Sum256(data)
	sum := hex.EncodeToString(raw[:])
	if known != "" && sum != known {
		return Result{}, &DigestMismatchError{Object: s.uri, Want: known, Got: sum, Source: from}
	}
	checksum := base64.StdEncoding.EncodeToString(raw[:])
	out, err := c.Target.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &dst.Bucket, Key: &dst.Key,
		Body: bytes.NewReader(data), ContentLength: &s.size,
		ChecksumAlgorithm:    types.ChecksumAlgorithmSha256,
		ChecksumSHA256:       &checksum,
		ExpectedBucketOwner:  optional(c.TargetOwner),
		Metadata:             metadata(s, sum),
		ContentType:          optional(s.contentType),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId:          &c.KMSKeyARN,
	}, payloadHash(hex.EncodeToString(raw[:])))
	if err != nil {
		return Result{}, fmt.Errorf("put %s: %w", dst, err)
	}
	if got := aws.ToString(out.ChecksumSHA256); got != "" && got != checksum {
		gotHex, _ := fullObjectSHA256(got)
		return Result{}, c.discard(ctx, dst, &DigestMismatchError{Object: dst, Want: sum, Got: gotHex, Source: "the bytes read from " + s.uri.String()})
	}
	prog.add(s.size)
	return Result{Path: PathStreamed, SHA256: sum, Size: s.size}, nil
}

// unsignedPayload is SigV4's x-amz-content-sha256 for a body that is not
// signed: its integrity is the x-amz-checksum-* header S3 checks instead.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// payloadHash hands the SigV4 signer the body's hex SHA-256, already
// computed, or unsignedPayload, so that the SDK does not read the body
// once more to hash it: over plain HTTP, it would otherwise SHA-256 every
// part to sign it. (Over TLS the SDK sends unsigned payloads anyway.)
func payloadHash(h string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("modelpromote.PayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, h), in)
				}), middleware.Before)
		})
	}
}
