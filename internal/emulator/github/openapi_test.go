package ghemu_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
)

// recordingTB stands in for the test an emulator reports to, so that a test
// can check that the emulator would have failed it.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// rawRequest sends body as-is with the given token.
func rawRequest(t *testing.T, e *ghemu.Emulator, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, strings.TrimSuffix(e.URL(), "/")+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestOpenAPIValidationCatchesBadRequests(t *testing.T) {
	tb := &recordingTB{TB: t}
	e := ghemutest.New(tb)
	sha, _ := e.CreateRepo(repoName, map[string]string{"a": "b"})
	tok := mustToken(t, e, e.Install("acme"))

	tests := []struct {
		name       string
		method     string
		path, body string
		status     int
		mentions   string
	}{
		{"enum value outside the description", "POST", "/repos/acme/models/check-runs",
			`{"name":"x","head_sha":"` + sha + `","status":"bogus"}`, http.StatusUnprocessableEntity, "status"},
		{"missing required field", "POST", "/repos/acme/models/check-runs",
			`{"name":"x"}`, http.StatusUnprocessableEntity, "head_sha"},
		{"wrong type", "POST", "/repos/acme/models/statuses/" + sha,
			`{"state":"success","description":42}`, http.StatusUnprocessableEntity, "description"},
		{"undocumented path", "GET", "/repos/acme/models/hooks", "", http.StatusNotFound, "no emulated operation"},
		{"undocumented method", "DELETE", "/repos/acme/models/pulls/1", "", http.StatusNotFound, "no emulated operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, e, tt.method, tt.path, tok, tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
			if !strings.Contains(body, `"message"`) || !strings.Contains(body, `"documentation_url"`) {
				t.Errorf("error body not GitHub-shaped: %s", body)
			}
			v := e.ValidationErrors()
			if len(v) == 0 || !strings.Contains(v[len(v)-1].String(), tt.mentions) {
				t.Errorf("recorded %v, want one mentioning %q", v, tt.mentions)
			}
		})
	}
	if runs := e.CheckRuns(repoName, ""); len(runs) != 0 {
		t.Errorf("invalid requests created check runs: %+v", runs)
	}

	tb.runCleanups()
	if len(tb.errors) != len(tests) {
		t.Errorf("New(t) reported %d failures at cleanup, want %d: %q", len(tb.errors), len(tests), tb.errors)
	}
}

func TestEveryServedOperationIsInTheSubset(t *testing.T) {
	e := ghemutest.New(t)
	f, err := os.Open("openapi/operations.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			listed = append(listed, l)
		}
	}
	served := e.Operations()
	sort.Strings(listed)
	sort.Strings(served)
	if strings.Join(listed, "\n") != strings.Join(served, "\n") {
		t.Errorf("operations.txt and the routes differ:\nlisted %v\nserved %v", listed, served)
	}
}
