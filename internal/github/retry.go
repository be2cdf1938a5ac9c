package github

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	gogh "github.com/google/go-github/v60/github"
)

// Retry limits.
const (
	maxRetries     = 3
	maxRetryAfter  = 60 * time.Second // longer waits are returned, not slept
	serverErrDelay = 500 * time.Millisecond
)

// RetryTransport retries what GitHub asks to be retried: secondary rate
// limits (403 or 429 with Retry-After, or a "secondary rate limit"
// message), which GitHub answers without doing the work, so any request
// may be sent again after the wait; and 502/503/504 on reads. Waits honour
// Retry-After and the request's context, and are bounded: a longer wait
// is returned to the caller as the error it is.
type RetryTransport struct {
	Base http.RoundTripper
	// Sleep waits (for tests); time.Sleep-like, but it must honour done.
	Sleep func(d time.Duration, done <-chan struct{}) bool
}

// RoundTrip implements http.RoundTripper.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	for attempt := 0; ; attempt++ {
		resp, err := base.RoundTrip(req)
		if err != nil || attempt == maxRetries {
			return resp, err
		}
		wait, retry := t.retryAfter(req, resp)
		if !retry {
			return resp, nil
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, nil // the body cannot be sent again
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if !t.sleep(wait, req.Context().Done()) {
			return nil, req.Context().Err()
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

func (t *RetryTransport) sleep(d time.Duration, done <-chan struct{}) bool {
	if t.Sleep != nil {
		return t.Sleep(d, done)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}

// retryAfter decides whether resp is worth retrying, and after how long.
func (t *RetryTransport) retryAfter(req *http.Request, resp *http.Response) (time.Duration, bool) {
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			secs, err := strconv.Atoi(strings.TrimSpace(ra))
			if err != nil || secs < 0 || time.Duration(secs)*time.Second > maxRetryAfter {
				return 0, false
			}
			return max(time.Duration(secs)*time.Second, 100*time.Millisecond), true
		}
		if resp.StatusCode == http.StatusForbidden && isSecondaryLimit(resp) {
			return 5 * time.Second, true
		}
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			return serverErrDelay, true
		}
	}
	return 0, false
}

// isSecondaryLimit peeks at a 403's body for GitHub's secondary rate limit
// message, leaving the body readable.
func isSecondaryLimit(resp *http.Response) bool {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return strings.Contains(strings.ToLower(string(data)), "secondary rate limit")
}

// NewClient returns a go-github client for baseURL ("" for github.com)
// that authenticates with token (when not empty) over a RetryTransport:
// rt itself when it is one, else one on rt (http.DefaultTransport when nil).
func NewClient(baseURL, token string, rt http.RoundTripper) (*gogh.Client, error) {
	retry, ok := rt.(*RetryTransport)
	if !ok {
		retry = &RetryTransport{Base: rt}
	}
	gh := gogh.NewClient(&http.Client{Transport: retry})
	if token != "" {
		gh = gh.WithAuthToken(token)
	}
	if baseURL != "" && strings.TrimSuffix(baseURL, "/") != "https://api.github.com" {
		return gh.WithEnterpriseURLs(baseURL, baseURL)
	}
	return gh, nil
}
