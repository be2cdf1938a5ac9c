package evidence

import (
	"encoding/json"
	"math"
	"testing"
)

func TestCompare(t *testing.T) {
	nan := Num(math.NaN())
	for _, tc := range []struct {
		name            string
		old, new        Metric
		delta, relative Number
		noise           Noise
		sigmaSet        bool
	}{
		{"within noise", Metric{Value: Num(0.90), StdDev: Num(0.03)}, Metric{Value: Num(0.92), StdDev: Num(0.04)},
			Num(0.02), Num(0.02 / 0.90), WithinNoise, true},
		{"beyond noise", Metric{Value: Num(0.90), StdDev: Num(0.003)}, Metric{Value: Num(0.85), StdDev: Num(0.004)},
			Num(-0.05), Num(-0.05 / 0.90), BeyondNoise, true},
		{"NaN std dev is unknown, not noise", Metric{Value: Num(0.90), StdDev: nan}, Metric{Value: Num(0.9001), StdDev: Num(0.01)},
			Num(0.0001), Num(0.0001 / 0.90), NoiseUnknown, false},
		{"missing std dev is unknown", Metric{Value: Num(0.90)}, Metric{Value: Num(0.90)},
			Num(0), Num(0), NoiseUnknown, false},
		{"from zero", Metric{Value: Num(0)}, Metric{Value: Num(0.1)}, Num(0.1), Number{}, NoiseUnknown, false},
		{"zero to zero", Metric{Value: Num(0), StdDev: Num(0)}, Metric{Value: Num(0), StdDev: Num(0)}, Num(0), Num(0), WithinNoise, true},
		{"negative old", Metric{Value: Num(-2)}, Metric{Value: Num(-1)}, Num(1), Num(0.5), NoiseUnknown, false},
		{"old missing", Metric{}, Metric{Value: Num(0.5), StdDev: Num(0.1)}, Number{}, Number{}, NoiseUnknown, false},
		{"infinite value", Metric{Value: Num(math.Inf(1)), StdDev: Num(0.1)}, Metric{Value: Num(2), StdDev: Num(0.1)}, Number{}, Number{}, NoiseUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.old, tc.new)
			if !sameNumber(c.Delta, tc.delta) || !sameNumber(c.Relative, tc.relative) || c.Noise != tc.noise || c.Sigma.Set != tc.sigmaSet {
				t.Errorf("Compare = %+v; want delta %v relative %v %v sigma set %v", c, tc.delta, tc.relative, tc.noise, tc.sigmaSet)
			}
		})
	}
}

func sameNumber(a, b Number) bool {
	if a.Set != b.Set {
		return false
	}
	return !a.Set || math.Abs(a.Float-b.Float) < 1e-12
}

func TestCompareUsesTheStandardDeviationOfTheDifference(t *testing.T) {
	c := Compare(Metric{Value: Num(1), StdDev: Num(0.3)}, Metric{Value: Num(1.45), StdDev: Num(0.4)})
	if c.Sigma.Float != 0.5 || c.Noise != WithinNoise {
		t.Errorf("Compare = %+v, want sigma 0.5 within noise", c)
	}
}

func TestCompareAll(t *testing.T) {
	old := map[string]Metric{"g.a": {Value: Num(1)}, "g.b": {Value: Num(2)}}
	cur := map[string]Metric{"g.b": {Value: Num(3)}, "g.c": {Value: Num(4)}}
	got := CompareAll(old, cur)
	if len(got) != 3 || got[0].Path != "g.a" || got[0].New.Set || got[1].Delta.Float != 1 || got[2].Path != "g.c" || got[2].Old.Set {
		t.Errorf("CompareAll = %+v", got)
	}
}

func TestNumberJSON(t *testing.T) {
	for _, tc := range []struct {
		n    Number
		json string
	}{
		{Num(0.5), `0.5`}, {Num(math.NaN()), `"NaN"`}, {Num(math.Inf(1)), `"Infinity"`}, {Num(math.Inf(-1)), `"-Infinity"`}, {Number{}, `null`},
	} {
		b, err := json.Marshal(tc.n)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.n, b, err, tc.json)
		}
		var back Number
		if err := json.Unmarshal(b, &back); err != nil || back.String() != tc.n.String() {
			t.Errorf("Unmarshal(%s) = %v, %v", b, back, err)
		}
	}
	var n Number
	if err := json.Unmarshal([]byte(`"high"`), &n); err == nil {
		t.Error(`Unmarshal("high") succeeded`)
	}
}
