package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

func TestProposeLocalEditsTheFileAndPrintsTheDiff(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	path := filepath.Join(dir, "promotions", "fraud-detector.yaml")
	before, _ := os.ReadFile(path)
	code, out, errOut := run(t, dir, nil, "propose", "--local", "--model", "fraud-detector", "--stage", "prod", "--version", "12")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "--- a/promotions/fraud-detector.yaml\n") || !strings.Contains(out, "\n-    version: 11\n+    version: 12\n") {
		t.Errorf("diff:\n%s", out)
	}
	after, _ := os.ReadFile(path)
	if want := bytes.Replace(before, []byte("  prod:\n    version: 11\n"), []byte("  prod:\n    version: 12\n"), 1); !bytes.Equal(after, want) {
		t.Errorf("file:\n%s", after)
	}
	// Again: nothing to change, nothing printed.
	code, out, _ = run(t, dir, nil, "propose", "--local", "--model", "fraud-detector", "--stage", "prod", "--version", "12")
	if code != ExitOK || out != "" {
		t.Errorf("second run: exit %d, %q", code, out)
	}
}

func TestProposeFlagErrorsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"propose", "--model", "m", "--stage", "prod"},
		{"propose", "--model", "m", "--stage", "prod", "--version", "3", "--latest-approved"},
		{"propose", "--due", "--model", "m"},
		{"propose", "--stage", "prod", "--version", "3"},
	} {
		if code, _, _ := run(t, "", nil, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestProposeLocalUnknownStageFails(t *testing.T) {
	dir := t.TempDir()
	copyExample(t, dir)
	code, _, errOut := run(t, dir, nil, "propose", "--local", "--model", "fraud-detector", "--stage", "canary", "--version", "12")
	if code != ExitFail || !strings.Contains(errOut, `stage "canary"`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func cliWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.New(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions("fraud-detector", 13); err != nil {
		t.Fatal(err)
	}
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 12, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestProposeOpensThenUpdatesOnePullRequest(t *testing.T) {
	w := cliWorld(t)
	o := proposeOptions{Model: "fraud-detector", Stage: "staging", Version: 13, Output: "text"}
	env := propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS()}
	var out, errb bytes.Buffer
	s := Streams{Out: &out, Err: &errb}
	if code := o.runGitHub(t.Context(), s, env); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "opened #1: Promote fraud-detector v13 to staging\n") {
		t.Errorf("stdout %q", out.String())
	}
	out.Reset()
	if code := o.runGitHub(t.Context(), s, env); code != ExitOK || !strings.HasPrefix(out.String(), "unchanged #1:") {
		t.Errorf("second: exit %d, %q", code, out.String())
	}
}

func TestProposeDueListsWhatWaits(t *testing.T) {
	w := cliWorld(t)
	o := proposeOptions{Due: true, Output: "text"}
	var out, errb bytes.Buffer
	env := propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), Now: func() time.Time { return time.Now().Add(time.Hour) }}
	if code := o.runDue(t.Context(), Streams{Out: &out, Err: &errb}, env); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// staging serves v12 for an hour of prod's 24h soak.
	if !strings.Contains(out.String(), "fraud-detector v12 → prod: soaking until ") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

func TestDriftExitsOneAfterAnOutOfBandDeploy(t *testing.T) {
	w := cliWorld(t)
	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	o := driftOptions{Root: "../..", Dir: "promotions", Output: "text"}
	set, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	stages := endpoints.NewStages(accounts.New(accounts.Options{Base: w.BotAWS()}))
	if code := o.run(t.Context(), Streams{Out: &out, Err: &errb}, set, stages); code != ExitFail {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "fraud-detector/staging: the manifest says staging runs v12, but endpoint fraud-detector-staging serves v13") {
		t.Errorf("stdout:\n%s", out.String())
	}
	o.Output = "json"
	out.Reset()
	o.run(t.Context(), Streams{Out: &out, Err: &errb}, set, stages)
	if !strings.Contains(out.String(), `"serving": 13`) {
		t.Errorf("json:\n%s", out.String())
	}
}
