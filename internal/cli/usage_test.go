package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/world"
)

// A wrong command line says what is wrong first, in one line, then the
// usage, and exits 2.
func TestUsageErrorsSayTheProblemFirst(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		first string
	}{
		{[]string{"propose", "--model", "m", "--stage", "prod"}, "modelpromote propose: which version? give --version V or --latest-approved"},
		{[]string{"propose", "--model", "m", "--stage", "prod", "--version", "3", "--latest-approved"}, "modelpromote propose: give --version or --latest-approved, not both"},
		{[]string{"check"}, "modelpromote check: --pr N is required: the pull request to check"},
		{[]string{"apply"}, "modelpromote apply: --pr N or --commit SHA is required: the merged pull request to apply"},
		{[]string{"apply", "--pr", "1", "--commit", "abc"}, "modelpromote apply: give --pr or --commit, not both"},
		{[]string{"plan"}, "modelpromote plan: give --base REF (with --head, --root), both --base-dir and --head-dir, or --pr N"},
		{[]string{"plan", "--base", "main", "--output", "yaml"}, `modelpromote plan: unknown --output "yaml" (text or json)`},
		{[]string{"validate", "--format", "xml"}, `modelpromote validate: unknown --format "xml" (auto, text or github)`},
		{[]string{"drift", "extra"}, `modelpromote drift: unexpected argument "extra": drift takes only flags`},
		{[]string{"validate", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, _, errOut := run(t, "", nil, tc.args...)
		first, rest, _ := strings.Cut(errOut, "\n")
		if code != ExitUsage || first != tc.first || !strings.Contains(rest, "Usage: modelpromote "+tc.args[0]) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant first line %q, then the usage", tc.args, code, errOut, tc.first)
		}
	}
}

// Flags may follow the positional arguments; "--" ends the flags.
func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	p := filepath.Join(dir, "promotions", "credit-risk.yaml")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "instanceCount: 2", "instanceCount: 0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, dir, nil, "validate", "promotions", "--format", "github")
	if code != ExitFail || !strings.HasPrefix(out, "::error col=22,file=promotions/credit-risk.yaml,line=17") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if code, _, errOut := run(t, dir, nil, "validate", "--", "--format"); code != ExitFail || !strings.Contains(errOut, "stat --format") {
		t.Errorf("after --: exit %d, %s", code, errOut)
	}
}

func TestHelpWithoutFlagsHasNoFlagsSection(t *testing.T) {
	code, _, errOut := run(t, "", nil, "action", "--help")
	if code != ExitOK || strings.Contains(errOut, "Flags:") || !strings.Contains(errOut, "Usage: modelpromote action") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	if _, _, errOut := run(t, "", nil, "validate", "--help"); !strings.Contains(errOut, "\nFlags:\n") {
		t.Errorf("validate --help:\n%s", errOut)
	}
}

// validate takes a directory however it is written (relative, absolute,
// with ".."), or single files, which are checked against the
// configuration beside them.
func TestValidatePaths(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	abs := filepath.Join(dir, "promotions")
	for _, tc := range []struct {
		cwd  string
		args []string
		out  string
	}{
		{"", []string{abs}, abs + ": 3 model(s) and the configuration are valid\n"},
		{filepath.Join(dir, "promotions"), []string{"../promotions"}, "../promotions: 3 model(s) and the configuration are valid\n"},
		{dir, []string{"promotions/fraud-detector.yaml", "promotions/modelpromote.yaml"},
			"promotions/fraud-detector.yaml is valid\npromotions/modelpromote.yaml is valid\n"},
	} {
		code, out, errOut := run(t, tc.cwd, nil, append([]string{"validate"}, tc.args...)...)
		if code != ExitOK || out != tc.out {
			t.Errorf("validate %v in %s: exit %d, stdout %q, stderr %q", tc.args, tc.cwd, code, out, errOut)
		}
	}
	// A single file reports its own problems only.
	bad := filepath.Join(dir, "promotions", "credit-risk.yaml")
	data, _ := os.ReadFile(bad)
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), "instanceCount: 2", "instanceCount: 0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, dir, nil, "validate", "promotions/fraud-detector.yaml"); code != ExitOK {
		t.Errorf("an unrelated bad file fails fraud-detector.yaml: %s", errOut)
	}
	code, _, errOut := run(t, dir, nil, "validate", bad)
	if code != ExitFail || !strings.Contains(errOut, bad+":17:22: instanceCount must be between 1 and 1000, found 0") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// --repo names the GitHub repository in every command; plan's old
// --github-repo still works, and says it is deprecated.
func TestPlanPreviewTakesRepoLikeEveryCommand(t *testing.T) {
	h := newHarness(t)
	n := h.promote(t)
	delete(h.env, "GITHUB_REPOSITORY")
	for _, flag := range []string{"--repo", "--github-repo"} {
		code, out, errOut := h.run(t, "plan", "--pr", strconv.Itoa(n), flag, world.Repo)
		if code != ExitFail || !strings.Contains(out, "Apply of #"+strconv.Itoa(n)+" would be refused") {
			t.Errorf("%s: exit %d\n%s\n%s", flag, code, out, errOut)
		}
		if deprecated := strings.Contains(errOut, "--github-repo is deprecated; use --repo"); deprecated != (flag == "--github-repo") {
			t.Errorf("%s: stderr %q", flag, errOut)
		}
	}
}
