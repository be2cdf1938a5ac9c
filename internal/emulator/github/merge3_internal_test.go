package ghemu

import "testing"

func TestMerge3(t *testing.T) {
	const base = "a\nb\nc\nd\ne\n"
	for _, tc := range []struct {
		name, ours, theirs, want string
		ok                       bool
	}{
		{"separate lines", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n", true},
		{"one side", "a\nb\nC\nd\ne\n", base, "a\nb\nC\nd\ne\n", true},
		{"appended", "a\nB\nc\nd\ne\n", base + "f\n", "a\nB\nc\nd\ne\nf\n", true},
		{"same change", "a\nX\nc\nd\ne\n", "a\nX\nc\nd\ne\n", "a\nX\nc\nd\ne\n", true},
		{"same line differently", "a\nX\nc\nd\ne\n", "a\nY\nc\nd\ne\n", "", false},
		{"overlapping", "a\nX\nY\nd\ne\n", "a\nb\nZ\nd\ne\n", "", false},
		{"inserted at one place", "a\nx\nb\nc\nd\ne\n", "a\ny\nb\nc\nd\ne\n", "", false},
	} {
		got, ok := merge3(base, tc.ours, tc.theirs)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
