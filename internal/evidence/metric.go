package evidence

import (
	"math"
	"sort"
)

// Metric is one scalar metric from a report, named by its path (see the
// package documentation for the grammar).
type Metric struct {
	// Path names the metric, e.g. "binary_classification_metrics.auc" or
	// "bias.post_training.DI[sex=female]".
	Path string
	// Value is the metric's value; unset when the report has none.
	Value Number
	// StdDev is the standard deviation Model Monitor estimates by
	// resampling; unset or NaN when unknown (Model Monitor writes "NaN"
	// below 200 samples; Clarify writes none).
	StdDev Number
	// Description is the report's description of the metric, if any.
	Description string
}

// Noise says whether a change between two metrics is within the noise of
// their measurement.
type Noise int

const (
	// NoiseUnknown: a standard deviation or a value is missing or not
	// finite, so nothing can be said. It never counts as noise.
	NoiseUnknown Noise = iota
	// WithinNoise: |delta| is at most one standard deviation of the difference.
	WithinNoise
	// BeyondNoise: |delta| is more than one standard deviation of the difference.
	BeyondNoise
)

func (n Noise) String() string {
	switch n {
	case WithinNoise:
		return "within noise"
	case BeyondNoise:
		return "beyond noise"
	}
	return "noise unknown"
}

// Change is the comparison of a metric between two versions of a model.
type Change struct {
	Path string `json:"path"`
	Old  Number `json:"old"`
	New  Number `json:"new"`
	// Delta is New - Old; unset when either is not finite.
	Delta Number `json:"delta"`
	// Relative is Delta / |Old|. When Old is 0 it is 0 if New is 0 too and
	// unset otherwise (a change from zero has no finite ratio); unset when
	// Delta is.
	Relative Number `json:"relative"`
	// Sigma is the standard deviation of the difference,
	// sqrt(σold² + σnew²), treating the two estimates as independent;
	// unset when either standard deviation is unset, NaN or infinite.
	Sigma Number `json:"sigma"`
	// Noise compares |Delta| with Sigma.
	Noise Noise `json:"noise"`
}

// Compare compares a metric of the version live in a stage (old) with the
// candidate's (new).
func Compare(old, new Metric) Change {
	c := Change{Path: new.Path, Old: old.Value, New: new.Value}
	if c.Path == "" {
		c.Path = old.Path
	}
	if old.StdDev.Finite() && new.StdDev.Finite() {
		c.Sigma = Num(math.Hypot(old.StdDev.Float, new.StdDev.Float))
	}
	if !old.Value.Finite() || !new.Value.Finite() {
		return c
	}
	d := new.Value.Float - old.Value.Float
	c.Delta = Num(d)
	switch {
	case old.Value.Float != 0:
		c.Relative = Num(d / math.Abs(old.Value.Float))
	case d == 0:
		c.Relative = Num(0)
	}
	if c.Sigma.Set {
		c.Noise = BeyondNoise
		if math.Abs(d) <= c.Sigma.Float {
			c.Noise = WithinNoise
		}
	}
	return c
}

// CompareAll compares every metric present in either set, sorted by path. A
// metric present in only one set compares against an unset value.
func CompareAll(old, new map[string]Metric) []Change {
	paths := make(map[string]bool, len(new))
	for p := range old {
		paths[p] = true
	}
	for p := range new {
		paths[p] = true
	}
	out := make([]Change, 0, len(paths))
	for _, p := range sortedKeys(paths) {
		o, n := old[p], new[p]
		o.Path, n.Path = p, p
		out = append(out, Compare(o, n))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
