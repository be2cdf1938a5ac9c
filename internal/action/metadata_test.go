package action

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
	"gopkg.in/yaml.v3"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// metadata is the part of action.yml the runner acts on.
type metadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func readMetadata(t *testing.T) metadata {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true) // a misspelt key is an error, as for the runner
	var m metadata
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return m
}

// actionlint lints workflows, not action metadata; this test is what
// validates action.yml: its shape, and that its inputs and outputs are
// exactly those the entry point reads and writes.
func TestActionMetadataMatchesTheEntryPoint(t *testing.T) {
	m := readMetadata(t)
	if m.Name == "" || m.Description == "" || m.Branding.Icon == "" || m.Branding.Color == "" {
		t.Errorf("name, description and branding are required for the Marketplace: %+v", m)
	}
	if m.Runs.Using != "docker" || m.Runs.Image != "Dockerfile" {
		t.Errorf("runs: %+v, want a docker action built from the Dockerfile", m.Runs)
	}

	// Inputs: every INPUT_* variable readInputs looks up.
	var read []string
	a := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read = append(read, strings.ToLower(name))
		}
		return ""
	}))
	if _, err := readInputs(a); err != nil {
		t.Fatal(err)
	}
	var declared []string
	for name, in := range m.Inputs {
		declared = append(declared, name)
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Required {
			t.Errorf("input %s is required: every input has a default or is optional", name)
		}
	}
	sort.Strings(read)
	sort.Strings(declared)
	if !slices.Equal(slices.Compact(read), declared) {
		t.Errorf("inputs read %v, action.yml declares %v", read, declared)
	}
	if d := m.Inputs["github-token"].Default; d == nil || *d != "${{ github.token }}" {
		t.Errorf("github-token default %v", d)
	}

	// Outputs: every output a check writes (the job that sets them all).
	dir := t.TempDir()
	file := filepath.Join(dir, "output")
	env := map[string]string{"GITHUB_OUTPUT": file, "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary")}
	a = githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&strings.Builder{}))
	// Every job kind's outputs: a check sets all but drift's and propose's, which set their own.
	reporter{a: a}.checked(Job{Command: CommandCheck, PR: 1}, &check.Result{Plan: &plan.Plan{}, Verdict: plan.StatusPass})
	reporter{a: a}.drifted(Job{Command: CommandDrift}, "main", &drift.Report{})
	reporter{a: a}.proposed(Job{Command: CommandPropose}, nil)
	written := slices.Compact(outputNames(t, file))
	var outs []string
	for name, o := range m.Outputs {
		outs = append(outs, name)
		if o.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	sort.Strings(outs)
	if !slices.Equal(written, outs) {
		t.Errorf("outputs written %v, action.yml declares %v", written, outs)
	}
}

func outputNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	delim := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case delim != "" && line == delim:
			delim = ""
		case delim == "":
			name, d, ok := strings.Cut(line, "<<")
			if !ok {
				t.Fatalf("output line %q", line)
			}
			names, delim = append(names, name), d
		}
	}
	sort.Strings(names)
	return names
}

// The image GitHub builds runs `modelpromote action`: the Dockerfile's last
// stage (the one `docker build` produces) has that entry point.
func TestDockerfileRunsTheAction(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var last, entry string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "FROM "):
			last, entry = line, ""
		case strings.HasPrefix(line, "ENTRYPOINT "):
			entry = line
		}
	}
	if !strings.Contains(last, "distroless/static") {
		t.Errorf("last stage %q is not distroless/static", last)
	}
	if entry != `ENTRYPOINT ["/usr/local/bin/modelpromote", "action"]` {
		t.Errorf("last stage's entry point %q", entry)
	}
}

// The released image (Dockerfile.release, around GoReleaser's binaries) is
// Dockerfile's `server` stage: same base, user and entry point.
func TestReleaseImageIsTheServerStage(t *testing.T) {
	stage := func(file, name string) (from, user, entry string) {
		t.Helper()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		in := name == ""
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 2 && f[0] == "FROM":
				in = name == "" || (len(f) == 4 && strings.EqualFold(f[2], "AS") && f[3] == name)
				if in {
					from = f[1]
				}
			case in && strings.HasPrefix(line, "USER "):
				user = line
			case in && strings.HasPrefix(line, "ENTRYPOINT "):
				entry = line
			}
		}
		return from, user, entry
	}
	fromS, userS, entryS := stage("../../Dockerfile", "server")
	fromR, userR, entryR := stage("../../Dockerfile.release", "")
	if fromS == "" || fromS != fromR || userS != userR || entryS != entryR {
		t.Errorf("Dockerfile server stage %q %q %q; Dockerfile.release %q %q %q", fromS, userS, entryS, fromR, userR, entryR)
	}
}
