package s3

import (
	"io"
	"testing"
)

func BenchmarkSyntheticReader(b *testing.B) {
	const size = 256 << 20
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	for b.Loop() {
		if _, err := io.CopyBuffer(io.Discard, SyntheticReader(1, 3, size), buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSyntheticSHA256(b *testing.B) {
	const size = 256 << 20
	s, err := New(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	seed := uint64(0)
	for b.Loop() {
		seed++ // defeat the cache
		if _, err := s.SyntheticSHA256(seed, size); err != nil {
			b.Fatal(err)
		}
	}
}
