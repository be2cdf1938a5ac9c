package s3

import (
	"encoding/binary"
	"io"
)

// Synthetic objects are generated, not stored: byte i of the object with a
// given seed is byte i%8 of word i/8 of a counter-based PRNG (splitmix64 of
// seed and word index), so any range can be produced directly and a 6 GiB
// object costs no disk.

func syntheticWord(seed uint64, i int64) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// syntheticReader reads bytes [pos, end) of the synthetic stream seed.
type syntheticReader struct {
	seed     uint64
	pos, end int64
}

// SyntheticReader returns the bytes [off, off+n) of the synthetic object
// stream with the given seed.
func SyntheticReader(seed uint64, off, n int64) io.Reader {
	return &syntheticReader{seed: seed, pos: off, end: off + n}
}

// Read is exempt from the race detector: it only fills p, and
// instrumenting every 8-byte store would make generation ~50× slower under
// -race (about 100 MB/s), which is what keeps tests of multi-GiB copies
// from running with it.
//
//go:norace
func (r *syntheticReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if rem := r.end - r.pos; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	// Unaligned head.
	if skip := r.pos % 8; skip != 0 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], syntheticWord(r.seed, r.pos/8))
		n = copy(p, w[skip:])
	}
	// Whole words.
	word := (r.pos + int64(n)) / 8
	for ; n+8 <= len(p); n += 8 {
		binary.LittleEndian.PutUint64(p[n:], syntheticWord(r.seed, word))
		word++
	}
	// Tail.
	if n < len(p) {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], syntheticWord(r.seed, word))
		n += copy(p[n:], w[:])
	}
	r.pos += int64(n)
	return n, nil
}
