package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI in-process in dir and returns exit code, stdout, stderr.
func run(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if dir != "" {
		t.Chdir(dir)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, NewFactory(Streams{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }}))
	return code, out.String(), errb.String()
}

func copyExample(t *testing.T, dst string) {
	t.Helper()
	paths, _ := filepath.Glob("../../promotions/*.yaml")
	if err := os.MkdirAll(filepath.Join(dst, "promotions"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "promotions", filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestValidateExampleExitsZero(t *testing.T) {
	code, out, errOut := run(t, "../..", nil, "validate", "promotions")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "3 model(s) and the configuration are valid") {
		t.Errorf("stdout = %q", out)
	}
}

// Every malformed corpus file, dropped into an otherwise valid promotions
// directory, makes validate exit 1 and print its expected position.
func TestValidateEachMalformedFileExitsOneWithPosition(t *testing.T) {
	corpus, _ := filepath.Glob("../manifest/testdata/malformed/*.yaml")
	if len(corpus) < 40 {
		t.Fatalf("corpus has %d files", len(corpus))
	}
	for _, f := range corpus {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		want := strings.TrimPrefix(lines[len(lines)-1], "# want: ")
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyExample(t, dir)
			target := filepath.Join(dir, "promotions", name)
			shown := "promotions/" + name
			if strings.HasPrefix(name, "config-") {
				target = filepath.Join(dir, "promotions", "modelpromote.yaml")
				shown = "promotions/modelpromote.yaml"
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := run(t, dir, nil, "validate", "promotions")
			if code != ExitFail {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(errOut, shown+":"+want+"\n") {
				t.Errorf("stderr lacks %q:\n%s", shown+":"+want, errOut)
			}
		})
	}
}

func TestValidateInActionsEmitsAnnotations(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	p := filepath.Join(dir, "promotions", "credit-risk.yaml")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(data, []byte("instanceCount: 2"), []byte("instanceCount: 0"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, dir, map[string]string{"GITHUB_ACTIONS": "true"}, "validate")
	if code != ExitFail {
		t.Fatalf("exit %d", code)
	}
	want := "::error col=22,file=promotions/credit-risk.yaml,line=17,title=modelpromote::instanceCount must be between 1 and 1000, found 0\n"
	if out != want {
		t.Errorf("stdout = %q\nwant     %q", out, want)
	}
}

func TestUnknownCommandAndBadFlagsAreUsageErrors(t *testing.T) {
	if code, _, _ := run(t, "", nil, "frobnicate"); code != ExitUsage {
		t.Errorf("unknown command exit %d", code)
	}
	if code, _, _ := run(t, "", nil, "validate", "--bogus"); code != ExitUsage {
		t.Errorf("bad flag exit %d", code)
	}
	if code, _, _ := run(t, "", nil, "plan"); code != ExitUsage {
		t.Errorf("plan without --base exit %d", code)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestPlanBetweenTwoCommitsAsJSON(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "base")
	p := filepath.Join(dir, "promotions", "fraud-detector.yaml")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(data, []byte("version: 11"), []byte("version: 12"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "promote fraud-detector 12 to prod")

	code, out, errOut := run(t, dir, nil, "plan", "--base", "HEAD~1", "--head", "HEAD", "--output", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Promotions []struct {
			Model       string `json:"model"`
			Stage       string `json:"stage"`
			FromVersion int    `json:"fromVersion"`
			ToVersion   int    `json:"toVersion"`
			Gates       []struct{ Gate, Status string }
		} `json:"promotions"`
		Actions []struct{ Kind string } `json:"actions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Promotions) != 1 || got.Promotions[0].Model != "fraud-detector" || got.Promotions[0].Stage != "prod" ||
		got.Promotions[0].FromVersion != 11 || got.Promotions[0].ToVersion != 12 {
		t.Fatalf("promotions = %+v", got.Promotions)
	}
	if len(got.Actions) != 5 {
		t.Errorf("actions = %+v", got.Actions)
	}

	code, out, _ = run(t, "", nil, "plan", "--base", "HEAD~1")
	if code != ExitOK || !strings.Contains(out, "fraud-detector  prod  v11 → v12") || !strings.Contains(out, "Apply would (5 steps)") {
		t.Errorf("text plan (exit %d):\n%s", code, out)
	}
}

func TestPlanBetweenTwoDirectories(t *testing.T) {
	base, head := twoTrees(t, "churn-predictor.yaml", "version: 7", "version: 8")
	code, out, errOut := run(t, "", nil, "plan", "--base-dir", base, "--head-dir", head)
	if code != ExitOK || !strings.Contains(out, "churn-predictor  staging  v7 → v8") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// twoTrees makes two copies of the example repository and edits file in
// the second (head) one, replacing from with to.
func twoTrees(t *testing.T, file, from, to string) (base, head string) {
	t.Helper()
	base, head = t.TempDir(), t.TempDir()
	copyExample(t, base)
	copyExample(t, head)
	p := filepath.Join(head, "promotions", file)
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, head
}
