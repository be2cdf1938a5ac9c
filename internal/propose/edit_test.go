package propose

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const file = "promotions/fraud-detector.yaml"

func TestSetVersionChangesOnlyTheVersionScalar(t *testing.T) {
	cases := []struct {
		name     string
		stage    string
		version  int
		from     int
		lineWant int
	}{
		{name: "example", stage: "prod", version: 12, from: 11, lineWant: 16},
		{name: "example", stage: "staging", version: 130, from: 12, lineWant: 10},
		{name: "comments", stage: "prod", version: 10, from: 9, lineWant: 9},
		{name: "comments", stage: "staging", version: 10, from: 9, lineWant: 17},
		{name: "flow", stage: "staging", version: 100, from: 99, lineWant: 4},
		{name: "flow", stage: "prod", version: 12, from: 11, lineWant: 4}, // after multi-byte characters on the line
		{name: "crlf", stage: "prod", version: 12, from: 11, lineWant: 13},
	}
	for _, c := range cases {
		t.Run(c.name+"-"+c.stage, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "edit", c.name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			e, err := SetVersion(file, in, c.stage, c.version)
			if err != nil {
				t.Fatal(err)
			}
			if e.From != c.from || e.To != c.version || e.Line != c.lineWant || !e.Changed() {
				t.Errorf("edit from %d to %d on line %d, want %d to %d on line %d", e.From, e.To, e.Line, c.from, c.version, c.lineWant)
			}
			golden(t, filepath.Join("edit", c.name+"-"+c.stage+".golden"), e.After)
			// Every byte outside the version line is the input's.
			before, after := lines(in), lines(e.After)
			if len(before) != len(after) {
				t.Fatalf("%d lines became %d", len(before), len(after))
			}
			for i := range before {
				if i != e.Line-1 && before[i] != after[i] {
					t.Errorf("line %d changed: %q → %q", i+1, before[i], after[i])
				}
			}
			old := strings.Replace(before[e.Line-1], strconv.Itoa(c.from), strconv.Itoa(c.version), 1)
			if after[e.Line-1] != old {
				t.Errorf("version line %q, want %q", after[e.Line-1], old)
			}
		})
	}
}

func TestSetVersionToTheSameVersionChangesNothing(t *testing.T) {
	in, _ := os.ReadFile("testdata/edit/example.yaml")
	e, err := SetVersion(file, in, "prod", 11)
	if err != nil {
		t.Fatal(err)
	}
	if e.Changed() || !bytes.Equal(e.After, in) {
		t.Error("setting the current version changed the file")
	}
}

func TestSetVersionRefuses(t *testing.T) {
	example, _ := os.ReadFile("testdata/edit/example.yaml")
	cases := []struct {
		name, data, stage string
		version           int
		want              string
	}{
		{"an unknown stage", string(example), "canary", 3, `no stage "canary"`},
		{"version zero", string(example), "prod", 0, "versions start at 1"},
		{"a hexadecimal version", strings.Replace(string(example), "version: 11", "version: 0xB", 1), "prod", 12, "plain decimal number"},
		{"a file that does not decode", "model: [", "prod", 12, "does not decode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := SetVersion(file, []byte(c.data), c.stage, c.version)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestDiffIsAUnifiedDiffOfTheVersionLine(t *testing.T) {
	in, _ := os.ReadFile("testdata/edit/example.yaml")
	e, err := SetVersion(file, in, "prod", 12)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "edit/example-prod.diff", []byte(Diff(file, e.Before, e.After)))
	if Diff(file, in, in) != "" {
		t.Error("a diff of equal files is not empty")
	}
}

func TestDiffMarksAMissingFinalNewline(t *testing.T) {
	got := Diff("f", []byte("a\nb\nc"), []byte("a\nb\nd"))
	want := "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+d\n\\ No newline at end of file\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
