// Command copybench generates the copy benchmark's dataset in an S3 bucket
// and copies it to another bucket with modelpromote's artifacts.Copier, the
// way apply does (several objects at once, each through Copy), printing one
// JSON line of results. bench/copy.sh runs it against a local S3-compatible
// server; see bench/README.md.
//
//	copybench -generate -size-mib 4096 -parts-out PARTS ... > SHA256SUMS
//	copybench -expect-path streamed ...
//	copybench -digests SHA256SUMS -bound-parts PARTS ...  # as apply copies what the check bound
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Dataset shape: one large object holding three quarters of the bytes and
// 64 small ones sharing the rest (4 GiB: 3 GiB + 64 × 16 MiB).
const (
	smallObjects = 64
	uploadPart   = 8 << 20 // the AWS CLI's multipart threshold and part size
	benchKMSKey  = "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-000000000000"
)

type options struct {
	endpoint, region                   string
	srcAccess, srcSecret               string
	dstAccess, dstSecret               string
	srcBucket, dstBucket, prefix       string
	generate                           bool
	sizeMiB                            int64
	digests                            string // sha256sum-format file: pass each digest as wantSHA256
	expectPath                         string
	objectConcurrency, partConcurrency int
	label                              string
	cpuProfile, memProfile             string
	copyPartsAbove                     int64
	// The check's parts digests: written by -generate (-parts-out), each
	// the composite SHA-256 of the object's canonical parts (plan.PartsLayout,
	// or -part-mib), and passed to CopyBound with the digests (-parts).
	partsOut, parts    string
	partMiB, singleMiB int64
	partCopyConc       int
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:7070", "S3 endpoint")
	flag.StringVar(&o.region, "region", "us-east-1", "region")
	flag.StringVar(&o.srcAccess, "src-access", "", "source principal's access key")
	flag.StringVar(&o.srcSecret, "src-secret", "", "source principal's secret key")
	flag.StringVar(&o.dstAccess, "dst-access", "", "target principal's access key")
	flag.StringVar(&o.dstSecret, "dst-secret", "", "target principal's secret key")
	flag.StringVar(&o.srcBucket, "src-bucket", "bench-src", "source bucket")
	flag.StringVar(&o.dstBucket, "dst-bucket", "bench-dst", "target bucket")
	flag.StringVar(&o.prefix, "prefix", "model/", "key prefix of the dataset")
	flag.BoolVar(&o.generate, "generate", false, "upload the dataset to -src-bucket with the source principal and print its sha256sum lines, instead of copying")
	flag.Int64Var(&o.sizeMiB, "size-mib", 4096, "dataset size in MiB (with -generate); a multiple of 256")
	flag.StringVar(&o.digests, "digests", "", "sha256sum-format file of the dataset: pass each object's digest to Copy as wantSHA256 (default: unknown, as for model data)")
	flag.StringVar(&o.expectPath, "expect-path", "", "fail unless every copy took this path (server-side, streamed, ...)")
	flag.IntVar(&o.objectConcurrency, "objects", 4, "objects copied at once (apply copies 4)")
	flag.IntVar(&o.partConcurrency, "parts", 0, "Copier.Concurrency (0: artifacts.DefaultConcurrency)")
	flag.StringVar(&o.label, "label", "", "variant name echoed in the result")
	flag.Int64Var(&o.copyPartsAbove, "copy-parts-above-mib", 0, "Copier.CopyPartsAbove in MiB: server-side copies of larger objects are parallel UploadPartCopy (0: the default, 5 GiB)")
	flag.StringVar(&o.partsOut, "parts-out", "", "with -generate: write each object's parts digest (what the check binds: the composite SHA-256 of its canonical parts) to this file")
	flag.Int64Var(&o.partMiB, "part-mib", 0, "with -generate: parts digests of parts of this many MiB, for every object over 5 MiB (0: plan.PartsLayout, objects over 64 MiB only)")
	flag.Int64Var(&o.singleMiB, "single-mib", 0, "with -generate: the dataset is one object of this many MiB (model.bin) instead of the standard shape")
	flag.StringVar(&o.parts, "bound-parts", "", "parts digests written by -generate -parts-out: copy each object as apply copies one the check bound with them (needs -digests)")
	flag.IntVar(&o.partCopyConc, "part-copies", 0, "Copier.PartCopyConcurrency (0: artifacts.DefaultPartCopyConcurrency)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the copies to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile (alloc_space) of the copies to this file")
	flag.Parse()
	ctx := context.Background()
	var err error
	if o.generate {
		err = generate(ctx, o, os.Stdout)
	} else {
		err = copyAll(ctx, o, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "copybench:", err)
		os.Exit(1)
	}
}

func client(ctx context.Context, o options, access, secret string) (*s3.Client, error) {
	if access == "" || secret == "" {
		return nil, errors.New("missing access or secret key")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(access, secret, "")))
	if err != nil {
		return nil, err
	}
	cfg.BaseEndpoint = aws.String(o.endpoint)
	// The SDK logs a DEBUG line to stderr for every ranged GET, whose
	// response carries no checksum to validate.
	cfg.Logger = logging.Nop{}
	return s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = true }), nil
}

// object is one object of the dataset.
type object struct {
	key  string
	size int64
}

func dataset(prefix string, sizeMiB, singleMiB int64) ([]object, error) {
	if singleMiB > 0 {
		return []object{{key: prefix + "model.bin", size: singleMiB << 20}}, nil
	}
	if sizeMiB <= 0 || sizeMiB%256 != 0 {
		return nil, fmt.Errorf("-size-mib %d: want a positive multiple of 256", sizeMiB)
	}
	total := sizeMiB << 20
	objs := []object{{key: prefix + "model.tar.gz", size: total / 4 * 3}}
	for i := range smallObjects {
		objs = append(objs, object{key: fmt.Sprintf("%sshard-%02d.safetensors", prefix, i), size: total / 4 / smallObjects})
	}
	return objs, nil
}

// content is an object's deterministic bytes: a ChaCha8 stream seeded by
// its key, so any machine regenerates the same dataset.
func content(key string) io.Reader {
	seed := sha256.Sum256([]byte("modelpromote copy bench\x00" + key))
	return rand.NewChaCha8(seed)
}

// generate uploads the dataset as the AWS CLI would (multipart in 8 MiB
// parts above 8 MiB), so that, like model data written by a training job,
// no object carries a full-object SHA-256, and prints sha256sum lines.
func generate(ctx context.Context, o options, out io.Writer) error {
	src, err := client(ctx, o, o.srcAccess, o.srcSecret)
	if err != nil {
		return err
	}
	objs, err := dataset(o.prefix, o.sizeMiB, o.singleMiB)
	if err != nil {
		return err
	}
	var parts strings.Builder
	for _, obj := range objs {
		partSize := plan.PartsLayout(obj.size)
		if o.partMiB > 0 && obj.size > 5<<20 {
			partSize = o.partMiB << 20
		}
		sum, d, err := upload(ctx, src, o.srcBucket, obj, partSize)
		if err != nil {
			return fmt.Errorf("upload %s: %w", obj.key, err)
		}
		name := strings.TrimPrefix(obj.key, o.prefix)
		fmt.Fprintf(out, "%s  %s\n", sum, name)
		if d != nil {
			fmt.Fprintf(&parts, "%s %d %s\n", d.SHA256, d.PartSize, name)
		}
	}
	if o.partsOut != "" {
		return os.WriteFile(o.partsOut, []byte(parts.String()), 0o644)
	}
	return nil
}

// upload uploads obj and returns its SHA-256 and, when partSize > 0, its
// parts digest.
func upload(ctx context.Context, c *s3.Client, bucket string, obj object, partSize int64) (string, *plan.PartsDigest, error) {
	r, h := content(obj.key), plan.NewDigester(partSize)
	digest := func() (string, *plan.PartsDigest) {
		full, parts := h.Sums()
		return hex.EncodeToString(full), parts
	}
	if obj.size <= uploadPart {
		data := make([]byte, obj.size)
		if _, err := io.ReadFull(r, data); err != nil {
			return "", nil, err
		}
		h.Write(data)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &obj.key, Body: bytes.NewReader(data), ContentLength: &obj.size})
		sum, parts := digest()
		return sum, parts, err
	}
	mu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &obj.key})
	if err != nil {
		return "", nil, err
	}
	// Parts are generated in order and uploaded four at a time.
	type job struct {
		n    int32
		data []byte
	}
	jobs := make(chan job)
	var (
		wg    sync.WaitGroup
		mtx   sync.Mutex
		parts []types.CompletedPart
		errs  []error
	)
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				size := int64(len(j.data))
				res, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &obj.key, UploadId: mu.UploadId,
					PartNumber: &j.n, Body: bytes.NewReader(j.data), ContentLength: &size})
				mtx.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					parts = append(parts, types.CompletedPart{PartNumber: &j.n, ETag: res.ETag})
				}
				mtx.Unlock()
			}
		})
	}
	for n, off := int32(1), int64(0); off < obj.size; n, off = n+1, off+uploadPart {
		data := make([]byte, min(uploadPart, obj.size-off))
		if _, err := io.ReadFull(r, data); err != nil {
			close(jobs)
			wg.Wait()
			return "", nil, err
		}
		h.Write(data)
		jobs <- job{n: n, data: data}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &obj.key, UploadId: mu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	sum, digests := digest()
	return sum, digests, err
}

// result is copyAll's one line of output.
type result struct {
	Label       string         `json:"label,omitempty"`
	Objects     int            `json:"objects"`
	Bytes       int64          `json:"bytes"`
	Seconds     float64        `json:"seconds"`
	MiBPerSec   float64        `json:"mib_per_s"`
	Paths       map[string]int `json:"paths"`
	PeakRSSMiB  float64        `json:"peak_rss_mib"` // VmHWM at exit
	DigestGiven bool           `json:"digest_given"`
	// Hashed counts the copies whose SHA-256 was computed by reading
	// bytes into the process, not by S3 (Result.Hashed).
	Hashed int `json:"hashed"`
	// InParts counts the copies made in the bound parts and verified
	// by S3's part SHA-256s (Result.Parts > 0).
	InParts int `json:"in_parts"`
}

// copyAll copies every object under -prefix in the source bucket to the
// same key in the target bucket, -objects at a time, as apply does.
func copyAll(ctx context.Context, o options, out io.Writer) error {
	src, err := client(ctx, o, o.srcAccess, o.srcSecret)
	if err != nil {
		return err
	}
	dst, err := client(ctx, o, o.dstAccess, o.dstSecret)
	if err != nil {
		return err
	}
	want := map[string]string{}
	if o.digests != "" {
		if want, err = readDigests(o.digests, o.prefix); err != nil {
			return err
		}
	}
	parts := map[string]*plan.PartsDigest{}
	if o.parts != "" {
		if o.digests == "" {
			return errors.New("-bound-parts needs -digests: the check binds both")
		}
		if parts, err = readParts(o.parts, o.prefix); err != nil {
			return err
		}
	}
	keys, err := list(ctx, src, o.srcBucket, o.prefix)
	if err != nil {
		return err
	}
	c := &artifacts.Copier{Source: src, Target: dst, KMSKeyARN: benchKMSKey, Concurrency: o.partConcurrency, CopyPartsAbove: o.copyPartsAbove << 20,
		PartCopyConcurrency: o.partCopyConc}

	stop, err := profile(o)
	if err != nil {
		return err
	}
	start := time.Now()
	results := make([]artifacts.Result, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, max(o.objectConcurrency, 1))
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := c.CopyBound(ctx, artifacts.URI{Bucket: o.srcBucket, Key: key}, artifacts.URI{Bucket: o.dstBucket, Key: key},
				artifacts.Bound{SHA256: want[key], Parts: parts[key]})
			results[i], errs[i] = res, err
			if err == nil && o.expectPath != "" && res.Path != o.expectPath {
				errs[i] = fmt.Errorf("copy %s: took the %s path, want %s", key, res.Path, o.expectPath)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := stop(); err != nil {
		return err
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r := result{Label: o.label, Objects: len(keys), Seconds: elapsed.Seconds(), Paths: map[string]int{}, DigestGiven: o.digests != ""}
	for i, res := range results {
		if w := want[keys[i]]; w != "" && res.SHA256 != w {
			return fmt.Errorf("copy %s: SHA-256 %s, want %s", keys[i], res.SHA256, w)
		}
		r.Bytes += res.Size
		r.Paths[res.Path]++
		if res.Hashed {
			r.Hashed++
		}
		if res.Parts > 0 {
			r.InParts++
		}
	}
	r.MiBPerSec = float64(r.Bytes) / (1 << 20) / r.Seconds
	r.PeakRSSMiB = peakRSSMiB()
	return json.NewEncoder(out).Encode(r)
}

// profile starts the profiles o asks for; stop writes them.
func profile(o options) (stop func() error, err error) {
	if o.memProfile != "" {
		runtime.MemProfileRate = 64 << 10
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	return func() error {
		if o.cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		if o.memProfile == "" {
			return nil
		}
		f, err := os.Create(o.memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}, nil
}

func list(ctx context.Context, c *s3.Client, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, obj := range page.Contents {
			keys = append(keys, aws.ToString(obj.Key))
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no objects under s3://%s/%s", bucket, prefix)
	}
	return keys, nil
}

// readDigests reads sha256sum lines ("HEX  NAME"), keyed by prefix+NAME.
func readDigests(path, prefix string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.Lines(string(b)) {
		sum, name, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		m[prefix+name] = sum
	}
	return m, nil
}

// readParts reads -parts-out lines ("COMPOSITE PARTSIZE NAME"), keyed by
// prefix+NAME.
func readParts(path, prefix string) (map[string]*plan.PartsDigest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]*plan.PartsDigest{}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		m[prefix+f[2]] = &plan.PartsDigest{PartSize: size, SHA256: f[0]}
	}
	return m, nil
}

// peakRSSMiB is the process's peak resident set (Linux VmHWM), 0 elsewhere.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
