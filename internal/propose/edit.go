package propose

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Edit is a model file with one stage's version changed.
type Edit struct {
	File          string
	Stage         string
	Before, After []byte
	From, To      int
	// Line is the line of the version scalar (1-based).
	Line int
}

// Changed reports whether the edit changes the file.
func (e *Edit) Changed() bool { return !bytes.Equal(e.Before, e.After) }

// SetVersion sets the version of stage in a model file. It finds the
// version scalar with yaml.v3's node API and splices the new number over
// its bytes, so comments, key order, quoting and line endings are kept
// byte for byte: only that scalar changes. The result is decoded again and
// must equal the original with that one version changed.
func SetVersion(file string, data []byte, stage string, version int) (*Edit, error) {
	if version < 1 {
		return nil, fmt.Errorf("version %d: versions start at 1", version)
	}
	before, ps := manifest.ParseModel(file, data)
	if before == nil {
		return nil, fmt.Errorf("%s does not decode: %w", file, ps)
	}
	if _, ok := before.Stages[stage]; !ok {
		return nil, fmt.Errorf("%s has no stage %q: add the stage with its endpoint by hand first", file, stage)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	node, err := versionNode(&root, stage)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	from, err := strconv.Atoi(node.Value)
	if err != nil || node.Style != 0 {
		return nil, fmt.Errorf("%s:%d:%d: the version of %s is written as %q; write it as a plain decimal number to let modelpromote edit it",
			file, node.Line, node.Column, stage, node.Value)
	}
	start, err := offset(data, node.Line, node.Column)
	if err != nil || !bytes.HasPrefix(data[start:], []byte(node.Value)) {
		return nil, fmt.Errorf("%s:%d:%d: cannot find the version of %s in the file's bytes", file, node.Line, node.Column, stage)
	}
	end := start + len(node.Value)
	out := make([]byte, 0, len(data)+4)
	out = append(out, data[:start]...)
	out = strconv.AppendInt(out, int64(version), 10)
	out = append(out, data[end:]...)

	after, ps := manifest.ParseModel(file, out)
	if after == nil {
		return nil, fmt.Errorf("%s: the edited file does not decode: %w", file, ps)
	}
	want := *before.Model
	want.Stages = map[string]manifest.Stage{}
	for k, v := range before.Stages {
		want.Stages[k] = v
	}
	st := want.Stages[stage]
	st.Version = version
	want.Stages[stage] = st
	if !reflect.DeepEqual(&want, after.Model) {
		return nil, fmt.Errorf("%s: editing the version of %s changed more than the version; edit it by hand", file, stage)
	}
	return &Edit{File: file, Stage: stage, Before: data, After: out, From: from, To: version, Line: node.Line}, nil
}

// versionNode finds stages.<stage>.version.
func versionNode(root *yaml.Node, stage string) (*yaml.Node, error) {
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, errors.New("not a single YAML document")
	}
	n := root.Content[0]
	for _, key := range []string{"stages", stage, "version"} {
		next := mappingValue(n, key)
		if next == nil {
			return nil, fmt.Errorf("no %s in the stages.%s mapping", key, stage)
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%d:%d: stages.%s.version is not a scalar", n.Line, n.Column, stage)
	}
	return n, nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// offset turns a yaml.v3 position (1-based line, 1-based column counted in
// characters) into a byte offset.
func offset(data []byte, line, col int) (int, error) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d is past the end", line)
		}
		off += i + 1
	}
	if line == 1 && bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		off += 3 // yaml.v3 does not count a byte order mark
	}
	for c := 1; c < col; c++ {
		if off >= len(data) || data[off] == '\n' {
			return 0, fmt.Errorf("column %d is past the end of line %d", col, line)
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off, nil
}
