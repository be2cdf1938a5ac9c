package evidence

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxBytes is the size limit applied when Options.MaxBytes is zero.
// SageMaker writes reports of a few kilobytes to a few megabytes; anything
// far larger is not a report we should hold in memory.
const DefaultMaxBytes = 16 << 20

// DefaultMaxValues is the limit on JSON values (objects, arrays, strings,
// literals; numbers inside arrays of numbers are stored compactly and not
// counted) applied when Options.MaxValues is zero. It bounds the memory a
// small but pathological document can make the parser allocate.
const DefaultMaxValues = 1 << 20

// ErrTooLarge is returned (wrapped in an *Error) when a report exceeds the
// size limit.
var ErrTooLarge = errors.New("report exceeds the size limit")

// Options tunes a Parse function. The zero value, or a nil *Options, uses the
// defaults.
type Options struct {
	// Name identifies the report in errors, typically its S3 URI.
	Name string
	// MaxBytes is the largest report accepted; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxValues is the largest number of JSON values accepted; 0 means
	// DefaultMaxValues.
	MaxValues int
	// Size is the report's size when the caller knows it (an S3 object's
	// ContentLength); a report larger than the limit is then refused before
	// anything is read. 0 means unknown.
	Size int64
}

func (o *Options) name() string {
	if o == nil {
		return ""
	}
	return o.Name
}

func (o *Options) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o *Options) maxValues() int {
	if o == nil || o.MaxValues <= 0 {
		return DefaultMaxValues
	}
	return o.MaxValues
}

// readReport reads a whole report, refusing it once it exceeds the limit. It
// never reads more than limit+1 bytes, and refuses without reading at all when
// r can tell its size up front (bytes.Reader, strings.Reader, *os.File).
func readReport(report string, r io.Reader, opts *Options) ([]byte, error) {
	limit := opts.maxBytes()
	if opts != nil && opts.Size > limit {
		return nil, tooLarge(report, opts.name(), opts.Size, limit)
	}
	size := int64(-1)
	if opts != nil && opts.Size > 0 {
		size = opts.Size
	}
	if n, ok := sizeOf(r); ok {
		if n > limit {
			return nil, tooLarge(report, opts.name(), n, limit)
		}
		size = n
	}
	data, err := readAtMost(r, limit+1, size)
	if err != nil {
		return nil, &Error{Report: report, Name: opts.name(), Offset: -1, Err: fmt.Errorf("read: %w", err)}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(report, opts.name(), -1, limit)
	}
	return data, nil
}

// readAtMost reads up to n bytes in chunks and joins them once, so that a
// report costs about twice its size in allocations, however it arrives.
// Chunks start small and double up to 1 MiB: most reports are a few KiB,
// and a fixed 1 MiB first chunk was 65 % of every byte a 200-promotion
// check allocated. When the size is known (size ≥ 0), the first chunk is
// one byte larger than it, so that a report that is as long as it says is
// read into one buffer of its size.
func readAtMost(r io.Reader, n, size int64) ([]byte, error) {
	const firstChunk, maxChunk = 16 << 10, 1 << 20
	var chunks [][]byte
	total := int64(0)
	first := int64(firstChunk)
	if size >= 0 && size < maxChunk {
		first = size + 1
	}
	for chunk := first; total < n; chunk = min(2*chunk, maxChunk) {
		buf := make([]byte, min(chunk, n-total))
		k, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:k])
		total += int64(k)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	data := make([]byte, 0, total)
	for _, c := range chunks {
		data = append(data, c...)
	}
	return data, nil
}

func tooLarge(report, name string, size, limit int64) error {
	msg := fmt.Errorf("more than %d bytes: %w", limit, ErrTooLarge)
	if size >= 0 {
		msg = fmt.Errorf("%d bytes, limit is %d: %w", size, limit, ErrTooLarge)
	}
	return &Error{Report: report, Name: name, Offset: -1, Err: msg}
}

// sizeOf reports the remaining size of readers that know it.
func sizeOf(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(v.Len()), true
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return fi.Size() - pos, true
	}
	return 0, false
}
