package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelpromote/modelpromote/internal/github"
)

type noGitHub struct{}

func (noGitHub) Repo(context.Context, int64, string) (*github.Repo, error) {
	return nil, errors.New("no GitHub in this test")
}

func (noGitHub) Installation(context.Context, string, string) (int64, error) {
	return 0, errors.New("no GitHub in this test")
}

const fuzzSecret = "fuzz secret"

func hmacHex(body []byte) string {
	m := hmac.New(sha256.New, []byte(fuzzSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// FuzzWebhook feeds the handler arbitrary headers and bodies: it never
// panics, and only a body carrying its valid signature is ever queued.
func FuzzWebhook(f *testing.F) {
	repo := `"repository":{"full_name":"acme/p","default_branch":"main"},"installation":{"id":7},"sender":{"login":"alice","type":"User"}`
	for _, seed := range []struct {
		event, body string
	}{
		{"pull_request", `{"action":"opened","pull_request":{"number":3},` + repo + `}`},
		{"pull_request", `{"action":"closed","pull_request":{"number":3,"merged":true,"merge_commit_sha":"abc","base":{"ref":"main"}},` + repo + `}`},
		{"push", `{"ref":"refs/heads/main","after":"def",` + repo + `}`},
		{"issue_comment", `{"action":"created","issue":{"number":3,"pull_request":{}},"comment":{"body":"/modelpromote plan","user":{"login":"a"}},` + repo + `}`},
		{"check_run", `{"action":"rerequested","check_run":{"name":"modelpromote","head_sha":"h"},` + repo + `}`},
		{"ping", `{"zen":"hi"}`},
		{"pull_request", `{"action":"opened","pull_request":null,"repository":null}`},
		{"pull_request", `[]`},
	} {
		f.Add(seed.event, "guid-1", "application/json", "", []byte(seed.body), true)
		f.Add(seed.event, "guid-2", "application/json", "sha256=00", []byte(seed.body), false)
		f.Add(seed.event, "guid-3", "application/x-www-form-urlencoded", "", []byte("payload="+seed.body), true)
	}
	f.Fuzz(func(t *testing.T, event, guid, contentType, signature string, body []byte, signIt bool) {
		s, err := New(Options{Secret: []byte(fuzzSecret), GitHub: noGitHub{}, BotLogin: "modelpromote[bot]", AppID: 1000, QueueSize: 4, MaxBody: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		if signIt {
			signature = hmacHex(body)
		}
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		for k, v := range map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": guid, "Content-Type": contentType, "X-Hub-Signature-256": signature} {
			if v != "" {
				req.Header[k] = []string{v}
			}
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		waiting, _ := s.queue.depth()
		valid := len(body) <= 1<<16 && hmac.Equal([]byte(signature), []byte(hmacHex(body)))
		if !valid {
			if waiting != 0 {
				t.Fatalf("an unsigned or forged body was queued (status %d)", rec.Code)
			}
			if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("invalid signature answered %d", rec.Code)
			}
		}
		if rec.Code == http.StatusAccepted && (!valid || waiting != 1) {
			t.Fatalf("202 with valid=%v and %d queued", valid, waiting)
		}
	})
}
