package evidence

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// endless is a report body that never ends: `{"regression_metrics": {"pad": "xxxx…`.
type endless struct {
	read   int64
	header string
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if e.read < int64(len(e.header)) {
			p[n] = e.header[e.read]
		} else {
			p[n] = 'x'
		}
		n++
		e.read++
	}
	return n, nil
}

// sized claims a size and fails if read.
type sized struct{ n int }

func (s sized) Len() int { return s.n }
func (s sized) Read([]byte) (int, error) {
	return 0, errors.New("read a report whose size was known to be too large")
}

func TestParseRefusesOversizeReportWithoutReadingIt(t *testing.T) {
	const fifty = 50 << 20
	parsers := map[string]func(io.Reader, *Options) error{
		"statistics":       func(r io.Reader, o *Options) error { _, err := ParseStatistics(r, o); return err },
		"constraints":      func(r io.Reader, o *Options) error { _, err := ParseConstraints(r, o); return err },
		"data statistics":  func(r io.Reader, o *Options) error { _, err := ParseDataStatistics(r, o); return err },
		"data constraints": func(r io.Reader, o *Options) error { _, err := ParseDataConstraints(r, o); return err },
		"clarify":          func(r io.Reader, o *Options) error { _, err := ParseClarify(r, o); return err },
		"model card":       func(r io.Reader, o *Options) error { _, err := ParseModelCard(r, o); return err },
	}
	for name, parse := range parsers {
		t.Run(name, func(t *testing.T) {
			err := parse(sized{fifty}, &Options{Name: "s3://reports/huge.json"})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `"s3://reports/huge.json"`) ||
				!strings.Contains(err.Error(), "52428800 bytes, limit is 16777216") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestParseRefusesEndlessStreamAfterTheLimit(t *testing.T) {
	for _, limit := range []int64{1 << 20, DefaultMaxBytes} {
		body := &endless{header: `{"regression_metrics": {"pad": "`}
		var opts *Options
		if limit != DefaultMaxBytes {
			opts = &Options{MaxBytes: limit}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ParseStatistics(io.LimitReader(body, 50<<20), opts)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("limit %d: err = %v", limit, err)
		}
		if body.read > limit+64<<10 { // the reader may fill one buffer past the limit
			t.Errorf("limit %d: read %d bytes of a 50 MiB stream", limit, body.read)
		}
		// Reading costs about twice the limit (chunks, then one join), far
		// less than the 50 MiB the stream holds.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(2*limit+(4<<20)) {
			t.Errorf("limit %d: allocated %d bytes", limit, alloc)
		}
		if !strings.Contains(err.Error(), "model quality statistics: more than") {
			t.Errorf("err = %v", err)
		}
	}
}

func TestParseAcceptsReportAtTheLimit(t *testing.T) {
	doc := `{"regression_metrics": {"mae": {"value": 1}}}`
	if _, err := ParseStatistics(strings.NewReader(doc), &Options{MaxBytes: int64(len(doc))}); err != nil {
		t.Errorf("report of exactly MaxBytes: %v", err)
	}
	if _, err := ParseStatistics(io.MultiReader(strings.NewReader(doc), strings.NewReader(" ")), &Options{MaxBytes: int64(len(doc))}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("report one byte over MaxBytes: %v", err)
	}
}

func TestParseRefusesOversizeFileByItsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "statistics.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // sparse: no 50 MiB written
		t.Fatal(err)
	}
	f.Close()
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ParseStatistics(f, nil); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "52428800 bytes") {
		t.Errorf("err = %v", err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 0 {
		t.Errorf("read %d bytes of the file", pos)
	}
}

func TestParseLimitsTheNumberOfValues(t *testing.T) {
	doc := `{"regression_metrics": {"mae": {"value": 1}}, "x": [{}, {}, {}, {}, {}]}`
	_, err := ParseStatistics(strings.NewReader(doc), &Options{MaxValues: 6})
	if err == nil || !strings.Contains(err.Error(), "too many JSON values") {
		t.Errorf("err = %v", err)
	}
	// Arrays of numbers are stored compactly and do not count.
	doc = `{"binary_classification_metrics": {"precision_recall_curve": {"recalls": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}}}`
	if _, err := ParseStatistics(strings.NewReader(doc), &Options{MaxValues: 4}); err != nil {
		t.Errorf("numeric array counted against MaxValues: %v", err)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestParseReportsReadErrors(t *testing.T) {
	_, err := ParseClarify(failing{}, &Options{Name: "s3://b/analysis.json"})
	if err == nil || err.Error() != `clarify analysis "s3://b/analysis.json": read: connection reset` {
		t.Errorf("err = %v", err)
	}
}

func TestParseRefusesOversizeReportByDeclaredSize(t *testing.T) {
	_, err := ParseModelCard(failing{}, &Options{Name: "card", Size: 50 << 20, MaxBytes: 1 << 20})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "52428800 bytes, limit is 1048576") {
		t.Errorf("err = %v", err)
	}
}
