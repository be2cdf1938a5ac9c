// Package policy holds the promotion rules that act on a configuration: the
// order of stages, threshold verdicts and approval gates. It is plain Go: it
// knows nothing of AWS or GitHub, and takes the facts it judges as values.
package policy

import (
	"sort"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// StageOrder returns the environments' names so that every stage comes after
// the stage its `after` names; ties keep the configuration's order. The
// configuration must be free of cycles (manifest checks guarantee it).
func StageOrder(cfg *manifest.Config) []string {
	index := map[string]int{}
	for i, e := range cfg.Environments {
		index[e.Name] = i
	}
	depth := map[string]int{}
	var depthOf func(name string, seen int) int
	depthOf = func(name string, seen int) int {
		if d, ok := depth[name]; ok {
			return d
		}
		env, ok := cfg.Environment(name)
		if !ok || env.After == "" || seen > len(cfg.Environments) {
			return 0
		}
		d := depthOf(env.After, seen+1) + 1
		depth[name] = d
		return d
	}
	names := make([]string, 0, len(cfg.Environments))
	for _, e := range cfg.Environments {
		names = append(names, e.Name)
	}
	sort.SliceStable(names, func(i, j int) bool {
		di, dj := depthOf(names[i], 0), depthOf(names[j], 0)
		if di != dj {
			return di < dj
		}
		return index[names[i]] < index[names[j]]
	})
	return names
}

// Rank returns the position of stage in StageOrder, or -1.
func Rank(cfg *manifest.Config, stage string) int {
	for i, s := range StageOrder(cfg) {
		if s == stage {
			return i
		}
	}
	return -1
}

// Next returns the stages whose `after` is stage.
func Next(cfg *manifest.Config, stage string) []string {
	var out []string
	for _, e := range cfg.Environments {
		if e.After == stage {
			out = append(out, e.Name)
		}
	}
	return out
}
