package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Every `--output json` validates against its schema in docs/schema, and
// every key in it is lowerCamelCase (the schemas say so).

// schemaDir is docs/schema, found before any test changes directory.
var schemaDir, _ = filepath.Abs(filepath.Join("..", "..", "docs", "schema"))

func schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(filepath.Join(schemaDir, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// validJSON checks that out is one JSON document valid against schema name.
func validJSON(t *testing.T, name, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := schema(t, name).Validate(v); err != nil {
		var b strings.Builder
		if verr, ok := err.(*jsonschema.ValidationError); ok {
			for _, e := range verr.BasicOutput().Errors {
				if e.Error != "" {
					b.WriteString("\n  " + e.InstanceLocation + ": " + e.Error)
				}
			}
		}
		t.Errorf("output does not validate against %s:%s\n%#v\n%.3000s", name, b.String(), err, out)
	}
}

// The schemas reject what issue 16 found: Go field names.
func TestOutputSchemasRejectGoFieldNames(t *testing.T) {
	for name, doc := range map[string]string{
		"plan.schema.json":    `{"verdict": "pass", "base": "a", "head": "b", "dir": "promotions", "promotions": [], "configChanged": false, "findings": [], "actions": [], "Plan": {}}`,
		"preview.schema.json": `{"verdict": "refused", "pullRequest": 1, "refused": ["x"], "promotions": [], "Refused": []}`,
		"propose.schema.json": `[{"Model": "m", "Stage": "prod", "After": "staging", "Version": 3, "State": "soaking"}]`,
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema(t, name).Validate(v); err == nil {
			t.Errorf("%s accepts %s", name, doc)
		}
	}
}

func TestPlanJSONHasAVerdictAndValidates(t *testing.T) {
	base, head := twoTrees(t, "fraud-detector.yaml", "version: 11", "version: 12")
	code, out, errOut := run(t, "", nil, "plan", "--base-dir", base, "--head-dir", head, "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	validJSON(t, "plan.schema.json", out)
	if !strings.Contains(out, `"verdict": "unchecked"`) {
		t.Errorf("no verdict:\n%s", out)
	}
}

func TestCheckPreviewAndProposeJSONValidate(t *testing.T) {
	h := newHarness(t)
	n := h.promote(t)
	code, out, errOut := h.run(t, "check", "--pr", strconv.Itoa(n), "--output", "json")
	if code != ExitOK {
		t.Fatalf("check: exit %d\n%s", code, errOut)
	}
	validJSON(t, "plan.schema.json", out)
	if !strings.Contains(out, `"commentUrl": "`) || !strings.Contains(out, `"verdict": "pending"`) {
		t.Errorf("check json:\n%.2000s", out)
	}

	// An open pull request: the preview says apply would refuse.
	code, out, _ = h.run(t, "plan", "--pr", strconv.Itoa(n), "--output", "json")
	if code != ExitFail {
		t.Errorf("plan --pr on an open pull request: exit %d", code)
	}
	validJSON(t, "preview.schema.json", out)
	if !strings.Contains(out, `"verdict": "refused"`) {
		t.Errorf("preview:\n%s", out)
	}

	code, out, errOut = h.run(t, "propose", "--model", "fraud-detector", "--stage", "prod", "--version", "12", "--output", "json")
	if code != ExitOK {
		t.Fatalf("propose: exit %d\n%s", code, errOut)
	}
	validJSON(t, "propose.schema.json", out)
	code, out, errOut = h.run(t, "propose", "--due", "--output", "json")
	if code != ExitOK {
		t.Fatalf("propose --due: exit %d\n%s", code, errOut)
	}
	validJSON(t, "propose.schema.json", out)
}

func TestPreviewOfAMergedPullRequestValidates(t *testing.T) {
	h := newHarness(t)
	n := h.merged(t)
	code, out, errOut := h.run(t, "plan", "--pr", strconv.Itoa(n), "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	validJSON(t, "preview.schema.json", out)
	if !strings.Contains(out, `"verdict": "apply"`) || !strings.Contains(out, `"copies": [`) {
		t.Errorf("preview:\n%s", out)
	}
}

func TestProposeLocalJSONValidates(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	code, out, errOut := run(t, dir, nil, "propose", "--local", "--model", "fraud-detector", "--stage", "prod", "--version", "12", "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	validJSON(t, "propose.schema.json", out)
	var got localEditJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || !got.Changed || got.FromVersion != 11 || got.Version != 12 ||
		!strings.Contains(got.Diff, "+    version: 12\n") {
		t.Errorf("%+v (%v)", got, err)
	}
}

func TestDriftJSONValidates(t *testing.T) {
	h := newHarness(t)
	code, out, errOut := h.run(t, "drift", "--root", "../..", "--output", "json")
	validJSON(t, "drift.schema.json", out)
	// The example world serves what the example manifests say in staging
	// and prod of fraud-detector only.
	if code != ExitFail || !strings.Contains(out, `"verdict": "drift"`) {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// Without credentials nothing can be read: drift never says "no drift"
// then, and exits 2.
func TestDriftThatReadsNothingSaysSoAndExitsTwo(t *testing.T) {
	h := newHarness(t)
	h.f.AWSConfig = func(context.Context, Connection) (aws.Config, error) {
		cfg := h.w.BotAWS()
		cfg.Credentials = aws.AnonymousCredentials{}
		cfg.RetryMaxAttempts = 1
		return cfg, nil
	}
	code, out, errOut := h.run(t, "drift", "--root", "../..")
	if code != 2 || !strings.Contains(out, "None of the 6 stages could be read: drift is unknown.") || strings.Contains(out, "No drift") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = h.run(t, "drift", "--root", "../..", "--output", "json")
	validJSON(t, "drift.schema.json", out)
	if code != 2 || !strings.Contains(out, `"verdict": "unread"`) || !strings.Contains(out, `"read": 0`) {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestStatusAndHistoryJSONValidate(t *testing.T) {
	h := newHarness(t)
	n := h.merged(t)
	if code, out, errOut := h.run(t, "apply", "--pr", strconv.Itoa(n)); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, errOut := h.run(t, "status", "--root", "../..", "--offline", "--output", "json")
	validJSON(t, "status.schema.json", out)
	if !strings.Contains(out, `"servedVersion": 13`) {
		t.Errorf("status:\n%s\n%s", out, errOut)
	}
	code, out, errOut := h.run(t, "history", "--root", "../..", "--model", "fraud-detector", "--stage", "staging", "--verify", "--output", "json")
	validJSON(t, "history.schema.json", out)
	if code != ExitOK || !strings.Contains(out, `"entries": [`) || !strings.Contains(out, `"verified": true`) {
		t.Errorf("history: exit %d\n%.3000s\n%s", code, out, errOut)
	}
}
