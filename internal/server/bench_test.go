package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/server"
)

// noGitHub is a Connector for benchmarks of the acknowledgement path,
// which never reaches GitHub (workers are not started).
type noGitHub struct{}

func (noGitHub) Repo(context.Context, int64, string) (*github.Repo, error) {
	return nil, fmt.Errorf("not connected")
}

func (noGitHub) Installation(context.Context, string, string) (int64, error) {
	return 0, fmt.Errorf("not connected")
}

// deliveries builds n signed pull_request.synchronize deliveries for
// distinct pull requests, shaped like GitHub's.
func deliveries(b *testing.B, n int) [][]byte {
	b.Helper()
	raw, err := os.ReadFile("../emulator/github/examples/pull_request.synchronize.json")
	if err != nil {
		b.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		payload["number"] = i + 1
		payload["pull_request"].(map[string]any)["number"] = i + 1
		body, _ := json.Marshal(payload)
		out[i] = body
	}
	return out
}

func ackServer(b *testing.B, queue int) (*httptest.Server, *server.Server) {
	b.Helper()
	s, err := server.New(server.Options{Secret: []byte(secret), GitHub: noGitHub{}, BotLogin: "modelpromote[bot]", AppID: 1000, QueueSize: queue, Deliveries: queue})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	b.Cleanup(hs.Close)
	return hs, s
}

func ackPost(client *http.Client, url string, body []byte, guid string) (time.Duration, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", guid)
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// BenchmarkWebhookAck measures how many signed deliveries per second the
// server acknowledges on loopback (verify, deduplicate, route, enqueue),
// with 8 concurrent senders, and the p99 acknowledgement latency.
func BenchmarkWebhookAck(b *testing.B) {
	bodies := deliveries(b, 1024)
	hs, _ := ackServer(b, b.N+1024)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var lat []time.Duration
	var seq int64
	b.SetParallelism(4) // 4 × GOMAXPROCS senders
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			mu.Lock()
			seq++
			i := seq
			mu.Unlock()
			d, err := ackPost(client, hs.URL, bodies[i%int64(len(bodies))], fmt.Sprintf("bench-%d", i))
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, d)
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "acks/s")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkWebhook10000AtFixedRate sends 10,000 deliveries at a fixed 1,000
// per second and reports the p50 and p99 acknowledgement latency and the
// heap the server holds for them (queued jobs and remembered delivery IDs).
func BenchmarkWebhook10000AtFixedRate(b *testing.B) {
	const n, rate = 10_000, 1000
	bodies := deliveries(b, 1024)
	for i := 0; i < b.N; i++ {
		hs, s := ackServer(b, n+1)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		for k := 0; k < n; k++ {
			<-tick.C
			wg.Go(func() {
				d, err := ackPost(client, hs.URL, bodies[k%len(bodies)], fmt.Sprintf("fixed-%d-%d", i, k))
				if err != nil {
					b.Error(err)
				}
				lat[k] = d
			})
		}
		tick.Stop()
		wg.Wait()
		runtime.GC()
		runtime.ReadMemStats(&after)
		slices.Sort(lat)
		b.ReportMetric(float64(lat[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[n*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "heap-MiB")
		hs.Close()
		_ = s
	}
}
