package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type schemaDoc struct {
	root map[string]any
}

func loadSchema(t *testing.T, name string) schemaDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../docs/schema", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return schemaDoc{m}
}

// resolve follows a local "$ref": "#/$defs/x".
func (s schemaDoc) resolve(n map[string]any) map[string]any {
	ref, ok := n["$ref"].(string)
	if !ok {
		return n
	}
	name := strings.TrimPrefix(ref, "#/$defs/")
	return s.root["$defs"].(map[string]any)[name].(map[string]any)
}

// compare checks that schema node n describes Go type t, recursively.
func (s schemaDoc) compare(t *testing.T, path string, n map[string]any, typ reflect.Type) {
	t.Helper()
	n = s.resolve(n)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := ""
	switch {
	case typ == reflect.TypeOf(Duration{}), typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() == reflect.Int:
		want = "integer"
	case typ.Kind() == reflect.Float64:
		want = "number"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() == reflect.Slice:
		want = "array"
	case typ.Kind() == reflect.Struct, typ.Kind() == reflect.Map:
		want = "object"
	}
	got, _ := n["type"].(string)
	if c, ok := n["const"]; ok && got == "" {
		if _, isNum := c.(float64); isNum && want == "integer" {
			got = "integer"
		}
	}
	if e, ok := n["enum"].([]any); ok && got == "" && len(e) > 0 {
		if _, isStr := e[0].(string); isStr {
			got = "string"
		}
	}
	if got != want {
		t.Errorf("%s: schema type %q, Go type %s wants %q", path, got, typ, want)
		return
	}
	switch {
	case typ == reflect.TypeOf(Duration{}):
	case typ.Kind() == reflect.Slice:
		s.compare(t, path+"[]", n["items"].(map[string]any), typ.Elem())
	case typ.Kind() == reflect.Map:
		ap, ok := n["additionalProperties"].(map[string]any)
		if !ok {
			t.Errorf("%s: a map needs additionalProperties with a schema", path)
			return
		}
		s.compare(t, path+".*", ap, typ.Elem())
	case typ.Kind() == reflect.Struct:
		if n["additionalProperties"] != false {
			t.Errorf("%s: objects must set additionalProperties: false (unknown fields are errors)", path)
		}
		props, _ := n["properties"].(map[string]any)
		fields := computeYAMLFields(typ)
		var goNames, schemaNames []string
		for name := range fields {
			goNames = append(goNames, name)
		}
		for name := range props {
			schemaNames = append(schemaNames, name)
		}
		sort.Strings(goNames)
		sort.Strings(schemaNames)
		if !reflect.DeepEqual(goNames, schemaNames) {
			t.Errorf("%s: Go fields %v, schema properties %v", path, goNames, schemaNames)
			return
		}
		if req, ok := n["required"].([]any); ok {
			for _, r := range req {
				if _, ok := fields[r.(string)]; !ok {
					t.Errorf("%s: required %q is not a field", path, r)
				}
			}
		}
		for name, ft := range fields {
			s.compare(t, path+"."+name, props[name].(map[string]any), ft)
		}
	}
}

func TestSchemasMatchGoTypes(t *testing.T) {
	for _, c := range []struct {
		file string
		typ  reflect.Type
	}{{"config.schema.json", reflect.TypeOf(Config{})}, {"model.schema.json", reflect.TypeOf(Model{})}} {
		t.Run(c.file, func(t *testing.T) {
			s := loadSchema(t, c.file)
			s.compare(t, "", s.root, c.typ)
		})
	}
}

// validate checks a decoded YAML value against the schema keywords these
// schemas use (type, const, enum, pattern, min/max, length, items,
// properties, required, additionalProperties, $ref).
func (s schemaDoc) validate(path string, n map[string]any, v any) []string {
	n = s.resolve(n)
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if c, ok := n["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("want const %v, got %v", c, v)
	}
	if e, ok := n["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || fmt.Sprint(x) == fmt.Sprint(v)
		}
		if !found {
			fail("%v not in enum %v", v, e)
		}
	}
	switch x := v.(type) {
	case string:
		if p, ok := n["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fail("%q does not match %s", x, p)
		}
		errs = append(errs, bounds(path, n, "minLength", "maxLength", len(x))...)
	case int:
		errs = append(errs, s.checkNumber(path, n, float64(x))...)
	case float64:
		errs = append(errs, s.checkNumber(path, n, x)...)
	case []any:
		errs = append(errs, bounds(path, n, "minItems", "maxItems", len(x))...)
		if items, ok := n["items"].(map[string]any); ok {
			for i, e := range x {
				errs = append(errs, s.validate(fmt.Sprintf("%s[%d]", path, i), items, e)...)
			}
		}
	case map[string]any:
		errs = append(errs, bounds(path, n, "minProperties", "maxProperties", len(x))...)
		props, _ := n["properties"].(map[string]any)
		for k, e := range x {
			if p, ok := props[k].(map[string]any); ok {
				errs = append(errs, s.validate(path+"."+k, p, e)...)
			} else if ap, ok := n["additionalProperties"].(map[string]any); ok {
				errs = append(errs, s.validate(path+"."+k, ap, e)...)
			} else if n["additionalProperties"] == false {
				fail("unexpected property %q", k)
			}
		}
		if req, ok := n["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					fail("missing required %q", r)
				}
			}
		}
	}
	return errs
}

func bounds(path string, n map[string]any, minKey, maxKey string, size int) []string {
	var errs []string
	if m, ok := n[minKey].(float64); ok && float64(size) < m {
		errs = append(errs, fmt.Sprintf("%s: size %d < %s %v", path, size, minKey, m))
	}
	if m, ok := n[maxKey].(float64); ok && float64(size) > m {
		errs = append(errs, fmt.Sprintf("%s: size %d > %s %v", path, size, maxKey, m))
	}
	return errs
}

func (s schemaDoc) checkNumber(path string, n map[string]any, v float64) []string {
	var errs []string
	if m, ok := n["minimum"].(float64); ok && v < m {
		errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", path, v, m))
	}
	if m, ok := n["maximum"].(float64); ok && v > m {
		errs = append(errs, fmt.Sprintf("%s: %v > maximum %v", path, v, m))
	}
	if n["type"] == "integer" && v != math.Trunc(v) {
		errs = append(errs, fmt.Sprintf("%s: %v is not an integer", path, v))
	}
	return errs
}

func TestExampleFilesValidateAgainstSchema(t *testing.T) {
	files, _ := filepath.Glob("../../promotions/*.yaml")
	cfg, model := loadSchema(t, "config.schema.json"), loadSchema(t, "model.schema.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		s := model
		if filepath.Base(f) == ConfigFile {
			s = cfg
		}
		if errs := s.validate(filepath.Base(f), s.root, v); len(errs) > 0 {
			t.Errorf("%s:\n%s", f, strings.Join(errs, "\n"))
		}
	}
}

// The schema must reject what the loader rejects for structural reasons, so
// editors flag it while typing: a sample of the malformed corpus.
func TestSchemaRejectsStructuralMistakes(t *testing.T) {
	cfg, model := loadSchema(t, "config.schema.json"), loadSchema(t, "model.schema.json")
	for _, name := range []string{
		"config-unknown-top-field.yaml", "config-unknown-env-field.yaml", "config-account-short.yaml",
		"config-region-bogus.yaml", "config-approvals-zero.yaml", "config-unknown-report.yaml",
		"config-metric-path-bad.yaml", "config-format-version.yaml", "config-kms-alias.yaml",
		"model-version-zero.yaml", "model-instance-type.yaml", "model-strategy-unknown.yaml",
		"model-canary-too-big.yaml", "model-unknown-endpoint-field.yaml", "model-endpoint-name-invalid.yaml",
		"model-wait-too-long.yaml", "model-too-many-alarms.yaml", "model-stages-empty.yaml",
		"config-subnet-invalid.yaml", "model-serverless-memory.yaml", "model-data-capture-mode.yaml",
	} {
		data, err := os.ReadFile(filepath.Join("testdata/malformed", name))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := model
		if strings.HasPrefix(name, "config-") {
			s = cfg
		}
		if errs := s.validate(name, s.root, v); len(errs) == 0 {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
