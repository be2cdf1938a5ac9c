package manifest

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// positions remembers where each field of a decoded file was written.
type positions struct {
	value map[string]Pos
	key   map[string]Pos
}

// Of returns the position of the value at field path p, falling back to its
// closest ancestor that has one, then to the top of the file.
func (ps positions) Of(p string) Pos {
	for {
		if pos, ok := ps.value[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return Pos{Line: 1, Col: 1}
		}
		p = p[:i]
	}
}

// has reports whether field path p was written in the file.
func (ps positions) has(p string) bool {
	_, ok := ps.key[p]
	if !ok {
		_, ok = ps.value[p]
	}
	return ok
}

// KeyOf returns the position of the key of field path p (where the field is
// named), falling back to Of.
func (ps positions) KeyOf(p string) Pos {
	if pos, ok := ps.key[p]; ok {
		return pos
	}
	return ps.Of(p)
}

// ConfigDoc is a loaded configuration file.
type ConfigDoc struct {
	*Config
	File string
	positions
}

// ModelDoc is a loaded model file.
type ModelDoc struct {
	*Model
	File string
	positions
}

// ParseConfig decodes and checks a configuration file. The document is nil
// when the file cannot be decoded; otherwise it is returned even when the
// checks found problems, so that callers can still point at positions.
func ParseConfig(file string, data []byte) (*ConfigDoc, Problems) {
	d := newDecoder(file)
	var c Config
	if !d.decode(data, &c) {
		d.problems.Sort()
		return nil, d.problems
	}
	doc := &ConfigDoc{Config: &c, File: file, positions: positions{d.pos, d.keyPos}}
	ps := checkConfig(doc)
	ps.Sort()
	return doc, ps
}

// ParseModel decodes and checks a model file on its own (checks against the
// configuration are CheckModels').
func ParseModel(file string, data []byte) (*ModelDoc, Problems) {
	d := newDecoder(file)
	var m Model
	if !d.decode(data, &m) {
		d.problems.Sort()
		return nil, d.problems
	}
	doc := &ModelDoc{Model: &m, File: file, positions: positions{d.pos, d.keyPos}}
	ps := checkModel(doc)
	ps.Sort()
	return doc, ps
}

// Tree is a snapshot of a repository's files: slash-separated paths relative
// to the repository root, mapped to their contents. Where a tree comes from
// (a directory, a git revision, the GitHub API) is the source's business.
type Tree map[string][]byte

// Set is the promotions directory of one tree, loaded.
type Set struct {
	// Dir is the promotions directory within the tree, e.g. "promotions".
	Dir string
	// Config is the configuration file, nil when missing or undecodable.
	Config *ConfigDoc
	// Models maps model name to its file.
	Models map[string]*ModelDoc
	// Files lists every manifest path that was read, sorted.
	Files []string
	// Problems are the problems of each file on its own.
	Problems Problems
}

// ConfigPath returns the path of the configuration file in dir.
func ConfigPath(dir string) string { return path.Join(dir, ConfigFile) }

// IsManifest reports whether a path in a tree is a manifest in dir.
func IsManifest(dir, p string) bool {
	if path.Dir(p) != path.Clean(dir) {
		return false
	}
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")
}

// Load loads every manifest directly in dir. Subdirectories and other files
// are ignored. Model files are checked on their own; use CheckModels to
// check them against a configuration.
func Load(tree Tree, dir string) *Set {
	dir = path.Clean(dir)
	s := &Set{Dir: dir, Models: map[string]*ModelDoc{}}
	for p := range tree {
		if IsManifest(dir, p) {
			s.Files = append(s.Files, p)
		}
	}
	sort.Strings(s.Files)
	cfgPath := ConfigPath(dir)
	type parsed struct {
		model    *ModelDoc
		config   *ConfigDoc
		problems Problems
	}
	results := make([]parsed, len(s.Files))
	parallel(len(s.Files), func(i int) {
		p := s.Files[i]
		switch {
		case p == cfgPath:
			results[i].config, results[i].problems = ParseConfig(p, tree[p])
		case path.Base(p) == "modelpromote.yml":
			results[i].problems = Problems{{File: p, Message: fmt.Sprintf("the configuration file must be named %s", ConfigFile)}}
		default:
			results[i].model, results[i].problems = ParseModel(p, tree[p])
		}
	})
	for i, r := range results {
		s.Problems = append(s.Problems, r.problems...)
		if r.config != nil {
			s.Config = r.config
		}
		doc := r.model
		if doc == nil {
			continue
		}
		if other, dup := s.Models[doc.Name]; dup && doc.Name != "" {
			s.Problems = append(s.Problems, Problem{File: s.Files[i], Pos: doc.Of("model"), Field: "model",
				Message: fmt.Sprintf("model %q is also defined in %s", doc.Name, other.File)})
			continue
		}
		s.Models[doc.Name] = doc
	}
	if s.Config == nil && !hasProblemIn(s.Problems, cfgPath) {
		s.Problems = append(s.Problems, Problem{File: cfgPath, Message: "configuration file not found"})
	}
	s.Problems.Sort()
	return s
}

func hasProblemIn(ps Problems, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

// Validate loads dir from tree and checks the models against the tree's own
// configuration: what `modelpromote validate` reports.
func Validate(tree Tree, dir string) (*Set, Problems) {
	s := Load(tree, dir)
	ps := append(Problems{}, s.Problems...)
	if s.Config != nil {
		ps = append(ps, CheckModels(s.Config, s.Models)...)
	}
	ps.Sort()
	return s, ps
}

// parallel runs f(0..n-1) on GOMAXPROCS workers. Parsing is CPU-bound and
// files are independent, so a large repository validates in proportion to
// its cores.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}
