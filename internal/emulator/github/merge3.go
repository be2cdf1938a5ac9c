package ghemu

import (
	"slices"
	"strings"
)

// merge3 merges two changes of one text file line by line, as git's
// three-way merge does for changes in separate places: each side's edits
// to base are applied when they touch different lines; edits to the same
// lines (or insertions at the same place) conflict unless identical.
func merge3(base, ours, theirs string) (string, bool) {
	b := lines(base)
	a, c := hunks(b, lines(ours)), hunks(b, lines(theirs))
	var out []string
	pos, i, j := 0, 0, 0
	for i < len(a) || j < len(c) {
		var h hunk
		switch {
		case j == len(c) || i < len(a) && a[i].end <= c[j].start && !(a[i].start == c[j].start && a[i].end == a[i].start && c[j].end == c[j].start):
			h, i = a[i], i+1
		case i == len(a) || c[j].end <= a[i].start && !(a[i].start == c[j].start && a[i].end == a[i].start && c[j].end == c[j].start):
			h, j = c[j], j+1
		case a[i].start == c[j].start && a[i].end == c[j].end && slices.Equal(a[i].lines, c[j].lines):
			h, i, j = a[i], i+1, j+1
		default:
			return "", false
		}
		if h.start < pos {
			return "", false
		}
		out = append(out, b[pos:h.start]...)
		out = append(out, h.lines...)
		pos = h.end
	}
	out = append(out, b[pos:]...)
	return strings.Join(out, ""), true
}

// hunk replaces base lines [start, end) with lines.
type hunk struct {
	start, end int
	lines      []string
}

// hunks is the edit script from base to next, from their longest common
// subsequence of lines.
func hunks(base, next []string) []hunk {
	n, m := len(base), len(next)
	lcs := make([][]int, n+1)
	for k := range lcs {
		lcs[k] = make([]int, m+1)
	}
	for x := n - 1; x >= 0; x-- {
		for y := m - 1; y >= 0; y-- {
			if base[x] == next[y] {
				lcs[x][y] = lcs[x+1][y+1] + 1
			} else {
				lcs[x][y] = max(lcs[x+1][y], lcs[x][y+1])
			}
		}
	}
	var out []hunk
	var cur *hunk
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	x, y := 0, 0
	for x < n || y < m {
		switch {
		case x < n && y < m && base[x] == next[y]:
			flush()
			x, y = x+1, y+1
		case y < m && (x == n || lcs[x][y+1] >= lcs[x+1][y]):
			if cur == nil {
				cur = &hunk{start: x, end: x}
			}
			cur.lines = append(cur.lines, next[y])
			y++
		default:
			if cur == nil {
				cur = &hunk{start: x, end: x}
			}
			x++
			cur.end = x
		}
	}
	flush()
	return out
}

// lines splits s after each newline, keeping it.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
