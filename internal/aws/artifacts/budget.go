package artifacts

import (
	"context"
	"sync"
)

// DefaultBudget is the process-wide bound on part buffers: every copy of
// every apply of one process (the CLI's, or the server's with several
// applies at once) shares it, so that four copies at once hold what one
// held before, not four times that. 32 MiB is 4 parts of DefaultPartSize
// in flight. A copying process's peak RSS is about twice its live heap
// (GOGC=100) plus the runtime and binary: 74–82 MiB (median of 5) with
// 32 MiB; 24 MiB saved nothing measurable, 16 MiB gave 66 MiB but halves
// the parts in flight, which is what streamed copies' speed against S3
// rests on; so it stays 32 MiB, and a process that must stay under 64 MiB
// sets GOMEMLIMIT=48MiB (57 MiB). See bench/README.md, Copy.
const DefaultBudget = 32 << 20

// processBudget is the budget of Copiers that name none.
var processBudget = NewBudget(DefaultBudget)

// Budget bounds the bytes of part buffers that the copies sharing it hold
// at once. Buffers are handed out first come, first served, and reused
// rather than left to the garbage collector, so that the heap holds them
// and little else: buffers held and buffers kept for reuse together never
// exceed the budget. A part larger than the whole budget (parts grow for
// objects of more than 10,000 × PartSize bytes) is given its buffer once
// it would be the only one held.
type Budget struct {
	mu      sync.Mutex
	size    int64 // capacity
	held    int64 // capacity of the buffers handed out (each counted at most size)
	free    []*[]byte
	freeCap int64 // capacity of the buffers in free
	// slab is the largest buffer asked for (at most size): buffers of at
	// least a quarter of it are made that large, so that copies of
	// objects smaller than a part and parts of larger ones reuse the
	// same buffers instead of turning them over to the collector.
	slab    int64
	waiters []*waiter
	peak    int64 // largest held + freeCap seen, for tests
}

type waiter struct {
	n     int64
	buf   *[]byte
	ready chan struct{}
}

// NewBudget is a Budget of size bytes.
func NewBudget(size int64) *Budget { return &Budget{size: max(size, 1)} }

// Size is the budget's capacity in bytes.
func (b *Budget) Size() int64 { return b.size }

// acquire returns a buffer of n bytes, waiting until the budget has room
// (in arrival order) or ctx is done.
func (b *Budget) acquire(ctx context.Context, n int64) (*[]byte, error) {
	b.mu.Lock()
	b.slab = max(b.slab, min(n, b.size))
	if len(b.waiters) == 0 {
		if buf := b.grant(n); buf != nil {
			b.mu.Unlock()
			return buf, nil
		}
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return w.buf, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted meanwhile: give it back.
		b.put(w.buf)
	default:
		for i, x := range b.waiters {
			if x == w {
				b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
				break
			}
		}
	}
	// Those behind it may fit now.
	b.wake()
	return nil, ctx.Err()
}

// release gives back a buffer acquire returned.
func (b *Budget) release(buf *[]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.put(buf)
	b.wake()
}

func (b *Budget) put(buf *[]byte) {
	c := int64(cap(*buf))
	b.held -= min(c, b.size)
	if c <= b.size {
		b.free = append(b.free, buf)
		b.freeCap += c
	}
}

// grant hands out a buffer of n bytes if the budget has room, else nil:
// the smallest free buffer large enough (a reused buffer moves from free
// to held), or a new one once enough free buffers are dropped to the
// collector to make room for it. The caller holds b.mu.
func (b *Budget) grant(n int64) *[]byte {
	best := -1
	for i, f := range b.free {
		if c := int64(cap(*f)); c >= n && (best < 0 || c < int64(cap(*b.free[best]))) {
			best = i
		}
	}
	if best >= 0 && b.held+int64(cap(*b.free[best])) <= b.size {
		f := b.free[best]
		b.free = append(b.free[:best], b.free[best+1:]...)
		c := int64(cap(*f))
		b.freeCap -= c
		b.held += c
		*f = (*f)[:n]
		return f
	}
	c := n
	if n <= b.slab && n >= b.slab/4 && b.held+b.slab <= b.size {
		c = b.slab
	}
	cost := min(c, b.size)
	if b.held+cost > b.size {
		return nil
	}
	for len(b.free) > 0 && b.held+b.freeCap+cost > b.size {
		b.freeCap -= int64(cap(*b.free[0]))
		b.free = b.free[1:]
	}
	b.held += cost
	b.peak = max(b.peak, b.held+b.freeCap)
	buf := make([]byte, n, c)
	return &buf
}

// wake grants waiting acquisitions in arrival order while they fit. The
// caller holds b.mu.
func (b *Budget) wake() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if w.buf = b.grant(w.n); w.buf == nil {
			return
		}
		b.waiters = b.waiters[1:]
		close(w.ready)
	}
}
