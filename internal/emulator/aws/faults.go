package awsemu

import (
	"sync"
	"time"
)

// Fault makes matching requests fail or slow down, so reliability tests can
// exercise retries, backoff and error handling through the real SDK.
// Empty Service, Operation or Account fields match any value.
type Fault struct {
	// Service is the SigV4 signing name ("s3", "sts", "sagemaker", "monitoring").
	Service string
	// Operation is the API operation ("PutObject", "AssumeRole", …).
	Operation string
	// Account is the caller's 12-digit account ID.
	Account string

	// Throttle fails the next N matching requests with the service's
	// throttling error (S3 503 SlowDown, otherwise 400 ThrottlingException
	// or Throttling).
	Throttle int
	// ServerError fails the next N matching requests (after any throttling)
	// with a 5xx (S3 500 InternalError, otherwise 503 ServiceUnavailable).
	ServerError int
	// Latency is added to every matching request while the fault is
	// installed.
	Latency time.Duration
	// AccessDenied refuses every matching request while the fault is
	// installed.
	AccessDenied bool
}

type faultSet struct {
	mu     sync.Mutex
	next   int
	faults map[int]*Fault
}

func (f Fault) matches(svc, op, account string) bool {
	return (f.Service == "" || f.Service == svc) &&
		(f.Operation == "" || f.Operation == op) &&
		(f.Account == "" || f.Account == account)
}

func (s *faultSet) add(f Fault) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[int]*Fault{}
	}
	id := s.next
	s.next++
	s.faults[id] = &f
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.faults, id)
	}
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// apply consumes one occurrence of the matching faults and returns the
// latency to add and the error to answer with (nil to proceed normally).
// Faults are applied in the order they were installed.
func (s *faultSet) apply(svc, op, account, callerARN string) (time.Duration, *apiError, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var latency time.Duration
	for id := 0; id < s.next; id++ {
		f, ok := s.faults[id]
		if !ok || !f.matches(svc, op, account) {
			continue
		}
		latency += f.Latency
		switch {
		case f.AccessDenied:
			e := errAccessDenied(svc, callerARN, op)
			return latency, &e, "access-denied"
		case f.Throttle > 0:
			f.Throttle--
			e := errThrottle(svc)
			return latency, &e, "throttle"
		case f.ServerError > 0:
			f.ServerError--
			e := errServer(svc)
			return latency, &e, "server-error"
		}
	}
	return latency, nil, ""
}
