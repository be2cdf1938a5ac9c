package awsemu_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkGetSyntheticObject measures how fast the emulator serves
// generated content through the real SDK (the ceiling for copy benchmarks).
func BenchmarkGetSyntheticObject(b *testing.B) {
	e := newEnv(b)
	const size = 64 << 20
	if err := e.srv.S3().CreateBucket("bench", devAccount); err != nil {
		b.Fatal(err)
	}
	if err := e.srv.S3().PutSyntheticObject("bench", "obj", 1, size); err != nil {
		b.Fatal(err)
	}
	c := e.s3(e.dev)
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		out, err := c.GetObject(b.Context(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, out.Body, buf); err != nil {
			b.Fatal(err)
		}
		out.Body.Close()
	}
}

// BenchmarkPutObject measures uploads to disk through the real SDK.
func BenchmarkPutObject(b *testing.B) {
	e := newEnv(b)
	if err := e.srv.S3().CreateBucket("bench", devAccount); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 8<<20)
	c := e.s3(e.dev)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj"), Body: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}
