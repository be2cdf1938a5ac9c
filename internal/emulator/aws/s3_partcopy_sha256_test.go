package awsemu_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// UploadPartCopy into an upload created with ChecksumAlgorithm SHA256: S3
// computes each copied part's SHA-256 from the bytes it copied and returns
// it (CopyPartResult.ChecksumSHA256); the completed object keeps the
// composite SHA-256 (SHA-256 over the binary part digests, "-N"), which
// the AWS CLI reads back with list-parts and head-object --checksum-mode
// ENABLED. modelpromote verifies a parallel server-side copy by it.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
func TestUploadPartCopySHA256PartsReadBackByTheAWSCLI(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 11*mib+7)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.S3().PutObject("dev-models", "src.bin", data); err != nil {
		t.Fatal(err)
	}
	run := awsCLI(t, e, e.dev)
	c := e.s3(e.dev)
	bucket, key := aws.String("dev-models"), aws.String("copy.bin")
	create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	var partSums []byte
	for i, r := range [][2]int{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}, {10 * mib, len(data) - 1}} {
		out, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: bucket, Key: key, UploadId: create.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("dev-models/src.bin"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data[r[0] : r[1]+1])
		partSums = append(partSums, sum[:]...)
		b64 := base64.StdEncoding.EncodeToString(sum[:])
		if got := aws.ToString(out.CopyPartResult.ChecksumSHA256); got != b64 {
			t.Errorf("part %d: S3 returned SHA-256 %q, want %q", i+1, got, b64)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag, ChecksumSHA256: &b64})
	}
	var listed struct {
		ChecksumAlgorithm string
		Parts             []struct{ ChecksumSHA256 string }
	}
	if err := json.Unmarshal([]byte(run("s3api", "list-parts", "--bucket", *bucket, "--key", *key, "--upload-id", *create.UploadId)), &listed); err != nil {
		t.Fatal(err)
	}
	if listed.ChecksumAlgorithm != "SHA256" || len(listed.Parts) != 3 || listed.Parts[2].ChecksumSHA256 != *parts[2].ChecksumSHA256 {
		t.Errorf("list-parts: %+v", listed)
	}
	// Completing without the part checksums is refused, as S3 does.
	_, err = c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: parts[0].ETag}}}})
	if err == nil {
		t.Fatal("completed without the part checksums")
	}
	done, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	composite := sha256.Sum256(partSums)
	want := base64.StdEncoding.EncodeToString(composite[:]) + "-3"
	if got := aws.ToString(done.ChecksumSHA256); got != want || done.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("CompleteMultipartUpload: %s %s, want composite %s", got, done.ChecksumType, want)
	}
	var head struct{ ChecksumSHA256, ChecksumType string }
	if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", *bucket, "--key", *key, "--checksum-mode", "ENABLED")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ChecksumSHA256 != want || head.ChecksumType != "COMPOSITE" {
		t.Errorf("head-object: %+v, want composite SHA-256 %s", head, want)
	}
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(got.Body); err != nil || !bytes.Equal(b.Bytes(), data) {
		t.Errorf("the copy differs from the source (%v)", err)
	}
}
