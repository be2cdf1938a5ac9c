package awsemu_test

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSSEKMSKeyIsKeptAndReturned: S3 keeps each object's server-side
// encryption and KMS key, and returns them on HEAD and GET as
// x-amz-server-side-encryption and x-amz-server-side-encryption-aws-kms-key-id
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). An
// object put without SSE headers gets S3's default SSE-S3 (AES256) and no
// key; aws:kms without a key uses the account's aws/s3 key
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
// modelpromote trusts an evidence record by that key; the SDK and the AWS
// CLI must read it back.
func TestSSEKMSKeyIsKeptAndReturned(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	prod := e.s3(e.prod, noRetries)
	put := func(key string, sse types.ServerSideEncryption, kmsKey string) {
		in := &s3.PutObjectInput{Bucket: aws.String("prod-models"), Key: aws.String(key), Body: bytes.NewReader([]byte(`{"x":1}`)), ServerSideEncryption: sse}
		if kmsKey != "" {
			in.SSEKMSKeyId = aws.String(kmsKey)
		}
		if _, err := prod.PutObject(ctx(t), in); err != nil {
			t.Fatal(err)
		}
	}
	put("kms.json", types.ServerSideEncryptionAwsKms, prodKMSKey)
	put("default.json", "", "")
	put("aws-s3.json", types.ServerSideEncryptionAwsKms, "")
	for _, c := range []struct {
		key string
		sse types.ServerSideEncryption
		kms string
	}{
		{"kms.json", types.ServerSideEncryptionAwsKms, prodKMSKey},
		{"default.json", types.ServerSideEncryptionAes256, ""},
		{"aws-s3.json", types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:" + prodAccount + ":alias/aws/s3"},
	} {
		head, err := prod.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("prod-models"), Key: aws.String(c.key)})
		if err != nil {
			t.Fatal(err)
		}
		if head.ServerSideEncryption != c.sse || aws.ToString(head.SSEKMSKeyId) != c.kms {
			t.Errorf("HEAD %s: %q %q, want %q %q", c.key, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), c.sse, c.kms)
		}
		get, err := prod.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("prod-models"), Key: aws.String(c.key)})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, get.Body)
		get.Body.Close()
		if get.ServerSideEncryption != c.sse || aws.ToString(get.SSEKMSKeyId) != c.kms {
			t.Errorf("GET %s: %q %q, want %q %q", c.key, get.ServerSideEncryption, aws.ToString(get.SSEKMSKeyId), c.sse, c.kms)
		}
	}

	run := awsCLI(t, e, e.prod)
	var head struct{ ServerSideEncryption, SSEKMSKeyId string }
	if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", "prod-models", "--key", "kms.json")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != "aws:kms" || head.SSEKMSKeyId != prodKMSKey {
		t.Errorf("aws s3api head-object: %+v", head)
	}
	var get struct{ ServerSideEncryption, SSEKMSKeyId string }
	out := run("s3api", "get-object", "--bucket", "prod-models", "--key", "kms.json", filepath.Join(t.TempDir(), "out"))
	if err := json.Unmarshal([]byte(out), &get); err != nil || get.ServerSideEncryption != "aws:kms" || !strings.EqualFold(get.SSEKMSKeyId, prodKMSKey) {
		t.Errorf("aws s3api get-object: %+v (%v)", get, err)
	}
}
