package manifest

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Promotion is one stage of one model moving to a version or endpoint
// configuration: what apply would deploy.
type Promotion struct {
	Model             string `json:"model"`
	Stage             string `json:"stage"`
	File              string `json:"file"`
	ModelPackageGroup string `json:"modelPackageGroup"`
	// FromModelPackageGroup is the group before the change ("" for a new
	// stage). A stage that changes group promotes a different model, even
	// when the version number stays.
	FromModelPackageGroup string `json:"fromModelPackageGroup,omitempty"`
	// FromVersion is the version before the change; 0 for a new stage.
	FromVersion int `json:"fromVersion"`
	ToVersion   int `json:"toVersion"`
	// From is the endpoint before the change; nil for a new stage.
	From *Endpoint `json:"from,omitempty"`
	To   Endpoint  `json:"to"`
	// Changes lists what changed besides the version, e.g.
	// "endpoint.instanceCount: 2 → 4".
	Changes []string `json:"changes,omitempty"`
	// Pos is where the stage's version is written in the head file.
	Pos Pos `json:"pos"`
}

// IsNew reports whether the stage did not exist before.
func (p Promotion) IsNew() bool { return p.From == nil }

// IsRollback reports whether the stage moves to an older version of the
// same model package group.
func (p Promotion) IsRollback() bool {
	return p.From != nil && !p.ChangesGroup() && p.ToVersion < p.FromVersion
}

// IsReconfiguration reports whether only the endpoint settings changed:
// same group, same version.
func (p Promotion) IsReconfiguration() bool {
	return p.From != nil && !p.ChangesGroup() && p.ToVersion == p.FromVersion
}

// ChangesGroup reports whether the stage moves to another model package
// group: a different model, which every gate judges as a new promotion.
// Compare always sets FromModelPackageGroup with From; a promotion built
// without it (an older serialized plan) is read as keeping its group.
func (p Promotion) ChangesGroup() bool {
	return p.From != nil && p.FromModelPackageGroup != "" && p.FromModelPackageGroup != p.ModelPackageGroup
}

// StageRef names one stage of one model.
type StageRef struct {
	Model   string `json:"model"`
	Stage   string `json:"stage"`
	File    string `json:"file"`
	Version int    `json:"version"`
}

// Rename is a model file that moved or a model that was renamed; models are
// matched by name, then by source model package group.
type Rename struct {
	FromFile  string `json:"fromFile"`
	ToFile    string `json:"toFile"`
	FromModel string `json:"fromModel"`
	ToModel   string `json:"toModel"`
}

// Diff is what changed between two loaded promotions directories.
type Diff struct {
	Promotions    []Promotion `json:"promotions"`
	NewModels     []string    `json:"newModels,omitempty"`
	RemovedModels []string    `json:"removedModels,omitempty"`
	RemovedStages []StageRef  `json:"removedStages,omitempty"`
	Renames       []Rename    `json:"renames,omitempty"`
	// ConfigChanged is true when the configuration file differs at all;
	// ConfigChanges names what differs ("environments.prod", "policy.stages.prod").
	ConfigChanged bool     `json:"configChanged"`
	ConfigChanges []string `json:"configChanges,omitempty"`
}

// Compare computes the changes from base to head. Files that failed to load
// in head are not compared (their problems are in head.Problems); a model
// whose head file is broken is neither promoted nor reported removed.
func Compare(base, head *Set, baseTree, headTree Tree) *Diff {
	d := &Diff{}
	cfgPath := ConfigPath(head.Dir)
	if string(baseTree[cfgPath]) != string(headTree[cfgPath]) {
		d.ConfigChanged = true
		d.ConfigChanges = configChanges(base.Config, head.Config)
	}
	broken := map[string]bool{}
	for _, p := range head.Problems {
		broken[p.File] = true
	}
	matched := map[string]string{} // head model name → base model name
	unmatchedBase := map[string]*ModelDoc{}
	for name, m := range base.Models {
		if _, ok := head.Models[name]; ok {
			matched[name] = name
		} else {
			unmatchedBase[name] = m
		}
	}
	for _, name := range sortedKeys(head.Models) {
		if _, ok := matched[name]; ok {
			continue
		}
		h := head.Models[name]
		for _, bn := range sortedKeys(unmatchedBase) {
			if unmatchedBase[bn].ModelPackageGroup == h.ModelPackageGroup {
				matched[name] = bn
				delete(unmatchedBase, bn)
				break
			}
		}
	}
	for _, name := range sortedKeys(head.Models) {
		h := head.Models[name]
		bn, ok := matched[name]
		if !ok {
			d.NewModels = append(d.NewModels, name)
			d.Promotions = append(d.Promotions, stagePromotions(nil, h)...)
			continue
		}
		b := base.Models[bn]
		if b.File != h.File || b.Name != h.Name {
			d.Renames = append(d.Renames, Rename{FromFile: b.File, ToFile: h.File, FromModel: b.Name, ToModel: h.Name})
		}
		d.Promotions = append(d.Promotions, stagePromotions(b, h)...)
		for _, stage := range sortedKeys(b.Stages) {
			if _, ok := h.Stages[stage]; !ok {
				d.RemovedStages = append(d.RemovedStages, StageRef{Model: h.Name, Stage: stage, File: h.File, Version: b.Stages[stage].Version})
			}
		}
	}
	headFiles := map[string]bool{}
	for _, f := range head.Files {
		headFiles[f] = true
	}
	for _, bn := range sortedKeys(unmatchedBase) {
		b := unmatchedBase[bn]
		if headFiles[b.File] && broken[b.File] {
			continue // still there, but unreadable: reported as a problem, not a removal
		}
		d.RemovedModels = append(d.RemovedModels, b.Name)
	}
	return d
}

// stagePromotions lists the stages of h that differ from b (b nil: all).
func stagePromotions(b, h *ModelDoc) []Promotion {
	var out []Promotion
	for _, stage := range sortedKeys(h.Stages) {
		hs := h.Stages[stage]
		p := Promotion{
			Model: h.Name, Stage: stage, File: h.File, ModelPackageGroup: h.ModelPackageGroup,
			ToVersion: hs.Version, To: hs.Endpoint, Pos: h.KeyOf("stages." + stage + ".version"),
		}
		if b != nil {
			if bs, ok := b.Stages[stage]; ok {
				ep := bs.Endpoint
				p.FromVersion, p.From, p.FromModelPackageGroup = bs.Version, &ep, b.ModelPackageGroup
				if b.ModelPackageGroup != h.ModelPackageGroup {
					p.Changes = append(p.Changes, fmt.Sprintf("modelPackageGroup: %s → %s", b.ModelPackageGroup, h.ModelPackageGroup))
				}
				p.Changes = append(p.Changes, fieldChanges("endpoint", reflect.ValueOf(bs.Endpoint), reflect.ValueOf(hs.Endpoint))...)
				if p.FromVersion == p.ToVersion && len(p.Changes) == 0 {
					continue
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// fieldChanges describes the differing leaf fields of two values of the same
// struct type, by YAML name.
func fieldChanges(prefix string, a, b reflect.Value) []string {
	if a.Kind() == reflect.Pointer {
		switch {
		case a.IsNil() && b.IsNil():
			return nil
		case a.IsNil() || b.IsNil():
			return []string{fmt.Sprintf("%s: %v → %v", prefix, display(a), display(b))}
		}
		return fieldChanges(prefix, a.Elem(), b.Elem())
	}
	if a.Kind() != reflect.Struct {
		if reflect.DeepEqual(a.Interface(), b.Interface()) {
			return nil
		}
		return []string{fmt.Sprintf("%s: %v → %v", prefix, display(a), display(b))}
	}
	var out []string
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		name := yamlName(t.Field(i))
		out = append(out, fieldChanges(prefix+"."+name, a.Field(i), b.Field(i))...)
	}
	return out
}

func display(v reflect.Value) any {
	if v.Kind() == reflect.String && v.String() == "" {
		return "(unset)"
	}
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0 {
		return "(none)"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(unset)"
		}
		return flow(v.Elem().Interface())
	}
	if v.Kind() == reflect.Map || v.Kind() == reflect.Slice {
		return flow(v.Interface())
	}
	return v.Interface()
}

// flow renders a value as the manifests write it, in YAML's flow style
// ({minInstances: 2, maxInstances: 8}), never with Go's field names.
func flow(v any) string {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	var set func(*yaml.Node)
	set = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			n.Style = yaml.FlowStyle
		}
		for _, c := range n.Content {
			set(c)
		}
	}
	set(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSpace(string(out))
}

func yamlName(f reflect.StructField) string {
	for name := range computeYAMLFields(reflect.StructOf([]reflect.StructField{f})) {
		return name
	}
	return f.Name
}

// configChanges names the parts of the configuration that differ.
func configChanges(b, h *ConfigDoc) []string {
	if b == nil || h == nil {
		return []string{ConfigFile}
	}
	var out []string
	if b.Version != h.Version {
		out = append(out, "version")
	}
	if !reflect.DeepEqual(b.Source, h.Source) {
		out = append(out, "source")
	}
	envs := map[string]bool{}
	for _, e := range b.Environments {
		envs[e.Name] = true
	}
	for _, e := range h.Environments {
		envs[e.Name] = true
	}
	for _, name := range sortedKeys(envs) {
		be, _ := b.Environment(name)
		he, _ := h.Environment(name)
		if !reflect.DeepEqual(be, he) {
			out = append(out, "environments."+name)
		}
	}
	if !reflect.DeepEqual(b.Policy.Owners, h.Policy.Owners) || b.Policy.OwnerApprovals != h.Policy.OwnerApprovals {
		out = append(out, "policy.owners")
	}
	stages := map[string]bool{}
	for s := range b.Policy.Stages {
		stages[s] = true
	}
	for s := range h.Policy.Stages {
		stages[s] = true
	}
	for _, s := range sortedKeys(stages) {
		if !reflect.DeepEqual(b.Policy.Stages[s], h.Policy.Stages[s]) {
			out = append(out, "policy.stages."+s)
		}
	}
	sort.Strings(out)
	return out
}
