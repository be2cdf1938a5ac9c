package github_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
	"github.com/modelpromote/modelpromote/internal/github"
)

func TestAppActsAsItsInstallation(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(*ghemu.Emulator) string
	}{
		{"dotcom form", (*ghemu.Emulator).URL},
		{"enterprise server form", (*ghemu.Emulator).EnterpriseURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := ghemutest.New(t)
			if _, err := emu.CreateRepo("acme/ml-promotions", map[string]string{"README.md": "hi\n"}); err != nil {
				t.Fatal(err)
			}
			inst := emu.Install("acme")
			info := emu.App()
			app, err := github.NewApp(info.ID, info.PrivateKeyPEM, tc.url(emu), emu.HTTPClient().Transport)
			if err != nil {
				t.Fatal(err)
			}
			var seen atomic.Int64
			app.OnResponse = func(id int64, resp *http.Response) {
				if id == inst && resp.Header.Get("X-RateLimit-Remaining") != "" {
					seen.Add(1)
				}
			}
			login, err := app.BotLogin(t.Context())
			if err != nil || login != info.BotLogin {
				t.Fatalf("bot login %q, %v; want %q", login, err, info.BotLogin)
			}
			got, err := app.Installation(t.Context(), "acme", "ml-promotions")
			if err != nil || got != inst {
				t.Fatalf("installation %d, %v; want %d", got, err, inst)
			}
			repo, err := app.Repo(t.Context(), 0, "acme/ml-promotions")
			if err != nil {
				t.Fatal(err)
			}
			if branch, err := repo.DefaultBranch(t.Context()); err != nil || branch != "main" {
				t.Fatalf("get repository: %q, %v", branch, err)
			}
			if _, err := app.Repo(t.Context(), 0, "acme/ml-promotions"); err != nil {
				t.Fatal(err)
			}
			if n := emu.Calls("apps/get-repo-installation"); n != 2 { // Installation, then the first Repo
				t.Errorf("looked the installation up %d times, want 2 (then remembered)", n)
			}
			if seen.Load() == 0 {
				t.Error("OnResponse saw no response with a rate limit")
			}
		})
	}
}

func TestNewAppRefusesABadKey(t *testing.T) {
	if _, err := github.NewApp(1, []byte("not a key"), "", nil); err == nil {
		t.Fatal("no error for a malformed key")
	}
	if _, err := github.NewApp(0, nil, "", nil); err == nil {
		t.Fatal("no error for app ID 0")
	}
}
