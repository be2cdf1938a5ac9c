package propose

import (
	"bytes"
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// Diff renders the change from a to b as a unified diff of path, the way
// `git diff` shows it. Edits here change one contiguous run of lines, so the
// diff is one hunk: the lines between the common prefix and suffix.
func Diff(path string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := lines(a), lines(b)
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	start := max(pre-diffContext, 0)
	aEnd := min(len(al)-suf+diffContext, len(al))
	bEnd := min(len(bl)-suf+diffContext, len(bl))

	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
	fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(start, aEnd-start), hunkRange(start, bEnd-start))
	for _, l := range al[start:pre] {
		writeLine(&out, ' ', l)
	}
	for _, l := range al[pre : len(al)-suf] {
		writeLine(&out, '-', l)
	}
	for _, l := range bl[pre : len(bl)-suf] {
		writeLine(&out, '+', l)
	}
	for _, l := range al[len(al)-suf : aEnd] {
		writeLine(&out, ' ', l)
	}
	return out.String()
}

// lines splits data into lines that keep their "\n"; a last line without
// one is kept as it is.
func lines(data []byte) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, string(data))
			break
		}
		out = append(out, string(data[:i+1]))
		data = data[i+1:]
	}
	return out
}

func writeLine(b *strings.Builder, prefix byte, l string) {
	b.WriteByte(prefix)
	b.WriteString(l)
	if !strings.HasSuffix(l, "\n") {
		b.WriteString("\n\\ No newline at end of file\n")
	}
}

// hunkRange is a unified diff range: "start,count", 1-based; an empty
// range names the line before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
