package ghemu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"time"
)

// route is one served operation. id is GitHub's operationId (e.g.
// "pulls/create"), which also names the operation for faults and call
// counts; path is the OpenAPI path template, and pattern the ServeMux
// pattern when it differs (a wildcard that may span slashes).
type route struct {
	id      string
	method  string
	path    string
	pattern string
	auth    authKind
	handle  func(*call)
}

// authKind says which credentials an operation accepts.
type authKind int

const (
	authToken authKind = iota // installation or user token
	authJWT                   // App JWT
	authNone                  // anyone (rate_limit answers unauthenticated callers too)
)

// routes builds the ServeMux. Each resource family registers its routes in
// its own file.
func (e *Emulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Routes may share a pattern when ServeMux cannot tell their paths
	// apart (issues/{issue_number}/comments and …/timeline against
	// issues/comments/{comment_id}): the request's last segment picks the
	// route, the first registered being the default.
	var patterns []string
	shared := map[string][]route{}
	for _, rt := range e.allRoutes() {
		pattern := rt.pattern
		if pattern == "" {
			pattern = rt.path
		}
		key := rt.method + " " + pattern
		if shared[key] == nil {
			patterns = append(patterns, key)
		}
		shared[key] = append(shared[key], rt)
	}
	for _, key := range patterns {
		rts := shared[key]
		mux.HandleFunc(key, func(w http.ResponseWriter, r *http.Request) {
			rt := rts[0]
			for _, c := range rts[1:] {
				if path.Base(c.path) == path.Base(r.URL.Path) {
					rt = c
				}
			}
			e.serve(rt, w, r)
		})
	}
	mux.HandleFunc("/", e.notFound)
	return mux
}

// Operations lists the operation IDs the emulator serves.
func (e *Emulator) Operations() []string {
	var ids []string
	for _, rt := range e.allRoutes() {
		ids = append(ids, rt.id)
	}
	return ids
}

func (e *Emulator) allRoutes() []route {
	var all []route
	for _, f := range []func() []route{e.appRoutes, e.repoRoutes, e.gitRoutes, e.pullRoutes, e.reviewRoutes,
		e.commentRoutes, e.checkRoutes, e.statusRoutes, e.deploymentRoutes, e.teamRoutes, e.userRoutes, e.timelineRoutes, e.labelRoutes, e.archiveRoutes,
		e.issueRoutes} {
		all = append(all, f()...)
	}
	return all
}

// notFound answers a request no route matches, and records it: the client
// called something the emulator (and so the bot's tested surface) does not
// know, or that GitHub does not document.
func (e *Emulator) notFound(w http.ResponseWriter, r *http.Request) {
	e.recordValidation(ValidationError{Method: r.Method, Path: r.URL.Path, Err: "no emulated operation (undocumented or unsupported path/method)"})
	writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
}

// call is one request being served.
type call struct {
	e      *Emulator
	rt     route
	w      http.ResponseWriter
	r      *http.Request
	body   []byte
	who    *principal
	events []*event // webhooks to send once the state lock is released
}

// serve runs the pipeline every operation goes through: count, auth, rate
// limit, faults, request validation, handler, response validation.
func (e *Emulator) serve(rt route, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))

	e.mu.Lock()
	e.calls[rt.id]++
	e.inFlight[rt.id]++
	e.peak[rt.id] = max(e.peak[rt.id], e.inFlight[rt.id])
	delay := e.latency[rt.id] + e.latency[""]
	fault := e.takeFault(rt.id)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.inFlight[rt.id]--
		e.mu.Unlock()
	}()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	c := &call{e: e, rt: rt, w: w, r: r, body: body}
	msg, ok := c.authenticate()
	e.setRateHeaders(c)
	if !ok {
		writeError(w, http.StatusUnauthorized, msg, "https://docs.github.com/rest")
		return
	}
	if msg, ok := c.authorize(); !ok {
		writeError(w, http.StatusForbidden, msg, docURL(rt.id))
		return
	}
	if e.rateExceeded(c) {
		writeError(w, http.StatusForbidden, "API rate limit exceeded for "+c.rateSubject()+".", "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting")
		return
	}
	if fault != nil {
		fault.write(w)
		return
	}

	in, err := e.validateRequest(rt, r, body)
	if err != nil {
		e.recordValidation(ValidationError{Operation: rt.id, Method: r.Method, Path: r.URL.Path, Err: shortError(err)})
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"message":           "Invalid request.\n\n" + requestDetail(err),
			"documentation_url": docURL(rt.id),
			"status":            "422",
		})
		return
	}

	rec := httptest.NewRecorder()
	c.w = rec
	e.mu.Lock()
	rt.handle(c)
	e.mu.Unlock()
	e.dispatch(c.events)

	res := rec.Result()
	resBody := rec.Body.Bytes()
	if in != nil && documentedPerOperation(res.StatusCode) && !isRawMedia(res.Header) {
		if verr := e.validateResponse(rt, in, res.StatusCode, res.Header, resBody); verr != nil {
			e.recordValidation(*verr)
			if e.strict {
				writeError(w, http.StatusInternalServerError, "emulator response does not match GitHub's OpenAPI description: "+verr.Err, "")
				return
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if r.Method == http.MethodGet && res.StatusCode == http.StatusOK {
		sum := sha256.Sum256(resBody)
		etag := `"` + hex.EncodeToString(sum[:]) + `"`
		w.Header().Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.TrimPrefix(inm, "W/") == etag {
			e.uncount(c) // conditional requests answered 304 are free
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(res.StatusCode)
	w.Write(resBody)
}

// apiBaseKey carries the external base URL ("http://host" or
// "http://host/api/v3") so that URLs in responses and Link headers use the
// form the client called.
type apiBaseKey struct{}

func withAPIBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, apiBaseKey{}, base)
}

// urls builds the absolute URLs that appear in API objects and payloads
// from the API base ("http://host" or "http://host/api/v3").
type urls string

// api returns the absolute API URL for path (which starts with "/").
func (u urls) api(path string) string { return string(u) + path }

// html returns a web URL for path, like https://github.com/OWNER/REPO.
func (u urls) html(path string) string {
	return strings.TrimSuffix(string(u), "/api/v3") + "/_web" + path
}

// u returns the URL builder for the base the client called.
func (c *call) u() urls {
	base, _ := c.r.Context().Value(apiBaseKey{}).(string)
	return urls(base)
}

// u returns the URL builder for state changes made from Go.
func (e *Emulator) u() urls { return urls(e.srv.URL) }

// documentedPerOperation reports whether GitHub's description documents a
// status per operation. 401, 403 (permissions, secondary rate limits), 429
// and 5xx can come from any operation and are mostly not listed, so their
// bodies are not checked.
func documentedPerOperation(status int) bool {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusTooManyRequests, status >= 500:
		return false
	}
	return true
}
