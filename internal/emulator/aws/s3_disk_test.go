package awsemu_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestDataFilesAreReclaimed: overwritten, deleted and aborted data goes
// away, data still referenced by a copy stays.
func TestDataFilesAreReclaimed(t *testing.T) {
	dir := t.TempDir()
	e := newEnvIn(t, dir)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	c := e.s3(e.dev)
	put := func(key string, size int) {
		t.Helper()
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dev-models"), Key: aws.String(key), Body: bytes.NewReader(make([]byte, size))}); err != nil {
			t.Fatal(err)
		}
	}
	put("a", 3*mib)
	put("a", 2*mib) // overwrite
	if used := diskUsage(t, dir); used != 2*mib {
		t.Errorf("after overwrite: %d bytes on disk", used)
	}
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("b"), CopySource: aws.String("dev-models/a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	if used := diskUsage(t, dir); used != 2*mib {
		t.Errorf("copy shares its source's data: %d bytes on disk", used)
	}
	assertContent(t, e, "dev-models", "b", make([]byte, 2*mib))
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("dev-models"), Key: aws.String("m"), UploadId: create.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(make([]byte, mib))}); err != nil {
		t.Fatal(err)
	}
	if used := diskUsage(t, dir); used != mib {
		t.Errorf("with one part uploaded: %d bytes on disk", used)
	}
	lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String("dev-models")})
	if err != nil || len(lu.Uploads) != 1 || *lu.Uploads[0].UploadId != *create.UploadId || *lu.Uploads[0].Key != "m" {
		t.Errorf("list uploads: %+v %v", lu, err)
	}
	if _, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("m"), UploadId: create.UploadId}); err != nil {
		t.Fatal(err)
	}
	if used := diskUsage(t, dir); used != 0 {
		t.Errorf("after deleting everything: %d bytes on disk", used)
	}
}
