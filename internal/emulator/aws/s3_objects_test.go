package awsemu_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjectLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.s3(e.dev)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("dev-models")}); err != nil {
		t.Fatal(err)
	}
	if b := e.srv.S3().Buckets(); len(b) != 1 || b[0].Owner != devAccount {
		t.Fatalf("buckets %+v", b)
	}
	// us-east-1 answers 200 to re-creating your own bucket (legacy).
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("dev-models")}); err != nil {
		t.Errorf("second create: %v", err)
	}
	_, err := e.s3(e.prod).CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("dev-models")})
	if code := apiCode(t, err); code != "BucketAlreadyExists" {
		t.Errorf("create by other account: %v", err)
	}

	data := []byte("model weights, v1")
	sum := sha256.Sum256(data)
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("dev-models"), Key: aws.String("models/v1/model.tar.gz"), Body: bytes.NewReader(data),
		ContentType: aws.String("application/gzip"), Metadata: map[string]string{"commit": "abc123"},
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.ChecksumSHA256) != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("put checksum %v", aws.ToString(put.ChecksumSHA256))
	}
	assertContent(t, e, "dev-models", "models/v1/model.tar.gz", data)
	o, _ := e.srv.S3().Object("dev-models", "models/v1/model.tar.gz")
	if o.ETag != `"`+md5hex(data)+`"` || o.ContentType != "application/gzip" || o.Metadata["commit"] != "abc123" ||
		o.ChecksumAlgorithm != "SHA256" || o.ServerSideEncryption != "AES256" {
		t.Errorf("stored %+v", o)
	}

	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("models/v1/model.tar.gz"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if *head.ContentLength != int64(len(data)) || *head.ETag != o.ETag || aws.ToString(head.ChecksumSHA256) != o.Checksum || head.Metadata["commit"] != "abc123" {
		t.Errorf("head %+v", head)
	}
	get, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("models/v1/model.tar.gz")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(get.Body) // the SDK validates the SHA-256 while reading
	if err != nil || !bytes.Equal(got, data) || aws.ToString(get.ChecksumSHA256) != o.Checksum {
		t.Errorf("get %q %v %v", got, err, aws.ToString(get.ChecksumSHA256))
	}

	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("missing")})
	if code := apiCode(t, err); code != "NotFound" {
		t.Errorf("head missing: %v", err)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("missing")})
	var nsk *types.NoSuchKey
	if !errorsAs(err, &nsk) {
		t.Errorf("get missing: %v", err)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
	if code := apiCode(t, err); code != "NoSuchBucket" {
		t.Errorf("get from missing bucket: %v", err)
	}

	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("models/v1/model.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.S3().Object("dev-models", "models/v1/model.tar.gz"); ok {
		t.Error("object still there after delete")
	}
}

func TestChecksumMismatchIsBadDigest(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	wrong := sha256.Sum256([]byte("something else"))
	_, err := e.s3(e.dev, noRetries).PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("dev-models"), Key: aws.String("k"), Body: strings.NewReader("content"),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	if code := apiCode(t, err); code != "BadDigest" {
		t.Errorf("put with wrong checksum: %v", err)
	}
	if _, ok := e.srv.S3().Object("dev-models", "k"); ok {
		t.Error("object stored despite bad checksum")
	}
}

func TestGetObjectRange(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	data := []byte("0123456789")
	if err := e.srv.S3().PutObject("dev-models", "digits", data); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rng, want, contentRange, code string
	}{
		{rng: "bytes=0-4", want: "01234", contentRange: "bytes 0-4/10"},
		{rng: "bytes=5-", want: "56789", contentRange: "bytes 5-9/10"},
		{rng: "bytes=-3", want: "789", contentRange: "bytes 7-9/10"},
		{rng: "bytes=8-100", want: "89", contentRange: "bytes 8-9/10"},
		{rng: "bytes=10-", code: "InvalidRange"},
	}
	for _, tc := range tests {
		t.Run(tc.rng, func(t *testing.T) {
			out, err := e.s3(e.dev, noRetries).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("digits"), Range: aws.String(tc.rng)})
			if code := apiCode(t, err); code != tc.code {
				t.Fatalf("code %q, want %q (%v)", code, tc.code, err)
			}
			if err != nil {
				return
			}
			got, _ := io.ReadAll(out.Body)
			if string(got) != tc.want || aws.ToString(out.ContentRange) != tc.contentRange {
				t.Errorf("got %q %q", got, aws.ToString(out.ContentRange))
			}
		})
	}
}

func TestListObjectsV2(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a.txt", "models/v1/a", "models/v1/b", "models/v2/a", "models/x", "reports/r1", "z"}
	for _, k := range keys {
		if err := e.srv.S3().PutObject("dev-models", k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		prefix    string
		delimiter string
		maxKeys   int32
		keys      []string
		prefixes  []string
	}{
		{name: "all", keys: keys},
		{name: "prefix", prefix: "models/", keys: []string{"models/v1/a", "models/v1/b", "models/v2/a", "models/x"}},
		{name: "delimiter", delimiter: "/", keys: []string{"a.txt", "z"}, prefixes: []string{"models/", "reports/"}},
		{name: "prefix and delimiter", prefix: "models/", delimiter: "/", keys: []string{"models/x"}, prefixes: []string{"models/v1/", "models/v2/"}},
		{name: "paginated", maxKeys: 2, keys: keys},
		{name: "paginated with delimiter", maxKeys: 1, prefix: "models/", delimiter: "/", keys: []string{"models/x"}, prefixes: []string{"models/v1/", "models/v2/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.ListObjectsV2Input{Bucket: aws.String("dev-models"), Prefix: aws.String(tc.prefix)}
			if tc.delimiter != "" {
				in.Delimiter = aws.String(tc.delimiter)
			}
			if tc.maxKeys > 0 {
				in.MaxKeys = aws.Int32(tc.maxKeys)
			}
			var gotKeys, gotPrefixes []string
			pages := 0
			p := s3.NewListObjectsV2Paginator(e.s3(e.dev), in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, o := range out.Contents {
					gotKeys = append(gotKeys, *o.Key)
				}
				for _, cp := range out.CommonPrefixes {
					gotPrefixes = append(gotPrefixes, *cp.Prefix)
				}
			}
			if strings.Join(gotKeys, ",") != strings.Join(tc.keys, ",") || strings.Join(gotPrefixes, ",") != strings.Join(tc.prefixes, ",") {
				t.Errorf("keys %v prefixes %v, want %v %v", gotKeys, gotPrefixes, tc.keys, tc.prefixes)
			}
			if tc.maxKeys > 0 {
				if want := (len(tc.keys) + len(tc.prefixes) + int(tc.maxKeys) - 1) / int(tc.maxKeys); pages != want {
					t.Errorf("%d pages, want %d", pages, want)
				}
			}
		})
	}
}

func TestConditionalPutAndDeleteObjects(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	c := e.s3(e.dev, noRetries)
	put := func(key string) error {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dev-models"), Key: aws.String(key), Body: strings.NewReader("v"), IfNoneMatch: aws.String("*")})
		return err
	}
	if err := put("fresh"); err != nil {
		t.Fatalf("conditional put of a new key: %v", err)
	}
	if code := apiCode(t, put("fresh")); code != "PreconditionFailed" {
		t.Errorf("conditional put over an existing key: %q", code)
	}
	out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("dev-models"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("fresh")}, {Key: aws.String("reports/aA.json")}, {Key: aws.String("never-existed")},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Errorf("deleted %d, errors %d", len(out.Deleted), len(out.Errors))
	}
	for _, k := range []string{"fresh", "reports/aA.json"} {
		if _, ok := e.srv.S3().Object("dev-models", k); ok {
			t.Errorf("%s not deleted", k)
		}
	}
	// prod may read dev-models but not delete from it.
	out, err = e.s3(e.prod).DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("dev-models"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("reports/a%41.json")}}}})
	if err != nil || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("cross-account delete: %+v %v", out, err)
	}
}

func TestPutOver5GiBIsEntityTooLarge(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	req := signed(t, e.dev, "PUT", e.srv.URL()+"/dev-models/huge", "s3", []byte("x"), map[string][]string{
		"X-Amz-Content-Sha256":         {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
		"X-Amz-Decoded-Content-Length": {"6442450944"},
		"Content-Encoding":             {"aws-chunked"},
	})
	if status, body := do(t, req); status != 400 || !strings.Contains(body, "<Code>EntityTooLarge</Code>") {
		t.Errorf("%d %s", status, body)
	}
}

// TestAWSChunkedTrailer sends the body the SDK sends over TLS (aws-chunked,
// trailing CRC32) by hand, with a right and a wrong trailer.
func TestAWSChunkedTrailer(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	header := map[string][]string{
		"X-Amz-Content-Sha256":         {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		"X-Amz-Decoded-Content-Length": {"5"},
	}
	for _, tc := range []struct {
		trailer string
		status  int
		code    string
	}{
		{"NhCmhg==", 200, ""},
		{"AAAAAA==", 400, "BadDigest"},
	} {
		body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + tc.trailer + "\r\n\r\n"
		status, resp := do(t, signed(t, e.dev, "PUT", e.srv.URL()+"/dev-models/"+tc.trailer[:4], "s3", []byte(body), header))
		if status != tc.status || (tc.code != "" && !strings.Contains(resp, "<Code>"+tc.code+"</Code>")) {
			t.Errorf("trailer %s: %d %s", tc.trailer, status, resp)
		}
	}
	assertContent(t, e, "dev-models", "NhCm", []byte("hello"))
	if _, ok := e.srv.S3().Object("dev-models", "AAAA"); ok {
		t.Error("stored an object whose trailer checksum was wrong")
	}
}
