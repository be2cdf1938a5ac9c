package awsemu_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPresignedURLs(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	presign := s3.NewPresignClient(e.s3(e.dev))
	put, err := presign.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("reports/r 1.json")},
		s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader(`{"ok":true}`))
	for k, v := range put.SignedHeader {
		req.Header[k] = v
	}
	if status, body := do(t, req); status != 200 {
		t.Fatalf("presigned put: %d %s", status, body)
	}
	assertContent(t, e, "dev-models", "reports/r 1.json", []byte(`{"ok":true}`))

	get, err := presign.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("reports/r 1.json")},
		s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := fetch(get.URL); status != 200 || body != `{"ok":true}` {
		t.Errorf("presigned get: %d %s", status, body)
	}
	tampered := strings.Replace(get.URL, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	if status, body := fetch(tampered); status != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("tampered: %d %s", status, body)
	}
	e.srv.Advance(16 * time.Minute)
	if status, body := fetch(get.URL); status != 403 || !strings.Contains(body, "Request has expired") {
		t.Errorf("expired: %d %s", status, body)
	}
}
