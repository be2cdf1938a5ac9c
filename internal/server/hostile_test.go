package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/server"
)

// unreachable is a Connector for servers whose tests never get a delivery
// past the signature check: any job would fail to reach GitHub.
type unreachable struct{}

func (unreachable) Repo(context.Context, int64, string) (*github.Repo, error) {
	return nil, errors.New("no GitHub in this test")
}

func (unreachable) Installation(context.Context, string, string) (int64, error) {
	return 0, errors.New("no GitHub in this test")
}

// bareServer is a server with default limits behind a loopback listener.
func bareServer(t *testing.T, o server.Options) string {
	t.Helper()
	o.Secret, o.GitHub, o.BotLogin, o.AppID = []byte(secret), unreachable{}, "modelpromote[bot]", 1000
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL + "/webhook"
}

// zeros is a body of n zero bytes made as it is read, so the test's
// clients hold none of it.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// heapBytes is the live heap as the runtime counts it, without stopping
// the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHostileBurstOfLargeUnsignedBodiesStaysBounded is issue 12 §10: 32
// unsigned 25 MiB bodies sent at once. Bodies are read before their
// signature can be checked, so the server reads only as many at once as its
// body budget holds; the rest wait, then get 503. The heap stays far below
// the 800 MiB the burst carries (it reached 1.98 GB before the budget).
func TestHostileBurstOfLargeUnsignedBodiesStaysBounded(t *testing.T) {
	url := bareServer(t, server.Options{BodyWait: 500 * time.Millisecond})
	const clients, size = 32, 25 << 20
	base := heapBytes()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapBytes(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 60 * time.Second}
	for range clients {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, url, &zeros{n: size})
			req.ContentLength = size
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-GitHub-Delivery", "hostile")
			code := 0 // the server may close a connection whose body it will not read
			if resp, err := client.Do(req); err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	grown := int64(peak.Load()) - int64(base)
	t.Logf("answers %v; peak heap %d MiB above the start", codes, grown>>20)
	if codes[http.StatusAccepted] > 0 || codes[http.StatusOK] > 0 {
		t.Errorf("an unsigned delivery was taken: %v", codes)
	}
	if codes[http.StatusUnauthorized] == 0 {
		t.Errorf("no body was read and refused for its signature: %v", codes)
	}
	if grown > 150<<20 {
		t.Errorf("the heap grew by %d MiB under %d unsigned %d MiB bodies; want under 150 MiB", grown>>20, clients, size>>20)
	}
}

func TestContentLengthOverTheCapIsRefusedUnread(t *testing.T) {
	url := bareServer(t, server.Options{})
	var read atomic.Int64
	body := io.TeeReader(&zeros{n: 26 << 20}, writerFunc(func(p []byte) (int, error) { read.Add(int64(len(p))); return len(p), nil }))
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.ContentLength = 26 << 20
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	}
	// The client may have pushed some bytes into socket buffers before it saw
	// the answer; it never got to send the 26 MiB.
	if n := read.Load(); n >= 26<<20 {
		t.Errorf("the whole %d-byte body was sent", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestSignedDeliveryWithUnsupportedContentTypeIs415(t *testing.T) {
	url := bareServer(t, server.Options{})
	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	for _, c := range []struct {
		contentType string
		signature   string
		want        int
	}{
		{"text/plain", "sha256=" + hex.EncodeToString(mac.Sum(nil)), http.StatusUnsupportedMediaType},
		{"application/xml", "sha256=" + hex.EncodeToString(mac.Sum(nil)), http.StatusUnsupportedMediaType},
		{"text/plain", "sha256=" + hex.EncodeToString(make([]byte, 32)), http.StatusUnauthorized},
		{"application/json", "sha256=" + hex.EncodeToString(mac.Sum(nil)), http.StatusOK}, // ping
	} {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", c.contentType)
		req.Header.Set("X-Hub-Signature-256", c.signature)
		req.Header.Set("X-GitHub-Event", "ping")
		req.Header.Set("X-GitHub-Delivery", "d-"+c.contentType+c.signature[:12])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s signed %s…: status %d, want %d", c.contentType, c.signature[:16], resp.StatusCode, c.want)
		}
	}
}
