package evidence

import (
	"fmt"
	"strings"
)

// Error is a report that could not be read, is not valid JSON, or does not
// have the shape its format requires. It names the report and, when the fault
// is at a place in the document, where: the JSON path, the byte offset and the
// line and column.
type Error struct {
	// Report is the kind of report, e.g. "model quality statistics".
	Report string
	// Name identifies the report (Options.Name), typically its S3 URI; may be empty.
	Name string
	// Path is the JSON path of the offending value, e.g.
	// "binary_classification_metrics.auc.value"; empty for the whole document.
	Path string
	// Offset is the byte offset of the offending value, or -1 when the fault
	// is not at one place (a read error, an oversize report).
	Offset int64
	// Line and Column locate Offset, 1-based; 0 when Offset is -1.
	Line, Column int
	// Err says what is wrong.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Report)
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": line %d, column %d (byte %d)", e.Line, e.Column, e.Offset)
	}
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error, so errors.Is(err, ErrTooLarge) works.
func (e *Error) Unwrap() error { return e.Err }

// position converts a byte offset into a 1-based line and column (in bytes).
func position(buf []byte, off int64) (line, col int) {
	if off > int64(len(buf)) {
		off = int64(len(buf))
	}
	line, col = 1, 1
	for _, c := range buf[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
