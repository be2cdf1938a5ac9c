package s3

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// sliceSegments returns the segments covering [off, off+n) of segs.
func sliceSegments(segs []segment, off, n int64) []segment {
	var out []segment
	for _, g := range segs {
		if n <= 0 {
			break
		}
		if off >= g.n {
			off -= g.n
			continue
		}
		take := min(g.n-off, n)
		out = append(out, segment{file: g.file, seed: g.seed, off: g.off + off, n: take})
		n -= take
		off = 0
	}
	return out
}

// openSegments reads [off, off+n) of the content made of segs.
func openSegments(segs []segment, off, n int64) (io.ReadCloser, error) {
	rc := &segmentReader{}
	for _, g := range sliceSegments(segs, off, n) {
		if g.synthetic() {
			rc.readers = append(rc.readers, SyntheticReader(g.seed, g.off, g.n))
			continue
		}
		f, err := os.Open(g.file)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("open object data: %w", err)
		}
		rc.files = append(rc.files, f)
		rc.readers = append(rc.readers, io.NewSectionReader(f, g.off, g.n))
	}
	rc.Reader = io.MultiReader(rc.readers...)
	return rc, nil
}

type segmentReader struct {
	io.Reader
	readers []io.Reader
	files   []*os.File
}

func (r *segmentReader) Close() error {
	var errs []error
	for _, f := range r.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

func segmentsSynthetic(segs []segment) bool {
	for _, g := range segs {
		if g.synthetic() {
			return true
		}
	}
	return false
}
