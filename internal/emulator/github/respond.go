package ghemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// writeJSON writes v as GitHub does: JSON with a charset content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError writes GitHub's error body: {"message", "documentation_url"}.
func writeError(w http.ResponseWriter, status int, msg, doc string) {
	if doc == "" {
		doc = "https://docs.github.com/rest"
	}
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

// docURL is the documentation_url GitHub puts in errors of an operation.
func docURL(op string) string {
	if op == "" {
		return "https://docs.github.com/rest"
	}
	return "https://docs.github.com/rest/" + strings.ReplaceAll(op, "/", "#")
}

// json answers with v, completing fields the OpenAPI description requires
// but the emulator does not model (with zero values of the documented type),
// so that the response has GitHub's full shape.
func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, err.Error())
		return
	}
	var generic any
	json.Unmarshal(b, &generic)
	if s := responseSchema(c.rt, status); s != nil {
		generic = complete(generic, s, 0)
	}
	writeJSON(c.w, status, generic)
}

// fail answers with a GitHub error body.
func (c *call) fail(status int, msg string) {
	writeError(c.w, status, msg, docURL(c.rt.id))
}

// notFound answers 404 as GitHub does for anything missing or invisible.
func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

// fieldError is one entry of a 422 "Validation Failed" errors array.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
	Value    any    `json:"value,omitempty"`
}

// invalid answers 422 Validation Failed with GitHub's errors array.
func (c *call) invalid(errs ...fieldError) {
	writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": docURL(c.rt.id),
		"status":            "422",
	})
}

// invalidRequest answers 422 "Invalid request." with detail, the form GitHub
// uses for schema violations.
func (c *call) invalidRequest(detail string) {
	c.fail(http.StatusUnprocessableEntity, "Invalid request.\n\n"+detail)
}

// decode parses the request body into v; a malformed body is answered with
// 400 "Problems parsing JSON" as GitHub does.
func (c *call) decode(v any) bool {
	if len(c.body) == 0 {
		return true
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// query returns a query parameter.
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// intParam parses a numeric path parameter; false means answered with 404.
func (c *call) intParam(name string) (int64, bool) {
	n, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	if err != nil {
		c.notFound()
		return 0, false
	}
	return n, true
}

// paginate answers with the page of items the request's page/per_page ask
// for, with a Link header like GitHub's (rel next, last, first, prev).
// wrap, when not nil, turns the page into the response body (for list
// responses shaped as an object, like {"total_count", "check_runs"}).
func paginate[T any](c *call, items []T, wrap func(page []T) any) {
	q := c.r.URL.Query()
	perPage := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	lo := min((page-1)*perPage, len(items))
	hi := min(lo+perPage, len(items))
	out := items[lo:hi]
	if out == nil {
		out = []T{}
	}

	var links []string
	link := func(p int, rel string) {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		if q.Get("per_page") == "" && perPage != 30 {
			q.Set("per_page", strconv.Itoa(perPage))
		}
		u := url.URL{Path: c.r.URL.Path, RawQuery: q.Encode()}
		links = append(links, fmt.Sprintf("<%s>; rel=%q", c.u().api(u.String()), rel))
	}
	if page > 1 {
		link(page-1, "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		c.w.Header().Set("Link", strings.Join(links, ", "))
	}
	if wrap != nil {
		c.json(http.StatusOK, wrap(out))
		return
	}
	c.json(http.StatusOK, out)
}

// wantsRaw reports whether the client asked for the raw media type
// (application/vnd.github.raw or .v3.raw), which blobs and contents serve
// as the bytes themselves.
func (c *call) wantsRaw() bool {
	a := c.r.Header.Get("Accept")
	return strings.Contains(a, "application/vnd.github.raw") || strings.Contains(a, "application/vnd.github.v3.raw")
}

// raw answers with content as the raw media type.
func (c *call) raw(content []byte) {
	c.w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(content)
}

// isRawMedia reports a raw media type response; GitHub documents these
// media types in prose only, so they are not checked against the schema.
func isRawMedia(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/vnd.github.raw")
}
