package plan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// One check reads each AWS fact once, however many promotions (or stages
// of one model) name it: a package version, a pipeline execution, a
// training job, a model card, what an endpoint serves, a stage's evidence
// records, an object's metadata, and a small object's bytes. The check
// judges one moment; reading the same fact twice could only make two
// promotions of one pull request disagree about it.

// MaxReadsPerAccount bounds the AWS reads one check has in flight in each
// account and service (SageMaker, ECR, S3), so that a pull request of
// hundreds of promotions stays clear of the rates AWS throttles each
// account's calls at. Each service throttles on its own: SageMaker's
// Describe calls are the tightest, while S3 takes at least 5,500 GET and
// HEAD requests a second per prefix
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html),
// so the reports a check reads do not wait behind its SageMaker reads.
// With 50 ms per call the bound allows 640 calls a second per account and
// service. It does not grow with the pull request: the account's limits
// do not.
const MaxReadsPerAccount = 32

// Services whose reads are bounded apart (slot keys).
const (
	slotSageMaker = "sagemaker"
	slotECR       = "ecr"
	slotS3        = "s3"
)

// memoOpenMax is the largest object whose bytes are kept for the other
// readers (reports are far smaller); a larger one is streamed to each.
const memoOpenMax = 1 << 20

// memoized returns src whose readers share their answers. Already
// memoized readers are kept as they are.
func (s Sources) memoized() Sources {
	slots := &accountSlots{}
	src := s.Source.Account
	if s.Reg != nil {
		if _, ok := s.Reg.(*memoRegistry); !ok {
			s.Reg = &memoRegistry{in: s.Reg, slots: slots, account: src}
		}
	}
	if s.Objects != nil {
		if _, ok := s.Objects.(*memoObjects); !ok {
			s.Objects = &memoObjects{in: s.Objects, slots: slots, account: src}
		}
	}
	if s.Stages != nil {
		if _, ok := s.Stages.(*memoStages); !ok {
			s.Stages = &memoStages{in: s.Stages, slots: slots}
		}
	}
	if s.Images != nil {
		if _, ok := s.Images.(*memoImages); !ok {
			s.Images = &memoImages{in: s.Images, slots: slots}
		}
	}
	if s.History != nil {
		if _, ok := s.History.(*memoHistory); !ok {
			s.History = &memoHistory{in: s.History, slots: slots}
		}
	}
	if s.Upstream != nil && !s.upstreamMemoized {
		s.Upstream, s.upstreamMemoized = memoUpstream(s.Upstream, slots), true
	}
	return s
}

// memoUpstream shares a registry-only stage's readers among the promotions
// sourced from it: each (central, stage) pair is made once, and its
// registry, objects, evidence records and held copies are memoized like
// the source account's, within the central account's slots.
func memoUpstream(up func(central, stage manifest.Environment) (Upstream, error), slots *accountSlots) func(central, stage manifest.Environment) (Upstream, error) {
	made := &memo[Upstream]{}
	return func(central, stage manifest.Environment) (Upstream, error) {
		return made.do(envKey(central)+"\x00"+envKey(stage), func() (Upstream, error) {
			u, err := up(central, stage)
			if err != nil {
				return u, err
			}
			if u.Reg != nil {
				u.Reg = &memoRegistry{in: u.Reg, slots: slots, account: central.Account}
			}
			if u.Objects != nil {
				u.Objects = &memoObjects{in: u.Objects, slots: slots, account: central.Account}
			}
			if u.History != nil {
				u.History = &memoHistory{in: u.History, slots: slots}
			}
			if u.Held != nil {
				u.Held = &memoHolder{in: u.Held, slots: slots, account: central.Account}
			}
			return u, nil
		})
	}
}

// accountSlots bounds the reads in flight per account.
type accountSlots struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// do runs f in one of the slots of account's service.
func do[T any](ctx context.Context, a *accountSlots, account, service string, f func() (T, error)) (T, error) {
	key := account + "\x00" + service
	a.mu.Lock()
	if a.m == nil {
		a.m = map[string]chan struct{}{}
	}
	ch := a.m[key]
	if ch == nil {
		ch = make(chan struct{}, MaxReadsPerAccount)
		a.m[key] = ch
	}
	a.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-ch }()
	return f()
}

// memo is a set of calls made once each, by key.
type memo[T any] struct {
	mu    sync.Mutex
	calls map[string]*memoEntry[T]
}

type memoEntry[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (m *memo[T]) do(key string, f func() (T, error)) (T, error) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]*memoEntry[T]{}
	}
	e, ok := m.calls[key]
	if !ok {
		e = &memoEntry[T]{}
		m.calls[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	return e.v, e.err
}

// shared reads key once, in one of the slots of account's service, and
// gives each reader its own copy of the answer's top level.
func shared[T any](ctx context.Context, m *memo[*T], slots *accountSlots, account, service, key string, read func() (*T, error)) (*T, error) {
	v, err := m.do(key, func() (*T, error) { return do(ctx, slots, account, service, read) })
	if v == nil {
		return nil, err
	}
	cp := *v
	return &cp, err
}

func envKey(env manifest.Environment) string {
	return env.Name + "\x00" + env.Account + "\x00" + env.Region
}

type memoRegistry struct {
	in        Registry
	slots     *accountSlots
	account   string
	packages  memo[*ModelPackage]
	pipelines memo[*PipelineExecution]
	jobs      memo[*TrainingJob]
	cards     memo[*ModelCard]
}

// ModelPackage implements Registry. Each reader gets its own copy of the
// package's top level.
func (m *memoRegistry) ModelPackage(ctx context.Context, group string, version int) (*ModelPackage, error) {
	return shared(ctx, &m.packages, m.slots, m.account, slotSageMaker, group+"\x00"+strconv.Itoa(version), func() (*ModelPackage, error) {
		return m.in.ModelPackage(ctx, group, version)
	})
}

// PipelineExecution implements Registry.
func (m *memoRegistry) PipelineExecution(ctx context.Context, arn string) (*PipelineExecution, error) {
	return shared(ctx, &m.pipelines, m.slots, m.account, slotSageMaker, arn, func() (*PipelineExecution, error) {
		return m.in.PipelineExecution(ctx, arn)
	})
}

// TrainingJob implements Registry.
func (m *memoRegistry) TrainingJob(ctx context.Context, nameOrARN string) (*TrainingJob, error) {
	return shared(ctx, &m.jobs, m.slots, m.account, slotSageMaker, nameOrARN, func() (*TrainingJob, error) {
		return m.in.TrainingJob(ctx, nameOrARN)
	})
}

// ModelCard implements Registry.
func (m *memoRegistry) ModelCard(ctx context.Context, name string) (*ModelCard, error) {
	return shared(ctx, &m.cards, m.slots, m.account, slotSageMaker, name, func() (*ModelCard, error) {
		return m.in.ModelCard(ctx, name)
	})
}

type memoStages struct {
	in         Stages
	slots      *accountSlots
	serving    memo[*Serving]
	registered memo[*Live]
}

// Registered implements Stages.
func (m *memoStages) Registered(ctx context.Context, env manifest.Environment, group, sourceARN string) (*Live, error) {
	return shared(ctx, &m.registered, m.slots, env.Account, slotSageMaker, envKey(env)+"\x00"+group+"\x00"+sourceARN, func() (*Live, error) {
		return m.in.Registered(ctx, env, group, sourceARN)
	})
}

// Serving implements Stages.
func (m *memoStages) Serving(ctx context.Context, env manifest.Environment, endpoint string) (*Serving, error) {
	return shared(ctx, &m.serving, m.slots, env.Account, slotSageMaker, envKey(env)+"\x00"+endpoint, func() (*Serving, error) {
		return m.in.Serving(ctx, env, endpoint)
	})
}

// memoHolder finds each copy a registry-only stage holds once per check,
// within the central account's SageMaker slots, as memoStages does for
// Registered.
type memoHolder struct {
	in      Holder
	slots   *accountSlots
	account string
	held    memo[*Live]
}

// Held implements Holder.
func (m *memoHolder) Held(ctx context.Context, group, sourceARN string) (*Live, error) {
	return shared(ctx, &m.held, m.slots, m.account, slotSageMaker, group+"\x00"+sourceARN, func() (*Live, error) {
		return m.in.Held(ctx, group, sourceARN)
	})
}

// memoImages resolves each image once per check, so that every promotion
// of a pull request binds the same digest, and reads each repository's
// policy once.
type memoImages struct {
	in       Images
	slots    *accountSlots
	digests  memo[string]
	policies memo[string]
}

func imageKey(env *manifest.Environment, image ImageRef) (key, account string) {
	key, account = "\x00", image.Registry
	if env != nil {
		key, account = envKey(*env), env.Account
	}
	return key + "\x00" + image.String(), account
}

// Digest implements Images.
func (m *memoImages) Digest(ctx context.Context, env *manifest.Environment, image ImageRef) (string, error) {
	key, account := imageKey(env, image)
	return m.digests.do(key, func() (string, error) {
		return do(ctx, m.slots, account, slotECR, func() (string, error) { return m.in.Digest(ctx, env, image) })
	})
}

// RepositoryPolicy implements Images.
func (m *memoImages) RepositoryPolicy(ctx context.Context, env *manifest.Environment, image ImageRef) (string, error) {
	key, account := imageKey(env, ImageRef{Registry: image.Registry, Region: image.Region, Suffix: image.Suffix, Repository: image.Repository})
	return m.policies.do(key, func() (string, error) {
		return do(ctx, m.slots, account, slotECR, func() (string, error) { return m.in.RepositoryPolicy(ctx, env, image) })
	})
}

type memoHistory struct {
	in      History
	slots   *accountSlots
	records memo[[]StoredRecord]
	reads   memo[[]byte]
}

// Records implements History. Each reader gets its own slice.
func (m *memoHistory) Records(ctx context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error) {
	d, err := m.records.do(envKey(env)+"\x00"+group+"\x00"+strconv.Itoa(version), func() ([]StoredRecord, error) {
		return do(ctx, m.slots, env.Account, slotS3, func() ([]StoredRecord, error) { return m.in.Records(ctx, env, group, version) })
	})
	return append([]StoredRecord(nil), d...), err
}

// ReadAll implements History. Readers share the bytes: they only read.
func (m *memoHistory) ReadAll(ctx context.Context, env manifest.Environment, uri string, limit int64) ([]byte, error) {
	return m.reads.do(envKey(env)+"\x00"+uri+"\x00"+strconv.FormatInt(limit, 10), func() ([]byte, error) {
		return do(ctx, m.slots, env.Account, slotS3, func() ([]byte, error) { return m.in.ReadAll(ctx, env, uri, limit) })
	})
}

type memoObjects struct {
	in      Objects
	slots   *accountSlots
	account string
	stats   memo[ObjectInfo]
	opens   memo[*openedObject]
}

// openedObject is a small object's bytes, or, for a large one, the stream
// the first reader takes (the others open their own).
type openedObject struct {
	info   ObjectInfo
	data   []byte
	stream io.ReadCloser
	taken  sync.Once
}

// Stat implements Objects.
func (m *memoObjects) Stat(ctx context.Context, uri string) (ObjectInfo, error) {
	return m.stats.do(uri, func() (ObjectInfo, error) {
		return do(ctx, m.slots, m.account, slotS3, func() (ObjectInfo, error) { return m.in.Stat(ctx, uri) })
	})
}

// Open implements Objects.
func (m *memoObjects) Open(ctx context.Context, uri string) (io.ReadCloser, ObjectInfo, error) {
	o, err := m.opens.do(uri, func() (*openedObject, error) {
		return do(ctx, m.slots, m.account, slotS3, func() (*openedObject, error) { return m.open(ctx, uri) })
	})
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if o.stream == nil {
		return io.NopCloser(bytes.NewReader(o.data)), o.info, nil
	}
	var first io.ReadCloser
	o.taken.Do(func() { first = o.stream })
	if first != nil {
		return first, o.info, nil
	}
	return m.in.Open(ctx, uri)
}

// open reads a small object whole, or keeps a large one's stream.
func (m *memoObjects) open(ctx context.Context, uri string) (*openedObject, error) {
	body, info, err := m.in.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	if info.Size > memoOpenMax {
		return &openedObject{info: info, stream: body}, nil
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, memoOpenMax+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != info.Size {
		return nil, fmt.Errorf("read %d bytes of %s, which has %d", len(data), uri, info.Size)
	}
	return &openedObject{info: info, data: data}, nil
}
