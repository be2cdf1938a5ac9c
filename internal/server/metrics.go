package server

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics are the server's counters, written in the Prometheus text
// exposition format.
type metrics struct {
	mu         sync.Mutex
	received   map[string]uint64 // by event
	processed  map[string]uint64 // by event
	failed     map[string]uint64 // by event
	ignored    map[string]uint64 // by event
	rejected   map[string]uint64 // by reason
	duplicates uint64
	coalesced  uint64
	outcomes   map[string]uint64 // apply outcomes by state
	dashboards map[string]uint64 // dashboard updates by result
	rateLimit  map[int64]int64   // remaining, by installation
	applyDur   histogram
	checkDur   histogram
}

func newMetrics() *metrics {
	return &metrics{received: map[string]uint64{}, processed: map[string]uint64{}, failed: map[string]uint64{},
		ignored: map[string]uint64{}, rejected: map[string]uint64{}, outcomes: map[string]uint64{}, dashboards: map[string]uint64{}, rateLimit: map[int64]int64{},
		applyDur: newHistogram(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
		checkDur: newHistogram(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)}
}

func (m *metrics) inc(c map[string]uint64, label string) {
	m.mu.Lock()
	c[label]++
	m.mu.Unlock()
}

func (m *metrics) add(n *uint64) {
	m.mu.Lock()
	*n++
	m.mu.Unlock()
}

func (m *metrics) observe(h *histogram, d time.Duration) {
	m.mu.Lock()
	h.observe(d.Seconds())
	m.mu.Unlock()
}

// observeResponse keeps an installation's X-RateLimit-Remaining.
func (m *metrics) observeResponse(installation int64, resp *http.Response) {
	v := resp.Header.Get("X-RateLimit-Remaining")
	if v == "" {
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.rateLimit[installation] = n
	m.mu.Unlock()
}

type histogram struct {
	bounds []float64
	counts []uint64 // per bound, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func newHistogram(bounds ...float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.counts[i]++
	h.sum += v
	h.count++
}

// write writes every metric; gauges are read by the caller.
func (m *metrics) write(w io.Writer, queued, running, seen int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counter := func(name, help, label string, c map[string]uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for _, k := range sortedKeys(c) {
			fmt.Fprintf(w, "%s{%s=%q} %d\n", name, label, k, c[k])
		}
	}
	counter("modelpromote_webhook_events_received_total", "Validly signed webhook deliveries, by event.", "event", m.received)
	counter("modelpromote_webhook_events_ignored_total", "Deliveries that needed no work, by event.", "event", m.ignored)
	counter("modelpromote_webhook_rejected_total", "Deliveries refused, by reason.", "reason", m.rejected)
	counter("modelpromote_events_processed_total", "Jobs finished without error, by triggering event.", "event", m.processed)
	counter("modelpromote_events_failed_total", "Jobs that failed, by triggering event.", "event", m.failed)
	counter("modelpromote_apply_outcomes_total", "Apply results: promotion states, refused, skipped (lease held), error.", "outcome", m.outcomes)
	counter("modelpromote_dashboard_updates_total", "Dashboard issue updates after applies: created, updated, unchanged, skipped (not configured), failed (logged; never fails the apply).", "result", m.dashboards)
	fmt.Fprintf(w, "# HELP modelpromote_webhook_duplicates_total Deliveries already seen (same X-GitHub-Delivery).\n# TYPE modelpromote_webhook_duplicates_total counter\nmodelpromote_webhook_duplicates_total %d\n", m.duplicates)
	fmt.Fprintf(w, "# HELP modelpromote_jobs_coalesced_total Jobs absorbed by an equal job queued or running.\n# TYPE modelpromote_jobs_coalesced_total counter\nmodelpromote_jobs_coalesced_total %d\n", m.coalesced)
	fmt.Fprintf(w, "# HELP modelpromote_queue_depth Jobs waiting for a worker.\n# TYPE modelpromote_queue_depth gauge\nmodelpromote_queue_depth %d\n", queued)
	fmt.Fprintf(w, "# HELP modelpromote_jobs_in_flight Jobs running.\n# TYPE modelpromote_jobs_in_flight gauge\nmodelpromote_jobs_in_flight %d\n", running)
	fmt.Fprintf(w, "# HELP modelpromote_deliveries_remembered Delivery IDs kept for deduplication.\n# TYPE modelpromote_deliveries_remembered gauge\nmodelpromote_deliveries_remembered %d\n", seen)
	fmt.Fprintf(w, "# HELP modelpromote_github_rate_limit_remaining X-RateLimit-Remaining of the latest response, by installation.\n# TYPE modelpromote_github_rate_limit_remaining gauge\n")
	ids := make([]int64, 0, len(m.rateLimit))
	for id := range m.rateLimit {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(w, "modelpromote_github_rate_limit_remaining{installation=\"%d\"} %d\n", id, m.rateLimit[id])
	}
	m.applyDur.write(w, "modelpromote_apply_duration_seconds", "Wall time of apply runs.")
	m.checkDur.write(w, "modelpromote_check_duration_seconds", "Wall time of checks.")
}

func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, h.count, name, strconv.FormatFloat(h.sum, 'g', -1, 64), name, h.count)
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
