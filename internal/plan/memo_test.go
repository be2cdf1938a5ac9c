package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// countingSources answers every read and counts the calls per key.
type countingSources struct {
	mu    sync.Mutex
	calls map[string]int
	data  map[string]string // object URI → bytes
}

func (c *countingSources) count(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[key]++
}

func (c *countingSources) ModelPackage(_ context.Context, group string, version int) (*ModelPackage, error) {
	c.count("package " + group)
	if group == "missing" {
		return nil, ErrNotFound
	}
	return &ModelPackage{Group: group, Version: version}, nil
}
func (c *countingSources) PipelineExecution(_ context.Context, arn string) (*PipelineExecution, error) {
	c.count("pipeline " + arn)
	return &PipelineExecution{ARN: arn}, nil
}
func (c *countingSources) TrainingJob(_ context.Context, name string) (*TrainingJob, error) {
	c.count("job " + name)
	return &TrainingJob{}, nil
}
func (c *countingSources) ModelCard(_ context.Context, name string) (*ModelCard, error) {
	c.count("card " + name)
	return nil, ErrNotFound
}
func (c *countingSources) Serving(_ context.Context, env manifest.Environment, endpoint string) (*Serving, error) {
	c.count("serving " + env.Name + " " + endpoint)
	return &Serving{Endpoint: endpoint}, nil
}

func (s *slowStages) Registered(context.Context, manifest.Environment, string, string) (*Live, error) {
	return nil, nil
}
func (c *countingSources) Registered(_ context.Context, env manifest.Environment, group, sourceARN string) (*Live, error) {
	c.count("registered " + env.Name + " " + sourceARN)
	return &Live{}, nil
}
func (c *countingSources) Held(_ context.Context, group, sourceARN string) (*Live, error) {
	c.count("held " + group + " " + sourceARN)
	return &Live{}, nil
}
func (c *countingSources) Records(_ context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error) {
	c.count("deployed " + env.Name + " " + group)
	return []StoredRecord{{URI: "s3://b/evidence/1.json"}}, nil
}
func (c *countingSources) ReadAll(_ context.Context, env manifest.Environment, uri string, _ int64) ([]byte, error) {
	c.count("read " + env.Name + " " + uri)
	return nil, ErrNotFound
}
func (c *countingSources) Stat(_ context.Context, uri string) (ObjectInfo, error) {
	c.count("stat " + uri)
	d, ok := c.data[uri]
	if !ok {
		return ObjectInfo{}, ErrNotFound
	}
	return ObjectInfo{URI: uri, Size: int64(len(d))}, nil
}
func (c *countingSources) Open(_ context.Context, uri string) (io.ReadCloser, ObjectInfo, error) {
	c.count("open " + uri)
	d, ok := c.data[uri]
	if !ok {
		return nil, ObjectInfo{}, ErrNotFound
	}
	return io.NopCloser(strings.NewReader(d)), ObjectInfo{URI: uri, Size: int64(len(d))}, nil
}

// Every promotion of one check that reads the same fact shares one read,
// whether they ask one after another or at once; different facts are
// read apart, errors are shared like answers, and each reader gets its
// own copy to keep.
func TestMemoizedSourcesReadEachFactOnce(t *testing.T) {
	big := strings.Repeat("x", memoOpenMax+1)
	c := &countingSources{data: map[string]string{"s3://b/report.json": `{"a":1}`, "s3://b/model.tar.gz": big}}
	src := Sources{Reg: c, Objects: c, Stages: c, History: c}.memoized()
	if again := src.memoized(); again.Reg != src.Reg || again.Objects != src.Objects {
		t.Error("memoizing twice wrapped the readers twice")
	}
	ctx := t.Context()
	staging := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1"}
	prod := manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1"}
	var wg sync.WaitGroup
	var opened atomic.Int64
	for range 20 {
		wg.Go(func() {
			p, err := src.Reg.ModelPackage(ctx, "fraud", 12)
			if err != nil || p.Version != 12 {
				t.Errorf("package %+v %v", p, err)
			}
			p.Version = 99 // a reader's own copy
			if _, err := src.Reg.ModelPackage(ctx, "missing", 1); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing package: %v", err)
			}
			src.Reg.PipelineExecution(ctx, "arn:pipe")
			src.Reg.TrainingJob(ctx, "job")
			src.Reg.ModelCard(ctx, "card")
			src.Stages.Serving(ctx, staging, "fraud-staging")
			src.Stages.Serving(ctx, prod, "fraud-staging") // another account: another fact
			d, _ := src.History.Records(ctx, prod, "fraud", 11)
			d[0].URI = "planted"
			src.Objects.Stat(ctx, "s3://b/report.json")
			body, _, err := src.Objects.Open(ctx, "s3://b/report.json")
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(body)
			if string(b) != `{"a":1}` {
				t.Errorf("report read as %q", b)
			}
			body, info, err := src.Objects.Open(ctx, "s3://b/model.tar.gz")
			if err != nil || info.Size != int64(len(big)) {
				t.Errorf("model data %v %v", info, err)
				return
			}
			n, _ := io.Copy(io.Discard, body)
			body.Close()
			opened.Add(n)
		})
	}
	wg.Wait()
	if p, _ := src.Reg.ModelPackage(ctx, "fraud", 12); p.Version != 12 {
		t.Errorf("a reader's change reached the others: version %d", p.Version)
	}
	if d, _ := src.History.Records(ctx, prod, "fraud", 11); d[0].URI != "s3://b/evidence/1.json" {
		t.Errorf("a reader's change reached the others: %s", d[0].URI)
	}
	for key, want := range map[string]int{
		"package fraud": 1, "package missing": 1, "pipeline arn:pipe": 1, "job job": 1, "card card": 1,
		"serving staging fraud-staging": 1, "serving prod fraud-staging": 1, "deployed prod fraud": 1,
		"stat s3://b/report.json": 1, "open s3://b/report.json": 1,
		// A large object is streamed to each reader, never held.
		"open s3://b/model.tar.gz": 20,
	} {
		if got := c.calls[key]; got != want {
			t.Errorf("%s: %d calls, want %d", key, got, want)
		}
	}
	if opened.Load() != int64(20*len(big)) {
		t.Errorf("large object: %d bytes read by 20 readers of %d", opened.Load(), len(big))
	}
}

// A small object that answers fewer bytes than it says is an error for
// every reader, not bytes to judge.
func TestMemoizedOpenRefusesAShortRead(t *testing.T) {
	src := Sources{Objects: shortObjects{}}.memoized()
	for range 2 {
		if _, _, err := src.Objects.Open(t.Context(), "s3://b/r.json"); err == nil || !strings.Contains(err.Error(), "read 3 bytes") {
			t.Errorf("short read: %v", err)
		}
	}
}

type shortObjects struct{}

func (shortObjects) Stat(context.Context, string) (ObjectInfo, error) { return ObjectInfo{}, nil }
func (shortObjects) Open(_ context.Context, uri string) (io.ReadCloser, ObjectInfo, error) {
	return io.NopCloser(bytes.NewReader([]byte("abc"))), ObjectInfo{URI: uri, Size: 10}, nil
}

// slowStages answers after a pause, recording the most calls in flight
// per account.
type slowStages struct {
	mu       sync.Mutex
	inFlight map[string]int
	peak     map[string]int
}

func (s *slowStages) Serving(_ context.Context, env manifest.Environment, endpoint string) (*Serving, error) {
	s.mu.Lock()
	s.inFlight[env.Account]++
	s.peak[env.Account] = max(s.peak[env.Account], s.inFlight[env.Account])
	s.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	s.mu.Lock()
	s.inFlight[env.Account]--
	s.mu.Unlock()
	return &Serving{Endpoint: endpoint}, nil
}

// Reads of many promotions at once stay within MaxReadsPerAccount in each
// account; a busy account does not hold up another.
func TestMemoizedSourcesBoundReadsPerAccount(t *testing.T) {
	st := &slowStages{inFlight: map[string]int{}, peak: map[string]int{}}
	src := Sources{Stages: st}.memoized()
	staging := manifest.Environment{Name: "staging", Account: "222222222222"}
	prod := manifest.Environment{Name: "prod", Account: "333333333333"}
	var wg sync.WaitGroup
	for i := range 4 * MaxReadsPerAccount {
		for _, env := range []manifest.Environment{staging, prod} {
			wg.Go(func() {
				if _, err := src.Stages.Serving(t.Context(), env, fmt.Sprintf("e-%d", i)); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, acct := range []string{staging.Account, prod.Account} {
		if p := st.peak[acct]; p > MaxReadsPerAccount || p < MaxReadsPerAccount/2 {
			t.Errorf("account %s: %d reads in flight at once, want at most %d (and many)", acct, p, MaxReadsPerAccount)
		}
	}
}

func (c *countingSources) Digest(_ context.Context, env *manifest.Environment, image ImageRef) (string, error) {
	where := "source"
	if env != nil {
		where = env.Name
	}
	c.count("digest " + where + " " + image.String())
	return "sha256:" + strings.Repeat("a", 64), nil
}
func (c *countingSources) RepositoryPolicy(_ context.Context, _ *manifest.Environment, image ImageRef) (string, error) {
	c.count("policy " + image.Repository)
	return "", ErrNotFound
}

// Every promotion resolves an image once per check (they all bind the same
// digest), and reads a repository's policy once, tag or digest alike.
func TestMemoizedImagesResolveEachImageOnce(t *testing.T) {
	c := &countingSources{}
	src := Sources{Images: c}.memoized()
	if again := src.memoized(); again.Images != src.Images {
		t.Error("memoizing twice wrapped the images twice")
	}
	img, _ := ParseImage("111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7")
	pinned, _ := ParseImage(goodImage)
	staging := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1"}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			src.Images.Digest(t.Context(), nil, img)
			src.Images.Digest(t.Context(), &staging, img) // the mirror: another fact
			src.Images.RepositoryPolicy(t.Context(), nil, img)
			src.Images.RepositoryPolicy(t.Context(), nil, pinned)
		})
	}
	wg.Wait()
	for key, want := range map[string]int{"digest source " + img.String(): 1, "digest staging " + img.String(): 1, "policy xgboost": 1} {
		if got := c.calls[key]; got != want {
			t.Errorf("%s: %d calls, want %d", key, got, want)
		}
	}
}

// The promotions sourced from a registry-only stage share its readers: one
// Upstream per (central, stage), whose registry answers each package once
// and finds each held copy once.
func TestMemoizedUpstreamIsMadeOnceAndShared(t *testing.T) {
	c := &countingSources{}
	made := 0
	src := Sources{Upstream: func(central, stage manifest.Environment) (Upstream, error) {
		made++
		return Upstream{Reg: c, Objects: c, Held: c, Mode: UpstreamShared}, nil
	}}.memoized()
	if again := src.memoized(); again.upstreamMemoized != true {
		t.Error("memoized twice lost the mark")
	}
	central := manifest.Environment{Name: "central", Account: "444444444444", Region: "eu-west-1"}
	staging := manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1"}
	for range 3 {
		up, err := src.Upstream(central, staging)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Reg.ModelPackage(t.Context(), "fraud", 13); err != nil {
			t.Fatal(err)
		}
		if _, err := up.Held.Held(t.Context(), "fraud", "arn:src/fraud/13"); err != nil {
			t.Fatal(err)
		}
	}
	if made != 1 || c.calls["package fraud"] != 1 || c.calls["held fraud arn:src/fraud/13"] != 1 {
		t.Errorf("Upstream made %d times, package read %d times, held copy found %d times; want 1, 1 and 1", made, c.calls["package fraud"], c.calls["held fraud arn:src/fraud/13"])
	}
}

// slowAccount is one account's SageMaker (Stages) and S3 (Objects), each
// answering after a pause, recording the most calls in flight per service
// and in all.
type slowAccount struct {
	mu               sync.Mutex
	inFlight, peak   map[string]int
	total, peakTotal int
}

func (s *slowAccount) call(service string) {
	s.mu.Lock()
	s.inFlight[service]++
	s.total++
	s.peak[service] = max(s.peak[service], s.inFlight[service])
	s.peakTotal = max(s.peakTotal, s.total)
	s.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	s.mu.Lock()
	s.inFlight[service]--
	s.total--
	s.mu.Unlock()
}

func (s *slowAccount) Serving(_ context.Context, _ manifest.Environment, endpoint string) (*Serving, error) {
	s.call("sagemaker")
	return &Serving{Endpoint: endpoint}, nil
}

func (s *slowAccount) Registered(context.Context, manifest.Environment, string, string) (*Live, error) {
	return nil, ErrNotFound
}

func (s *slowAccount) Stat(_ context.Context, uri string) (ObjectInfo, error) {
	s.call("s3")
	return ObjectInfo{URI: uri, Size: 1}, nil
}

func (s *slowAccount) Open(context.Context, string) (io.ReadCloser, ObjectInfo, error) {
	return nil, ObjectInfo{}, ErrNotFound
}

// SageMaker and S3 throttle each account apart: a check's S3 reads (its
// reports) are bounded on their own and do not wait behind its SageMaker
// reads in the same account.
func TestMemoizedSourcesBoundS3ApartFromSageMaker(t *testing.T) {
	const account = "111111111111"
	acct := &slowAccount{inFlight: map[string]int{}, peak: map[string]int{}}
	src := Sources{Source: manifest.Source{Account: account}, Stages: acct, Objects: acct}.memoized()
	env := manifest.Environment{Name: "dev", Account: account}
	var wg sync.WaitGroup
	for i := range 4 * MaxReadsPerAccount {
		wg.Go(func() {
			if _, err := src.Stages.Serving(t.Context(), env, fmt.Sprintf("e-%d", i)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := src.Objects.Stat(t.Context(), fmt.Sprintf("s3://b/k-%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, service := range []string{"sagemaker", "s3"} {
		if p := acct.peak[service]; p > MaxReadsPerAccount {
			t.Errorf("%s: %d reads in flight at once, want at most %d", service, p, MaxReadsPerAccount)
		}
	}
	if acct.peakTotal <= MaxReadsPerAccount {
		t.Errorf("at most %d reads in flight in the account, want S3's beside SageMaker's (more than %d)", acct.peakTotal, MaxReadsPerAccount)
	}
}
