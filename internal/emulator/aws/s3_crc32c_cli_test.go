package awsemu_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A multipart upload with CRC32C part checksums, as modelpromote's
// streamed copy sends them: S3 checks each part's CRC32C, returns it, and
// keeps a composite CRC32C for the object (the CRC32C of the binary part
// checksums, "-N"), which the AWS CLI reads back with list-parts and
// head-object --checksum-mode ENABLED.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
func TestCRC32CPartsReadBackByTheAWSCLI(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	run := awsCLI(t, e, e.dev)
	c := e.s3(e.dev)
	bucket, key := aws.String("dev-models"), aws.String("model.tar.gz")
	create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	var parts []types.CompletedPart
	var partSums []byte
	for i, n := range []int{5 * mib, 1234} {
		data := make([]byte, n)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		sum := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, table))
		partSums = append(partSums, sum...)
		b64 := base64.StdEncoding.EncodeToString(sum)
		out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: create.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c, ChecksumCRC32C: &b64})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.ChecksumCRC32C); got != b64 {
			t.Errorf("part %d: S3 returned CRC32C %q, want %q", i+1, got, b64)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32C: &b64})
	}

	var listed struct {
		ChecksumAlgorithm string
		Parts             []struct{ ChecksumCRC32C string }
	}
	if err := json.Unmarshal([]byte(run("s3api", "list-parts", "--bucket", *bucket, "--key", *key, "--upload-id", *create.UploadId)), &listed); err != nil {
		t.Fatal(err)
	}
	if listed.ChecksumAlgorithm != "CRC32C" || len(listed.Parts) != 2 || listed.Parts[0].ChecksumCRC32C != *parts[0].ChecksumCRC32C || listed.Parts[1].ChecksumCRC32C != *parts[1].ChecksumCRC32C {
		t.Errorf("list-parts: %+v", listed)
	}

	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	composite := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(partSums, table))) + "-2"
	var head struct{ ChecksumCRC32C, ChecksumType string }
	if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", *bucket, "--key", *key, "--checksum-mode", "ENABLED")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ChecksumCRC32C != composite || head.ChecksumType != "COMPOSITE" {
		t.Errorf("head-object: %+v, want composite CRC32C %s", head, composite)
	}
}
