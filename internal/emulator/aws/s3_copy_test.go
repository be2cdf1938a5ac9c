package awsemu_test

import (
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const prodKMSKey = "arn:aws:kms:us-east-1:" + prodAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"

// seedCopy: dev-models (readable by prod) and dev-private in dev, prod-models
// in prod.
func seedCopy(t *testing.T, e *env) {
	t.Helper()
	s := e.srv.S3()
	for _, b := range []struct{ name, owner string }{{"dev-models", devAccount}, {"dev-private", devAccount}, {"prod-models", prodAccount}} {
		if err := s.CreateBucket(b.name, b.owner); err != nil {
			t.Fatal(err)
		}
	}
	err := s.SetBucketPolicy("dev-models", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+prodAccount+`"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::dev-models","arn:aws:s3:::dev-models/*"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct{ bucket, key, data string }{
		{"dev-models", "reports/a b+c%.json", `{"auc": 0.91}`},
		{"dev-models", "reports/aA.json", `{"x": 1}`},
		{"dev-models", "reports/a%41.json", `{"y": 2}`},
		{"dev-private", "secret", "s"},
	} {
		if err := s.PutObject(o.bucket, o.key, []byte(o.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSyntheticObject("dev-models", "big/model.tar.gz", 42, 6<<30); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSyntheticObject("dev-models", "mid/model.tar.gz", 7, 1<<30); err != nil {
		t.Fatal(err)
	}
}

func TestCopyObject(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	tests := []struct {
		name          string
		source        string
		srcOwner      string
		dstOwner      string
		sse           bool
		code          string
		wantContentOf string // dev-models key whose bytes the copy must hold
		wantSynthetic bool
	}{
		{name: "encoded key with space, plus and percent", source: url.PathEscape("dev-models/reports/a b+c%.json"), sse: true,
			srcOwner: devAccount, dstOwner: prodAccount, wantContentOf: "reports/a b+c%.json"},
		{name: "leading slash and query-escaped path", source: "/dev-models/" + url.PathEscape("reports/a%41.json"), wantContentOf: "reports/a%41.json"},
		{name: "unencoded space", source: "dev-models/reports/a b+c%.json", code: "InvalidArgument"},
		{name: "unencoded percent resolves to another key", source: "dev-models/reports/a%41.json", wantContentOf: "reports/aA.json"},
		{name: "unencoded percent that is no escape", source: "dev-models/reports/a%.json", code: "InvalidArgument"},
		{name: "missing source key", source: "dev-models/nope", code: "NoSuchKey"},
		{name: "source not shared", source: "dev-private/secret", code: "AccessDenied"},
		{name: "wrong expected source owner", source: "dev-models/reports/aA.json", srcOwner: prodAccount, code: "AccessDenied"},
		{name: "wrong expected bucket owner", source: "dev-models/reports/aA.json", dstOwner: devAccount, code: "AccessDenied"},
		{name: "source over 5 GiB", source: "dev-models/big/model.tar.gz", code: "InvalidRequest"},
		{name: "synthetic source stays synthetic", source: "dev-models/mid/model.tar.gz", wantSynthetic: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dstKey := "copies/" + string(rune('a'+i))
			in := &s3.CopyObjectInput{Bucket: aws.String("prod-models"), Key: aws.String(dstKey), CopySource: aws.String(tc.source)}
			if tc.srcOwner != "" {
				in.ExpectedSourceBucketOwner = aws.String(tc.srcOwner)
			}
			if tc.dstOwner != "" {
				in.ExpectedBucketOwner = aws.String(tc.dstOwner)
			}
			if tc.sse {
				in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
				in.SSEKMSKeyId = aws.String(prodKMSKey)
			}
			out, err := e.s3(e.prod, noRetries).CopyObject(ctx(t), in)
			if code := apiCode(t, err); code != tc.code {
				t.Fatalf("code %q, want %q (%v)", code, tc.code, err)
			}
			o, stored := e.srv.S3().Object("prod-models", dstKey)
			if err != nil {
				if stored {
					t.Error("failed copy stored an object")
				}
				return
			}
			if !stored || *out.CopyObjectResult.ETag != o.ETag {
				t.Fatalf("stored %v, etag %s vs %s", stored, *out.CopyObjectResult.ETag, o.ETag)
			}
			if tc.sse && (o.ServerSideEncryption != "aws:kms" || o.KMSKeyID != prodKMSKey ||
				out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != prodKMSKey) {
				t.Errorf("encryption %q %q", o.ServerSideEncryption, o.KMSKeyID)
			}
			if tc.wantContentOf != "" {
				src, _ := e.srv.S3().Object("dev-models", tc.wantContentOf)
				if o.SHA256 != src.SHA256 || o.ETag != src.ETag || o.Checksum != src.Checksum {
					t.Errorf("copy %+v does not match source %+v", o, src)
				}
			}
			if o.Synthetic != tc.wantSynthetic {
				t.Errorf("synthetic = %v", o.Synthetic)
			}
		})
	}
}
