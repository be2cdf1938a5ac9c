package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file, 1-based. A zero Line means "the whole file".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Problem is one thing wrong with a manifest file.
type Problem struct {
	File string `json:"file"`
	Pos
	// Field is the path of the offending value, e.g. "environments[1].account".
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error formats the problem as file:line:col: message.
func (p Problem) Error() string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	case p.Col == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// Problems is a list of problems, sortable by file and position.
type Problems []Problem

// Error joins the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by file, line and column, keeping the order of
// problems at the same position.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns ps as an error, or nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
