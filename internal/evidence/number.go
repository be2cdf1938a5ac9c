package evidence

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// Number is a number from a report. Reports write numbers that are not
// numbers: Model Monitor writes "NaN" for a standard deviation over fewer
// than 200 samples, Clarify writes "Infinity" for an unbounded DI and null
// for a metric it could not compute. Number keeps all of them apart: unset
// (absent or null), NaN, ±Inf, or a finite value.
type Number struct {
	// Float is the value; NaN or ±Inf when the report said so. Meaningless
	// when Set is false.
	Float float64
	// Set is false when the report had no value (absent or null).
	Set bool
}

// Num returns a set Number.
func Num(f float64) Number { return Number{Float: f, Set: true} }

// Finite reports whether n holds a usable value: set, not NaN, not ±Inf.
func (n Number) Finite() bool {
	return n.Set && !math.IsNaN(n.Float) && !math.IsInf(n.Float, 0)
}

// String formats n as a report would: "null" when unset, "NaN", "Infinity",
// "-Infinity", or the shortest decimal form.
func (n Number) String() string {
	switch {
	case !n.Set:
		return "null"
	case math.IsNaN(n.Float):
		return "NaN"
	case math.IsInf(n.Float, 1):
		return "Infinity"
	case math.IsInf(n.Float, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(n.Float, 'g', -1, 64)
}

// Readable formats a value and the bound it is judged against for people:
// four significant digits, as the policy's verdicts print (0.7949999999999999
// reads 0.795), and more only where four would make two different values
// read alike. String keeps every digit, for the JSON.
func Readable(value, bound Number) (string, string) {
	if !value.Finite() || !bound.Finite() {
		return value.String(), bound.String()
	}
	for digits := 4; digits < 17; digits++ {
		v, b := strconv.FormatFloat(value.Float, 'g', digits, 64), strconv.FormatFloat(bound.Float, 'g', digits, 64)
		if v != b || value.Float == bound.Float {
			return v, b
		}
	}
	return value.String(), bound.String()
}

// MarshalJSON writes n the way SageMaker does: a number, null, or one of the
// strings "NaN", "Infinity", "-Infinity".
func (n Number) MarshalJSON() ([]byte, error) {
	if n.Finite() || !n.Set {
		return []byte(n.String()), nil
	}
	return json.Marshal(n.String())
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Number) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*n = Number{}
		return nil
	case float64:
		*n = Num(v)
		return nil
	case string:
		if f, ok := nonFinite(v); ok {
			*n = Num(f)
			return nil
		}
	}
	return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[Number]()}
}
