package ghemu

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// Fault is an error the emulator answers an operation with, on demand.
type Fault struct {
	// Status is the HTTP status: 403 or 429 for a secondary rate limit,
	// 5xx for a server error.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter time.Duration
	// Message is the error message; a default matching GitHub's is used
	// when empty.
	Message string
	// Times is how many calls fail before the operation recovers (at least 1).
	Times int
}

// SecondaryRateLimit is GitHub's secondary rate limit answer (status 403 or
// 429, with Retry-After), n times.
func SecondaryRateLimit(n, status int, retryAfter time.Duration) Fault {
	return Fault{
		Status:     status,
		RetryAfter: retryAfter,
		Times:      n,
		Message:    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
	}
}

// ServerError is a 5xx answer, n times.
func ServerError(n, status int) Fault {
	return Fault{Status: status, Times: n}
}

// InjectFault makes the next f.Times calls of operation op (an operationId
// such as "checks/create", or "" for any operation) fail with f.
func (e *Emulator) InjectFault(op string, f Fault) {
	if f.Times < 1 {
		f.Times = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[op] = append(e.faults[op], &f)
}

// SetLatency delays every call of op ("" for all operations) by d.
func (e *Emulator) SetLatency(op string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency[op] = d
}

// takeFault consumes one pending fault for op. Callers hold e.mu.
func (e *Emulator) takeFault(op string) *Fault {
	for _, key := range []string{op, ""} {
		q := e.faults[key]
		if len(q) == 0 {
			continue
		}
		f := *q[0]
		q[0].Times--
		if q[0].Times == 0 {
			e.faults[key] = q[1:]
		}
		return &f
	}
	return nil
}

func (f *Fault) write(w http.ResponseWriter) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	doc := "https://docs.github.com/rest"
	if f.Status == http.StatusForbidden || f.Status == http.StatusTooManyRequests {
		doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	}
	writeError(w, f.Status, msg, doc)
}

// Calls returns how many times operation op (an operationId) was called,
// counting failed and faulted calls.
func (e *Emulator) Calls(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[op]
}

// CallCounts returns the call count of every operation called so far.
func (e *Emulator) CallCounts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.calls)
}

// ResetCalls zeroes the call counts.
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = map[string]int{}
	e.peak = map[string]int{}
}

// PeakInFlight returns the most calls of operation op that were in flight at
// once since the emulator started or ResetCalls: how parallel a client is.
func (e *Emulator) PeakInFlight(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.peak[op]
}

// Primary rate limit: 5,000 requests an hour per token (WithRateLimit
// changes it), 60 unauthenticated.
const (
	defaultRateLimit = 5000
	rateLimitAnon    = 60
)

// WithRateLimit sets the primary rate limit per token per hour; calls
// beyond it are refused with 403 as GitHub refuses them.
func WithRateLimit(n int) Option {
	return func(c *config) { c.rateLimit = n }
}

// rateKey is the counter and limit that apply to the caller.
func (e *Emulator) rateKey(c *call) (string, int) {
	if c.who != nil {
		return c.who.token, e.rateLimit
	}
	return "anon", rateLimitAnon
}

// rateExceeded reports whether the caller has used up its primary limit.
func (e *Emulator) rateExceeded(c *call) bool {
	key, limit := e.rateKey(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	return c.rt.id != "rate-limit/get" && e.rateUsed[key] > limit
}

// uncount gives back the call's rate limit unit.
func (e *Emulator) uncount(c *call) {
	key, _ := e.rateKey(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rateUsed[key] > 0 {
		e.rateUsed[key]--
	}
}

func (c *call) rateSubject() string {
	switch {
	case c.who == nil:
		return "your IP address"
	case c.who.inst != nil:
		return fmt.Sprintf("installation ID %d", c.who.inst.id)
	}
	return "user ID " + itoa(c.who.user.id)
}

// rateWindow is the start of the current hour-long rate limit window; the
// emulator's windows start with the emulator.
var rateEpoch = time.Now().Truncate(time.Hour)

func rateReset() time.Time {
	return rateEpoch.Add(time.Since(rateEpoch).Truncate(time.Hour) + time.Hour)
}

// setRateHeaders counts the call against the caller's primary rate limit
// and sets GitHub's X-RateLimit-* headers. GET /rate_limit is not counted.
func (e *Emulator) setRateHeaders(c *call) {
	key, limit := e.rateKey(c)
	e.mu.Lock()
	if c.rt.id != "rate-limit/get" {
		e.rateUsed[key]++
	}
	used := e.rateUsed[key]
	e.mu.Unlock()
	h := c.w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, limit-used)))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rateReset().Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Request-Id", newToken("")[:16])
}

func (c *call) getRateLimit() {
	key, limit := c.e.rateKey(c)
	used := c.e.rateUsed[key]
	core := map[string]any{"limit": limit, "used": used, "remaining": max(0, limit-used), "reset": rateReset().Unix()}
	other := func(l int) map[string]any {
		return map[string]any{"limit": l, "used": 0, "remaining": l, "reset": rateReset().Unix()}
	}
	c.json(http.StatusOK, map[string]any{
		"resources": map[string]any{
			"core":    core,
			"search":  other(30),
			"graphql": other(5000),
		},
		"rate": core,
	})
}
