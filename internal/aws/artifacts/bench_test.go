package artifacts_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
)

var benchGiB = flag.Int("copy.gib", 1, "size in GiB of the synthetic object BenchmarkCopy copies")

// BenchmarkCopy copies a synthetic object (1 GiB, or -copy.gib) on each
// path and reports throughput (MB/s, from SetBytes) and the peak growth of
// the heap in use (peak-MiB), which includes the in-process emulator's.
//
//	go test -run '^$' -bench Copy -benchtime 3x ./internal/aws/artifacts/
//	go test -run '^$' -bench Copy -benchtime 1x ./internal/aws/artifacts/ -copy.gib=6
func BenchmarkCopy(b *testing.B) {
	size := int64(*benchGiB) << 30
	paths := []struct {
		name   string
		bucket string
		digest bool // pass the expected digest, as for reports
	}{
		// The target may read the source: CopyObject (≤ 5 GiB) or
		// UploadPartCopy. Up to 5 GiB, S3 computes the copy's SHA-256
		// (ChecksumAlgorithm), so no payload bytes enter the process,
		// digest known or not; above, the source is read to hash it.
		{name: "server-side/digest-known", bucket: shared, digest: true},
		{name: "server-side/digest-unknown", bucket: shared},
		// The target may not: read with dev's credentials, upload with
		// prod's.
		{name: "streamed", bucket: private},
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			w := newWorldIn(b, memDir(b))
			if err := w.srv.S3().PutSyntheticObject(p.bucket, "big/model.tar.gz", 7, size); err != nil {
				b.Fatal(err)
			}
			var want string
			if p.digest {
				var err error
				if want, err = w.srv.S3().SyntheticSHA256(7, size); err != nil {
					b.Fatal(err)
				}
			}
			c := w.copier()
			src, dst := artifacts.URI{Bucket: p.bucket, Key: "big/model.tar.gz"}, artifacts.URI{Bucket: target, Key: "big/model.tar.gz"}
			b.SetBytes(size)
			var peak uint64
			var path string
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				stop := heapPeak()
				res, err := c.Copy(context.Background(), src, dst, want)
				peak = max(peak, stop())
				if err != nil {
					b.Fatal(err)
				}
				path = res.Path
				b.StopTimer()
				if _, err := w.prod.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(target), Key: &dst.Key}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			if path == artifacts.PathSkipped {
				b.Fatal("copies were skipped")
			}
			b.Logf("%d GiB %s", size>>30, path)
		})
	}
}

// BenchmarkCopyAWSCLI copies the same synthetic object with the AWS CLI, for
// comparison with BenchmarkCopy: "aws s3 cp" between buckets as prod
// (server-side), and "aws s3 cp - | aws s3 cp -" from dev to prod
// (streamed). Skipped without the CLI.
func BenchmarkCopyAWSCLI(b *testing.B) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		b.Skip("aws CLI not installed")
	}
	size := int64(*benchGiB) << 30
	for _, p := range []struct{ name, bucket string }{{"server-side", shared}, {"streamed", private}} {
		b.Run(p.name, func(b *testing.B) {
			w := newWorldIn(b, memDir(b))
			if err := w.srv.S3().PutSyntheticObject(p.bucket, "big/model.tar.gz", 7, size); err != nil {
				b.Fatal(err)
			}
			home := b.TempDir()
			cfg := filepath.Join(home, "config")
			if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			env := func(creds aws.Credentials) string {
				return fmt.Sprintf("env -i HOME=%s PATH=%s AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_EC2_METADATA_DISABLED=true %s --endpoint-url %s --region us-east-1",
					home, os.Getenv("PATH"), cfg, filepath.Join(home, "none"), creds.AccessKeyID, creds.SecretAccessKey, bin, w.srv.URL())
			}
			kms := "--sse aws:kms --sse-kms-key-id " + prodKMSKey
			src, dst := "s3://"+p.bucket+"/big/model.tar.gz", "s3://"+target+"/cli/model.tar.gz"
			script := env(w.prodCreds) + " s3 cp --only-show-errors " + kms + " " + src + " " + dst
			if p.bucket == private {
				script = env(w.devCreds) + " s3 cp --only-show-errors " + src + " - | " +
					env(w.prodCreds) + fmt.Sprintf(" s3 cp --only-show-errors --expected-size %d %s - %s", size, kms, dst)
			}
			b.SetBytes(size)
			for b.Loop() {
				if out, err := exec.Command("bash", "-o", "pipefail", "-c", script).CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
			if o, ok := w.srv.S3().Object(target, "cli/model.tar.gz"); !ok || o.Size != size {
				b.Fatalf("the CLI did not copy the object: %+v", o)
			}
		})
	}
}
