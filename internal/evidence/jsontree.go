package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The parsers read a report into a small tree that remembers where each value
// starts, so that every shape error can say where it is. encoding/json cannot:
// errors from custom unmarshalers carry no offset.

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

type node struct {
	kind     kind
	off, end int64
	text     string // string value, or number literal
	b        bool
	keys     []string
	vals     []*node
	elems    []*node   // array elements, unless the array holds only numbers
	nums     []float64 // array of numbers, stored compactly
}

// field returns the member named key, or nil.
func (n *node) field(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// length of an array node.
func (n *node) length() int {
	if n.nums != nil {
		return len(n.nums)
	}
	return len(n.elems)
}

func (n *node) describe() string {
	if n == nil {
		return "nothing"
	}
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(n.b)
	case kindNumber:
		return "number " + n.text
	case kindString:
		s := n.text
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return "string " + strconv.Quote(s)
	case kindObject:
		return "an object"
	default:
		return "an array"
	}
}

// doc is a parsed report: its tree plus what is needed to report errors.
type doc struct {
	report, name string
	buf          []byte
	root         *node
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseDoc reads and parses a report.
func parseDoc(report string, r io.Reader, opts *Options) (*doc, error) {
	buf, err := readReport(report, r, opts)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(buf, utf8BOM) {
		// Some Windows tools write one; blank it rather than cut it, so
		// offsets still point into the report as stored.
		copy(buf, "   ")
	}
	d := &doc{report: report, name: opts.name(), buf: buf}
	p := &treeParser{d: d, dec: json.NewDecoder(bytes.NewReader(buf)), budget: opts.maxValues()}
	p.dec.UseNumber()
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	trailing := p.start()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, d.errAt(trailing, "", errors.New("unexpected data after the JSON document"))
	}
	d.root = root
	return d, nil
}

// errAt builds an *Error at a byte offset.
func (d *doc) errAt(off int64, path string, err error) error {
	line, col := position(d.buf, off)
	return &Error{Report: d.report, Name: d.name, Path: path, Offset: off, Line: line, Column: col, Err: err}
}

// errorf builds an *Error at a node; a nil node (a missing member) reports
// the offset of parent instead.
func (d *doc) errorf(n *node, path, format string, args ...any) error {
	off := int64(0)
	if n != nil {
		off = n.off
	}
	return d.errAt(off, path, fmt.Errorf(format, args...))
}

type treeParser struct {
	d      *doc
	dec    *json.Decoder
	budget int
}

// start is the offset where the next token begins: the decoder's offset is
// the end of the previous token, before any separator.
func (p *treeParser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.d.buf)) {
		switch p.d.buf[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *treeParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == nil {
		return tok, nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, p.d.errAt(syn.Offset, "", fmt.Errorf("invalid JSON: %v", syn))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, p.d.errAt(int64(len(p.d.buf)), "", errors.New("invalid JSON: unexpected end of document"))
	default:
		return nil, p.d.errAt(p.start(), "", fmt.Errorf("invalid JSON: %v", err))
	}
}

func (p *treeParser) spend(off int64) error {
	p.budget--
	if p.budget < 0 {
		return p.d.errAt(off, "", errors.New("too many JSON values (Options.MaxValues)"))
	}
	return nil
}

func (p *treeParser) value() (*node, error) {
	off := p.start()
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.fromToken(tok, off)
}

func (p *treeParser) fromToken(tok json.Token, off int64) (*node, error) {
	n := &node{off: off}
	switch t := tok.(type) {
	case nil:
		n.kind = kindNull
	case bool:
		n.kind, n.b = kindBool, t
	case json.Number:
		n.kind, n.text = kindNumber, string(t)
	case string:
		n.kind, n.text = kindString, t
	case json.Delim:
		var err error
		if t == '{' {
			err = p.object(n)
		} else {
			err = p.array(n)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := p.spend(off); err != nil {
		return nil, err
	}
	n.end = p.dec.InputOffset()
	return n, nil
}

func (p *treeParser) object(n *node) error {
	n.kind = kindObject
	var seen map[string]bool
	for p.dec.More() {
		keyOff := p.start()
		tok, err := p.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if len(n.keys) >= 8 && seen == nil {
			seen = make(map[string]bool, 16)
			for _, k := range n.keys {
				seen[k] = true
			}
		}
		dup := false
		if seen != nil {
			dup = seen[key]
			seen[key] = true
		} else {
			for _, k := range n.keys {
				dup = dup || k == key
			}
		}
		if dup {
			// Two values for one key would let two readers see two reports.
			return p.d.errAt(keyOff, "", fmt.Errorf("duplicate key %q", key))
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, v)
	}
	_, err := p.token() // '}'
	return err
}

func (p *treeParser) array(n *node) error {
	n.kind = kindArray
	n.nums = []float64{}
	for p.dec.More() {
		off := p.start()
		tok, err := p.token()
		if err != nil {
			return err
		}
		if num, ok := tok.(json.Number); ok && n.elems == nil {
			f, err := strconv.ParseFloat(string(num), 64)
			if err == nil {
				n.nums = append(n.nums, f)
				continue
			}
		}
		if n.elems == nil {
			// Not an array of numbers after all: expand what was stored compactly.
			n.elems = make([]*node, 0, len(n.nums)+1)
			for _, f := range n.nums {
				n.elems = append(n.elems, &node{kind: kindNumber, off: n.off, text: strconv.FormatFloat(f, 'g', -1, 64)})
			}
			n.nums = nil
		}
		v, err := p.fromToken(tok, off)
		if err != nil {
			return err
		}
		n.elems = append(n.elems, v)
	}
	if n.elems != nil {
		n.nums = nil
	}
	_, err := p.token() // ']'
	return err
}

// elem returns the i-th element of an array node.
func (n *node) elem(i int) *node {
	if n.nums != nil {
		return &node{kind: kindNumber, off: n.off, end: n.end, text: strconv.FormatFloat(n.nums[i], 'g', -1, 64)}
	}
	return n.elems[i]
}

// raw returns the bytes of a value as written.
func (d *doc) raw(n *node) json.RawMessage {
	return json.RawMessage(bytes.TrimSpace(d.buf[n.off:n.end]))
}

var simpleKey = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// join extends a JSON path with an object key, quoting keys that are not
// simple names.
func join(path, key string) string {
	if !simpleKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// wantObject checks that n is an object.
func (d *doc) wantObject(n *node, path string) error {
	if n == nil || n.kind != kindObject {
		return d.errorf(n, path, "want an object, got %s", n.describe())
	}
	return nil
}

// wantArray checks that n is an array.
func (d *doc) wantArray(n *node, path string) error {
	if n == nil || n.kind != kindArray {
		return d.errorf(n, path, "want an array, got %s", n.describe())
	}
	return nil
}

// number reads a report number: a JSON number, one of the strings SageMaker
// writes for non-finite values ("NaN", "Infinity", "-Infinity"), or null.
// A nil node (absent member) or null gives an unset Number.
func (d *doc) number(n *node, path string) (Number, error) {
	if n == nil || n.kind == kindNull {
		return Number{}, nil
	}
	switch n.kind {
	case kindNumber:
		f, err := strconv.ParseFloat(n.text, 64)
		if err != nil {
			return Number{}, d.errorf(n, path, "number %s out of range", n.text)
		}
		return Num(f), nil
	case kindString:
		if f, ok := nonFinite(n.text); ok {
			return Num(f), nil
		}
	}
	return Number{}, d.errorf(n, path, `want a number, "NaN", "Infinity" or null, got %s`, n.describe())
}

func nonFinite(s string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "nan":
		return math.NaN(), true
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	return 0, false
}

// str reads a string member; nil or null gives "".
func (d *doc) str(n *node, path string) (string, error) {
	if n == nil || n.kind == kindNull {
		return "", nil
	}
	if n.kind != kindString {
		return "", d.errorf(n, path, "want a string, got %s", n.describe())
	}
	return n.text, nil
}

// text reads a value leniently as text: strings as they are, numbers and
// booleans as written, arrays of those joined with newlines. Model cards and
// Clarify labels are written by hand or by many tools, so the same field
// comes in several shapes.
func (d *doc) text(n *node, path string) (string, error) { return d.textJoin(n, path, "\n") }

// textJoin is text with arrays joined by sep.
func (d *doc) textJoin(n *node, path, sep string) (string, error) {
	if n == nil {
		return "", nil
	}
	switch n.kind {
	case kindNull:
		return "", nil
	case kindString, kindNumber:
		return n.text, nil
	case kindBool:
		return strconv.FormatBool(n.b), nil
	case kindArray:
		parts := make([]string, 0, n.length())
		for i := range n.length() {
			e := n.elem(i)
			if e.kind == kindObject || e.kind == kindArray {
				return "", d.errorf(e, index(path, i), "want text, got %s", e.describe())
			}
			s, _ := d.text(e, index(path, i))
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	}
	return "", d.errorf(n, path, "want text, got %s", n.describe())
}
