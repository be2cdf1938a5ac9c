package awsemu_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	s3emu "github.com/modelpromote/modelpromote/internal/emulator/aws/s3"
)

const mib = 1 << 20

func TestUploadPartCopyRanges(t *testing.T) {
	e := newEnv(t)
	seedCopy(t, e)
	data := make([]byte, 12*mib+123)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.S3().PutObject("dev-models", "model.tar.gz", data); err != nil {
		t.Fatal(err)
	}
	c := e.s3(e.prod)
	create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{
		Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ServerSideEncryption: types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId: aws.String(prodKMSKey), ExpectedBucketOwner: aws.String(prodAccount),
	})
	if err != nil {
		t.Fatal(err)
	}
	ranges := [][2]int{{0, 5*mib - 1}, {5 * mib, 10*mib - 1}, {10 * mib, len(data) - 1}}
	var parts []types.CompletedPart
	var partSums []byte
	for i, r := range ranges {
		out, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{
			Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), UploadId: create.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("dev-models/model.tar.gz"),
			CopySourceRange:           aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1])),
			ExpectedSourceBucketOwner: aws.String(devAccount), ExpectedBucketOwner: aws.String(prodAccount),
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data[r[0] : r[1]+1])
		if got := aws.ToString(out.CopyPartResult.ChecksumSHA256); got != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("part %d checksum %s", i+1, got)
		}
		if want := `"` + md5hex(data[r[0]:r[1]+1]) + `"`; *out.CopyPartResult.ETag != want {
			t.Errorf("part %d etag %s, want %s", i+1, *out.CopyPartResult.ETag, want)
		}
		partSums = append(partSums, sum[:]...)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag, ChecksumSHA256: out.CopyPartResult.ChecksumSHA256})
	}
	_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{
		Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), UploadId: create.UploadId,
		PartNumber: aws.Int32(4), CopySource: aws.String("dev-models/model.tar.gz"),
		CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 10*mib, len(data))),
	})
	if code := apiCode(t, err); code != "InvalidArgument" {
		t.Errorf("range past the end: %v", err)
	}
	done, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		t.Fatal(err)
	}
	composite := sha256.Sum256(partSums)
	wantChecksum := base64.StdEncoding.EncodeToString(composite[:]) + "-3"
	if aws.ToString(done.ChecksumSHA256) != wantChecksum || !strings.HasSuffix(*done.ETag, `-3"`) {
		t.Errorf("complete: checksum %s etag %s, want %s", aws.ToString(done.ChecksumSHA256), *done.ETag, wantChecksum)
	}
	assertContent(t, e, "prod-models", "model.tar.gz", data)
	o, _ := e.srv.S3().Object("prod-models", "model.tar.gz")
	if o.KMSKeyID != prodKMSKey || o.ChecksumType != "COMPOSITE" || o.Checksum != wantChecksum || o.Parts != 3 {
		t.Errorf("stored %+v", o)
	}
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ChecksumSHA256) != wantChecksum || head.ChecksumType != types.ChecksumTypeComposite || aws.ToString(head.SSEKMSKeyId) != prodKMSKey {
		t.Errorf("head %v %v %v", aws.ToString(head.ChecksumSHA256), head.ChecksumType, aws.ToString(head.SSEKMSKeyId))
	}
	// A full GetObject of a composite-checksum object reads fine (the SDK
	// skips validating composite checksums).
	get, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(get.Body)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("get: %d bytes, %v", len(got), err)
	}
	// Parts can be read back by number, as the transfer manager does.
	part2, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(part2.Body)
	if err != nil || !bytes.Equal(got, data[5*mib:10*mib]) || aws.ToInt32(part2.PartsCount) != 3 ||
		aws.ToString(part2.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", 5*mib, 10*mib-1, len(data)) {
		t.Errorf("part 2: %d bytes, parts %d, range %s, %v", len(got), aws.ToInt32(part2.PartsCount), aws.ToString(part2.ContentRange), err)
	}
	_, err = e.s3(e.prod, noRetries).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("model.tar.gz"), PartNumber: aws.Int32(4)})
	if code := apiCode(t, err); code != "InvalidPartNumber" {
		t.Errorf("part 4 of 3: %v", err)
	}
	if ids := e.srv.S3().MultipartUploads("prod-models"); len(ids) != 0 {
		t.Errorf("uploads left: %v", ids)
	}
}

func TestMultipartUploadErrors(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	c := e.s3(e.dev, noRetries)
	big := bytes.Repeat([]byte("x"), 5*mib)
	upload := func(t *testing.T, alg types.ChecksumAlgorithm, bodies ...[]byte) (*string, []types.CompletedPart) {
		t.Helper()
		create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		var parts []types.CompletedPart
		for i, b := range bodies {
			out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: create.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(b), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256})
		}
		return create.UploadId, parts
	}
	t.Run("part checksum of another algorithm", func(t *testing.T) {
		create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatal(err)
		}
		// Without ChecksumAlgorithm the SDK sends its default CRC32.
		_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: create.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(big)})
		if code := apiCode(t, err); code != "InvalidRequest" {
			t.Errorf("crc32 part for a sha256 upload: %v", err)
		}
	})
	complete := func(id *string, parts []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	tests := []struct {
		name   string
		alg    types.ChecksumAlgorithm
		bodies [][]byte
		edit   func([]types.CompletedPart) []types.CompletedPart
		code   string
	}{
		{name: "ok", alg: types.ChecksumAlgorithmSha256, bodies: [][]byte{big, []byte("tail")}},
		{name: "ok without checksum", bodies: [][]byte{big, []byte("tail")}},
		{name: "part too small", bodies: [][]byte{[]byte("a"), []byte("b")}, code: "EntityTooSmall"},
		{name: "wrong etag", bodies: [][]byte{big, []byte("tail")}, code: "InvalidPart",
			edit: func(p []types.CompletedPart) []types.CompletedPart { p[1].ETag = aws.String(`"0000"`); return p }},
		{name: "unknown part", bodies: [][]byte{big}, code: "InvalidPart",
			edit: func(p []types.CompletedPart) []types.CompletedPart { p[0].PartNumber = aws.Int32(9); return p }},
		{name: "parts out of order", bodies: [][]byte{big, big}, code: "InvalidPartOrder",
			edit: func(p []types.CompletedPart) []types.CompletedPart { p[0], p[1] = p[1], p[0]; return p }},
		{name: "missing part checksum", alg: types.ChecksumAlgorithmSha256, bodies: [][]byte{big, []byte("tail")}, code: "InvalidRequest",
			edit: func(p []types.CompletedPart) []types.CompletedPart { p[1].ChecksumSHA256 = nil; return p }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, parts := upload(t, tc.alg, tc.bodies...)
			if tc.edit != nil {
				parts = tc.edit(parts)
			}
			err := complete(id, parts)
			if code := apiCode(t, err); code != tc.code {
				t.Fatalf("code %q, want %q (%v)", code, tc.code, err)
			}
			if err == nil {
				assertContent(t, e, "dev-models", "k", bytes.Join(tc.bodies, nil))
				return
			}
			lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: id})
			if err != nil || len(lp.Parts) != len(tc.bodies) {
				t.Errorf("list parts after failed complete: %v %v", lp, err)
			}
			if _, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: id}); err != nil {
				t.Fatal(err)
			}
			_, err = c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), UploadId: id})
			if code := apiCode(t, err); code != "NoSuchUpload" {
				t.Errorf("after abort: %v", err)
			}
		})
	}
}

// TestSyntheticObjects: a 6 GiB object costs no disk, serves ranges, and
// copies into a multipart object part by part without being read.
func TestSyntheticObjects(t *testing.T) {
	dir := t.TempDir()
	e := newEnvIn(t, dir)
	seedCopy(t, e)
	c := e.s3(e.prod)
	const size = 6 << 30
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("big/model.tar.gz")})
	if err != nil || *head.ContentLength != size {
		t.Fatalf("head %v %v", head, err)
	}
	readRange := func(bucket string, off, n int64) []byte {
		t.Helper()
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/model.tar.gz"),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := func(off, n int64) []byte {
		b, _ := io.ReadAll(s3emu.SyntheticReader(42, off, n))
		return b
	}
	if got := readRange("dev-models", size-mib-3, mib+3); !bytes.Equal(got, want(size-mib-3, mib+3)) {
		t.Error("tail range differs from the synthetic stream")
	}

	create, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("prod-models"), Key: aws.String("big/model.tar.gz")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, r := range [][2]int64{{0, 5<<30 - 1}, {5 << 30, size - 1}} {
		out, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: aws.String("prod-models"), Key: aws.String("big/model.tar.gz"),
			UploadId: create.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("dev-models/big/model.tar.gz"),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("prod-models"), Key: aws.String("big/model.tar.gz"),
		UploadId: create.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	o, _ := e.srv.S3().Object("prod-models", "big/model.tar.gz")
	if o.Size != size || !o.Synthetic || o.Parts != 2 {
		t.Errorf("copy %+v", o)
	}
	if got := readRange("prod-models", 5<<30-10, 20); !bytes.Equal(got, want(5<<30-10, 20)) {
		t.Error("range across the part boundary differs")
	}
	if used := diskUsage(t, dir); used > 10*mib {
		t.Errorf("data dir holds %d bytes", used)
	}
}

func TestSyntheticSHA256(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	const size = 16*mib + 5
	if err := e.srv.S3().PutSyntheticObject("dev-models", "s", 99, size); err != nil {
		t.Fatal(err)
	}
	out, err := e.s3(e.dev).GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if n, err := io.Copy(h, out.Body); err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	got, err := e.srv.S3().SHA256("dev-models", "s")
	if err != nil || got != fmt.Sprintf("%x", h.Sum(nil)) {
		t.Errorf("SHA256 = %s, %v", got, err)
	}
	if again, _ := e.srv.S3().SyntheticSHA256(99, size); again != got {
		t.Errorf("SyntheticSHA256 = %s", again)
	}
}
