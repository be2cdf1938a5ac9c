package ghemu

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestResponseValidationCatchesEmulatorBugs serves a deliberately wrong
// response for a documented operation and checks that it is recorded and,
// in strict mode, turned into a 500.
func TestResponseValidationCatchesEmulatorBugs(t *testing.T) {
	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"wrong type", map[string]any{"id": "not-a-number", "name": "x"}, http.StatusOK},
		{"undocumented success status", map[string]any{}, http.StatusAccepted},
	}
	for _, tt := range tests {
		for _, strict := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				var opts []Option
				if strict {
					opts = append(opts, WithStrictValidation())
				}
				e, err := New(opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				e.CreateRepo("acme/models", nil)
				tok := e.CreateUser("alice")
				rt := route{id: "repos/get", method: "GET", path: "/repos/{owner}/{repo}", handle: func(c *call) {
					c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
					c.w.WriteHeader(tt.status)
					b, _ := json.Marshal(tt.body)
					c.w.Write(b)
				}}
				mux := http.NewServeMux()
				mux.HandleFunc("GET /repos/{owner}/{repo}", func(w http.ResponseWriter, r *http.Request) { e.serve(rt, w, r) })
				req := httptest.NewRequest("GET", "/repos/acme/models", nil)
				req.Header.Set("Authorization", "token "+tok)
				req = req.WithContext(withAPIBase(req.Context(), e.srv.URL))
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)

				v := e.TakeValidationErrors()
				if len(v) != 1 || !v[0].Response {
					t.Fatalf("recorded %v", v)
				}
				want := tt.status
				if strict {
					want = http.StatusInternalServerError
				}
				if w.Code != want {
					t.Errorf("status %d, want %d", w.Code, want)
				}
				if strict && !strings.Contains(w.Body.String(), "OpenAPI") {
					t.Errorf("body %s", w.Body)
				}
			})
		}
	}
}
