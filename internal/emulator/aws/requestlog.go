package awsemu

import (
	"sync"
	"time"
)

// Request is one entry of the emulator's request log.
type Request struct {
	Time      time.Time
	Service   string
	Operation string
	// Account is the caller's account ID ("" when authentication failed
	// before the key was known).
	Account string
	// Caller is the principal ARN.
	Caller string
	// Path is the request's URL path, decoded: /bucket/key for an S3
	// object in path style.
	Path string
	// Status is the HTTP status the emulator answered with.
	Status int
	// Fault names the injected fault that answered, if any.
	Fault    string
	Duration time.Duration
}

// defaultLogLimit bounds the request log so long benchmarks do not grow
// without end; counts are kept regardless.
const defaultLogLimit = 100_000

type requestLog struct {
	mu      sync.Mutex
	limit   int
	entries []Request
	counts  map[string]int
	// since is the last ResetRequests: a request that began before it is
	// not logged, even when it is answered after it.
	since time.Time
}

// add logs r, which began at began. A request is logged once answered,
// and a client can have read its whole answer (and gone on) before
// then: a request from before ResetRequests must not land in the log
// after it.
func (l *requestLog) add(r Request, began time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if began.Before(l.since) {
		return
	}
	if l.limit > 0 && len(l.entries) >= l.limit {
		// Keep the newest half; amortized O(1) per request.
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-l.limit/2:]...)
	}
	l.entries = append(l.entries, r)
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	l.counts[r.Service+":"+r.Operation]++
}

// Requests returns a copy of the request log, oldest first. The log keeps
// the most recent Options.RequestLogLimit entries.
func (s *Server) Requests() []Request {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]Request(nil), s.log.entries...)
}

// Count returns how many requests reached service:operation, including
// failed and faulted ones (every one costs API budget).
func (s *Server) Count(service, operation string) int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.counts[service+":"+operation]
}

// Counts returns the number of requests per "service:Operation".
func (s *Server) Counts() map[string]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make(map[string]int, len(s.log.counts))
	for k, v := range s.log.counts {
		out[k] = v
	}
	return out
}

// ResetRequests empties the request log and the counts. Requests that
// began before it are not logged when they finish after it.
func (s *Server) ResetRequests() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.entries = nil
	s.log.counts = nil
	s.log.since = time.Now()
}
