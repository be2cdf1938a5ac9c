package manifest

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a manifest file. Real manifests are a few KiB; anything
// near this is a mistake or an attack, and is refused before parsing.
const MaxFileSize = 1 << 20

// maxNodes bounds the YAML nodes of one file (a second guard after the size).
const maxNodes = 100_000

// decoder strictly decodes one YAML file into a Go value, recording the
// position of every field it sees so that later checks can point at them.
//
// yaml.v3 alone reports unknown fields and type errors with a line but no
// column, stops at the first unknown field in some cases, and has no strict
// mode for Node.Decode. So the file is parsed once into a node tree, the tree
// is checked against the Go type (unknown fields, duplicate keys, scalar
// kinds, anchors and aliases) with exact positions, and only a tree that
// passes is decoded by yaml.v3.
type decoder struct {
	file     string
	problems Problems
	// pos maps a field path ("stages.prod.version") to the position of its
	// value; keyPos to the position of its key.
	pos    map[string]Pos
	keyPos map[string]Pos
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]Pos{}, keyPos: map[string]Pos{}}
}

func (d *decoder) addf(p Pos, field, format string, args ...any) {
	d.problems = append(d.problems, Problem{File: d.file, Pos: p, Field: field, Message: fmt.Sprintf(format, args...)})
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses data and decodes it into out (a pointer to a struct). It
// returns false when the file has problems; out is then unusable.
func (d *decoder) decode(data []byte, out any) bool {
	if len(data) > MaxFileSize {
		d.addf(Pos{}, "", "file is %d bytes, larger than the %d-byte limit for a manifest", len(data), MaxFileSize)
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.addf(Pos{Line: 1, Col: 1}, "", "file is empty")
			return false
		}
		d.syntaxError(err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.addf(nodePos(&extra), "", "a manifest holds exactly one YAML document; found another")
		return false
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err)
		return false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.addf(Pos{Line: 1, Col: 1}, "", "file is empty")
			return false
		}
		root = root.Content[0]
	}
	if !d.checkShape(root) {
		return false
	}
	d.walk(root, reflect.TypeOf(out).Elem(), "")
	if len(d.problems) > 0 {
		return false
	}
	if err := root.Decode(out); err != nil {
		// The walk accepts only what yaml.v3 can decode; reaching here is a
		// bug in the walk, still reported as a problem rather than a panic.
		d.addf(nodePos(root), "", "cannot decode: %v", err)
		return false
	}
	return true
}

func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.addf(Pos{Line: line, Col: 1}, "", "invalid YAML: %s", m[2])
		return
	}
	d.addf(Pos{Line: 1, Col: 1}, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// checkShape refuses anchors, aliases and merge keys (a manifest has no use
// for them, and they are how "billion laughs" files explode), and bounds the
// node count. It runs before anything expands an alias.
func (d *decoder) checkShape(root *yaml.Node) bool {
	count := 0
	ok := true
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if !ok {
			return
		}
		count++
		if count > maxNodes {
			d.addf(nodePos(n), "", "file has more than %d YAML nodes", maxNodes)
			ok = false
			return
		}
		switch {
		case n.Kind == yaml.AliasNode:
			d.addf(nodePos(n), "", "YAML aliases (*%s) are not allowed in manifests", n.Value)
			ok = false
			return
		case n.Anchor != "":
			d.addf(nodePos(n), "", "YAML anchors (&%s) are not allowed in manifests", n.Anchor)
			ok = false
			return
		case n.Tag == "!!merge":
			d.addf(nodePos(n), "", "YAML merge keys (<<) are not allowed in manifests")
			ok = false
			return
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(root)
	return ok
}

// decimalRE is a plain decimal integer: no sign but minus, no leading zero,
// no underscores, no base prefix.
var decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// walk checks node n against Go type t at field path path.
func (d *decoder) walk(n *yaml.Node, t reflect.Type, path string) {
	d.pos[path] = nodePos(n)
	if n.Tag == "!!null" {
		return // an empty value: required-field checks say what is missing
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		d.walkText(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.walkStruct(n, t, path)
	case reflect.Map:
		d.walkMap(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.addf(nodePos(n), path, "%s must be a list, not %s", fieldName(path), describe(n))
			return
		}
		for i, c := range n.Content {
			d.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.addf(nodePos(n), path, "%s must be a string, not %s", fieldName(path), describe(n))
		}
	case reflect.Int, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.addf(nodePos(n), path, "%s must be an integer, not %s", fieldName(path), describe(n))
			return
		}
		if n.Style != 0 || !decimalRE.MatchString(n.Value) {
			// YAML also reads 0x0D, 0o15, 1_3, +13 and !!int "13" as 13: a
			// reviewer reading the diff must see the number apply uses.
			d.addf(nodePos(n), path, "%s must be an integer written as a plain decimal number, not %s", fieldName(path), asWritten(n))
			return
		}
		if _, err := strconv.ParseInt(n.Value, 10, 32); err != nil {
			d.addf(nodePos(n), path, "%s: %s is out of range", fieldName(path), n.Value)
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			d.addf(nodePos(n), path, "%s must be a number, not %s", fieldName(path), describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.addf(nodePos(n), path, "%s must be true or false, not %s", fieldName(path), describe(n))
		}
	default:
		d.addf(nodePos(n), path, "%s has an unsupported type", fieldName(path))
	}
}

func (d *decoder) walkText(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.addf(nodePos(n), path, "%s must be a string, not %s", fieldName(path), describe(n))
		return
	}
	v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
	if err := v.UnmarshalText([]byte(n.Value)); err != nil {
		d.addf(nodePos(n), path, "%s: %q is not a valid duration (use e.g. 30m, 24h, 168h)", fieldName(path), n.Value)
	}
}

func (d *decoder) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(nodePos(n), path, "%s must be a mapping, not %s", fieldNameOr(path, "the document"), describe(n))
		return
	}
	fields := yamlFields(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addf(nodePos(k), path, "keys must be plain strings")
			continue
		}
		name := k.Value
		sub := join(path, name)
		if line, dup := seen[name]; dup {
			d.addf(nodePos(k), sub, "duplicate key %q (first defined on line %d)", name, line)
			continue
		}
		seen[name] = k.Line
		ft, ok := fields[name]
		if !ok {
			d.addf(nodePos(k), sub, "unknown field %q in %s%s", name, fieldNameOr(path, "the document"), suggest(name, fields))
			continue
		}
		d.keyPos[sub] = nodePos(k)
		d.walk(v, ft, sub)
	}
}

func (d *decoder) walkMap(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(nodePos(n), path, "%s must be a mapping, not %s", fieldName(path), describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int") {
			d.addf(nodePos(k), path, "keys of %s must be plain names", fieldName(path))
			continue
		}
		sub := join(path, k.Value)
		if line, dup := seen[k.Value]; dup {
			d.addf(nodePos(k), sub, "duplicate key %q (first defined on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		d.keyPos[sub] = nodePos(k)
		d.walk(v, t.Elem(), sub)
	}
}

// fieldCache holds yamlFields per struct type: the walk asks for every
// mapping node, and reflection over the same few types dominated it.
var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// yamlFields maps the YAML names of t's fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := computeYAMLFields(t)
	fieldCache.Store(t, m)
	return m
}

func computeYAMLFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

// asWritten shows a scalar roughly as the file writes it: tag and quotes
// included.
func asWritten(n *yaml.Node) string {
	v := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		v = strconv.Quote(v)
	}
	if n.Style&yaml.TaggedStyle != 0 {
		v = n.Tag + " " + v
	}
	return truncate(v, 40)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", truncate(n.Value, 40))
		case "!!int":
			return "the integer " + truncate(n.Value, 40)
		case "!!float":
			return "the number " + truncate(n.Value, 40)
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%q", truncate(n.Value, 40))
	}
	return "an unexpected value"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldName(path string) string { return fieldNameOr(path, "value") }

func fieldNameOr(path, fallback string) string {
	if path == "" {
		return fallback
	}
	return path
}

// suggest proposes the closest known field name for a misspelt one.
func suggest(name string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3
	lower := strings.ToLower(name)
	for f := range fields {
		if strings.ToLower(f) == lower {
			return fmt.Sprintf(" (did you mean %q?)", f)
		}
		if dist := levenshtein(lower, strings.ToLower(f)); dist < bestDist || (dist == bestDist && f < best) {
			best, bestDist = f, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
