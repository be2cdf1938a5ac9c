package artifacts

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// part is one byte range of an object.
type part struct {
	number    int32 // 1-based
	off, size int64
}

func (p part) bytes() string { return fmt.Sprintf("bytes=%d-%d", p.off, p.off+p.size-1) }

// split cuts size bytes into parts of partSize (the last may be shorter).
func split(size, partSize int64) []part {
	var parts []part
	for off := int64(0); off < size; off += partSize {
		parts = append(parts, part{number: int32(len(parts) + 1), off: off, size: min(partSize, size-off)})
	}
	return parts
}

// readParts reads s in parts with ranged GETs, Concurrency at a time, each
// into a buffer of its own: at most Concurrency × part size bytes are held
// whatever the object's size. It computes every part's checksum of alg (in
// parallel) and, in order, the whole object's SHA-256: each byte is
// hashed with SHA-256 once. each, if not nil, is called with every part
// (in parallel, in no order) and may use data only until it returns.
func (c *Copier) readParts(ctx context.Context, client *s3.Client, owner string, s source, alg partAlg, prog *progress,
	each func(ctx context.Context, p part, data, sum []byte) error) (partSums, error) {
	partSize, conc := c.partSize(s.size)
	parts := split(s.size, partSize)
	sums := partSums{alg: alg, parts: make([][]byte, len(parts))}
	full := sha256.New()
	// turn[i] closes when parts before i are in the full hash.
	turn := make([]chan struct{}, len(parts)+1)
	for i := range turn {
		turn[i] = make(chan struct{})
	}
	close(turn[0])
	budget := c.budget()
	bufSize := min(partSize, s.size)
	var next atomic.Int64
	g, ctx := newGroup(ctx)
	for range min(conc, len(parts)) {
		g.Go(func() error {
			for int(next.Load()) < len(parts) {
				// The buffer is taken before the part's number, so
				// that a part waiting its turn for the whole-object
				// hash only ever waits for parts that already have
				// their buffers: copies sharing a budget cannot
				// deadlock.
				buf, err := budget.acquire(ctx, bufSize)
				if err != nil {
					return err
				}
				err = c.readPart(ctx, client, owner, s, alg, parts, int(next.Add(1)-1), (*buf)[:0:bufSize], &sums, full, turn, prog, each)
				budget.release(buf)
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return partSums{}, err
	}
	sums.full = full.Sum(nil)
	return sums, nil
}

// readPart reads part i of s into buf (when i is a part), sums it, passes
// it to each and, in its turn, to the whole-object hash.
func (c *Copier) readPart(ctx context.Context, client *s3.Client, owner string, s source, alg partAlg, parts []part, i int, buf []byte,
	sums *partSums, full hash.Hash, turn []chan struct{}, prog *progress, each func(ctx context.Context, p part, data, sum []byte) error) error {
	if i >= len(parts) {
		return nil
	}
	p := parts[i]
	data := buf[:p.size]
	if err := getRange(ctx, client, owner, s, p, data); err != nil {
		return err
	}
	sum := alg.sum(data)
	sums.parts[i] = sum
	if each != nil {
		if err := each(ctx, p, data, sum); err != nil {
			return err
		}
	}
	select {
	case <-turn[i]:
	case <-ctx.Done():
		return ctx.Err()
	}
	full.Write(data)
	close(turn[i+1])
	prog.add(p.size)
	return nil
}

// getRange reads part p of s into data, refusing a source that changed
// since it was first seen (If-Match its ETag). A part that is the whole
// object is read without a Range, so that the SDK validates S3's checksum.
func getRange(ctx context.Context, client *s3.Client, owner string, s source, p part, data []byte) error {
	in := &s3.GetObjectInput{Bucket: &s.uri.Bucket, Key: &s.uri.Key, IfMatch: &s.etag, VersionId: optional(s.versionID), ExpectedBucketOwner: optional(owner)}
	if p.off != 0 || p.size != s.size {
		in.Range = aws.String(p.bytes())
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		return fmt.Errorf("get %s %s: %w", s.uri, p.bytes(), err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n != p.size {
		return fmt.Errorf("get %s %s: got %d bytes, want %d", s.uri, p.bytes(), n, p.size)
	}
	if _, err := io.ReadFull(out.Body, data); err != nil {
		return fmt.Errorf("read %s %s: %w", s.uri, p.bytes(), err)
	}
	// Reading to EOF lets the SDK check a whole object's checksum.
	if _, err := io.Copy(io.Discard, out.Body); err != nil {
		return fmt.Errorf("read %s %s: %w", s.uri, p.bytes(), err)
	}
	return nil
}

// group runs goroutines and returns the first error; that error cancels
// the context the others run with.
type group struct {
	wg     sync.WaitGroup
	cancel context.CancelCauseFunc
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &group{cancel: cancel}, ctx
}

func (g *group) Go(f func() error) {
	g.wg.Go(func() {
		if err := f(); err != nil {
			g.once.Do(func() {
				g.err = err
				g.cancel(err)
			})
		}
	})
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel(nil)
	return g.err
}
