package evidence

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, pattern string, extra ...[]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", pattern, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range extra {
		f.Add(b)
	}
}

// checkError asserts that a parse error is an *Error with a sane position.
func checkError(t *testing.T, data []byte, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Offset > int64(len(data)) || (e.Offset >= 0 && (e.Line < 1 || e.Column < 1)) {
		t.Fatalf("error position %d (%d:%d) outside %d bytes: %v", e.Offset, e.Line, e.Column, len(data), err)
	}
}

func FuzzParseStatistics(f *testing.F) {
	addSeeds(f, "model_quality_statistics_*.json",
		SampleModelQuality(BinaryClassification, nil, math.NaN()),
		[]byte(`{"regression_metrics": {"mae": {"value": "Infinity", "standard_deviation": null}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseStatistics(bytes.NewReader(data), &Options{MaxValues: 1 << 14})
		if err != nil {
			checkError(t, data, err)
			return
		}
		for key, m := range s.Metrics {
			if m.Path != key {
				t.Fatalf("metric %q has path %q", key, m.Path)
			}
			if _, err := ParsePath(key); err != nil {
				t.Fatalf("metric path %q does not parse: %v", key, err)
			}
			c := Compare(m, m)
			if m.Value.Finite() && (!c.Delta.Set || c.Delta.Float != 0) {
				t.Fatalf("comparing %+v with itself: %+v", m, c)
			}
		}
	})
}

func FuzzParseClarify(f *testing.F) {
	addSeeds(f, "clarify_*.json",
		SampleClarify(map[string]float64{"bias.post_training.DI": 0.9, `bias.pre_training.CI[age="(1, 2]"]`: 0.1}, map[string]float64{"a": 1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseClarify(bytes.NewReader(data), &Options{MaxValues: 1 << 14})
		if err != nil {
			checkError(t, data, err)
			return
		}
		for key, m := range a.Metrics {
			p, err := ParsePath(key)
			if err != nil {
				t.Fatalf("bias path %q does not parse: %v", key, err)
			}
			if p.String() != key || m.Path != key {
				t.Fatalf("path %q round-trips to %q (metric path %q)", key, p, m.Path)
			}
			sel := Path{Group: p.Group, Metric: p.Metric}
			if !sel.Selects(p) {
				t.Fatalf("%s does not select %s", sel, p)
			}
		}
		for _, s := range a.SHAP {
			top := s.Top(10)
			for i := 1; i < len(top); i++ {
				if math.Abs(top[i].Value) > math.Abs(top[i-1].Value) {
					t.Fatalf("top out of order: %+v", top)
				}
			}
			ShiftSHAP(s, s, 10)
		}
	})
}
