package ghemu

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// subsetGz is the part of GitHub's OpenAPI description (npm @octokit/openapi
// 23.0.2, generated/api.github.com.json) for the operations served here,
// written by openapi/extract (see openapi/README.md for fetching the npm
// packages first).
//
//go:generate sh -c "cd openapi && go run ./extract -spec openapi/package/generated/api.github.com.json -webhooks examples/package/api.github.com/index.json -examples-out ../examples"
//go:embed openapi/subset.json.gz
var subsetGz []byte

var (
	specOnce sync.Once
	spec     *openapi3.T
	specErr  error
)

// loadSpec parses the embedded description once per process.
func loadSpec() (*openapi3.T, error) {
	specOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(subsetGz))
		if err != nil {
			specErr = err
			return
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			specErr = err
			return
		}
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromData(data)
	})
	return spec, specErr
}

// ValidationError is a request or response that did not match GitHub's
// OpenAPI description.
type ValidationError struct {
	Operation string // operationId, empty for an unknown path
	Method    string
	Path      string
	Response  bool   // the emulator's response failed, not the client's request
	Status    int    // response status, for response failures
	Webhook   string // "event.action" for a webhook payload failure
	Err       string
}

func (v ValidationError) String() string {
	if v.Webhook != "" {
		return fmt.Sprintf("webhook %s: payload does not match GitHub's OpenAPI description: %s", v.Webhook, v.Err)
	}
	what := "request"
	if v.Response {
		what = fmt.Sprintf("response %d", v.Status)
	}
	op := v.Operation
	if op == "" {
		op = "?"
	}
	return fmt.Sprintf("%s %s (%s): %s does not match GitHub's OpenAPI description: %s", v.Method, v.Path, op, what, v.Err)
}

func (e *Emulator) recordValidation(v ValidationError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.verrs = append(e.verrs, v)
}

// ValidationErrors returns the validation failures recorded so far.
func (e *Emulator) ValidationErrors() []ValidationError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ValidationError(nil), e.verrs...)
}

// TakeValidationErrors returns the failures recorded so far and forgets
// them, for tests that provoke invalid requests on purpose.
func (e *Emulator) TakeValidationErrors() []ValidationError {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.verrs
	e.verrs = nil
	return v
}

// specRoute finds the documented operation for rt.
func specRoute(rt route) (*routers.Route, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI subset: %w", err)
	}
	item := doc.Paths.Value(rt.path)
	if item == nil {
		return nil, fmt.Errorf("path %s is not documented", rt.path)
	}
	op := item.GetOperation(rt.method)
	if op == nil {
		return nil, fmt.Errorf("%s %s is not documented", rt.method, rt.path)
	}
	if op.OperationID != rt.id {
		return nil, fmt.Errorf("%s %s is %s, not %s", rt.method, rt.path, op.OperationID, rt.id)
	}
	return &routers.Route{Spec: doc, Path: rt.path, PathItem: item, Method: rt.method, Operation: op}, nil
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// validateRequest checks r against the documented operation. It returns the
// input to validate the response with.
func (e *Emulator) validateRequest(rt route, r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	sr, err := specRoute(rt)
	if err != nil {
		return nil, err
	}
	params := map[string]string{}
	for _, m := range pathParamRE.FindAllStringSubmatch(rt.path, -1) {
		params[m[1]] = r.PathValue(m[1])
	}
	// compare's documented path is /compare/{base}...{head}, which a
	// ServeMux pattern cannot express: it is served as {basehead...}.
	if bh := r.PathValue("basehead"); bh != "" {
		params["base"], params["head"], _ = strings.Cut(bh, "...")
	}
	// ghinstallation sends the JSON literal null for "no options", which
	// GitHub takes as no body; the description does not say so.
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		body = nil
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	if body == nil {
		req.ContentLength = 0
		req.Header.Del("Content-Type")
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      sr,
		Options: &openapi3filter.Options{
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true,
			SkipSettingDefaults:   true,
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return nil, err
	}
	return in, nil
}

// validateResponse checks a response against the documented operation.
func (e *Emulator) validateResponse(rt route, in *openapi3filter.RequestValidationInput, status int, h http.Header, body []byte) *ValidationError {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 h,
		Options:                in.Options,
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil && !descriptionDefect(status, err) {
		return &ValidationError{Operation: rt.id, Method: in.Request.Method, Path: in.Request.URL.Path, Response: true, Status: status, Err: shortError(err)}
	}
	return nil
}

// limitMessage rewrites kin-openapi's wording of maxItems/maxLength
// failures into GitHub's.
func limitMessage(err error) (string, bool) {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return "", false
	}
	switch se.SchemaField {
	case "maxItems":
		if a, ok := se.Value.([]any); ok && se.Schema.MaxItems != nil {
			return fmt.Sprintf("No more than %d items are allowed; %d were supplied.", *se.Schema.MaxItems, len(a)), true
		}
	case "maxLength":
		if s, ok := se.Value.(string); ok && se.Schema.MaxLength != nil {
			return fmt.Sprintf("Only %d characters are allowed; %d were supplied.", *se.Schema.MaxLength, len([]rune(s))), true
		}
	}
	return "", false
}

// validatePayload checks a webhook payload against the description's
// schema for the event and action, when it has one.
func validatePayload(event, action string, body []byte) error {
	s := payloadSchema(event, action)
	if s == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return s.VisitJSON(v)
}

// responseSchema is the documented JSON schema of rt's response with status.
func responseSchema(rt route, status int) *openapi3.Schema {
	sr, err := specRoute(rt)
	if err != nil || sr.Operation.Responses == nil {
		return nil
	}
	ref := sr.Operation.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// complete adds the properties s requires that v lacks, with zero values of
// the documented type (null where nullable), recursing into present objects
// and arrays. It never changes a value that is present, so a wrong type the
// emulator produced is still caught by response validation.
func complete(v any, s *openapi3.Schema, depth int) any {
	if s == nil || depth > 40 {
		return v
	}
	for _, sub := range s.AllOf {
		v = complete(v, sub.Value, depth+1)
	}
	if alts := append(append([]*openapi3.SchemaRef{}, s.OneOf...), s.AnyOf...); len(alts) > 0 {
		if best := bestAlternative(v, alts); best != nil {
			v = complete(v, best, depth+1)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, name := range s.Required {
			if _, ok := v[name]; !ok {
				if p := s.Properties[name]; p != nil {
					v[name] = zero(p.Value, depth+1)
				}
			}
		}
		for name, p := range s.Properties {
			if pv, ok := v[name]; ok && pv != nil {
				v[name] = complete(pv, p.Value, depth+1)
			}
		}
		return v
	case []any:
		if s.Items != nil {
			for i := range v {
				v[i] = complete(v[i], s.Items.Value, depth+1)
			}
		}
		return v
	}
	return v
}

// bestAlternative picks the oneOf/anyOf branch v most resembles: the object
// branch sharing most property names with v (or the array branch for an
// array).
func bestAlternative(v any, alts []*openapi3.SchemaRef) *openapi3.Schema {
	var best *openapi3.Schema
	bestScore := -1
	for _, a := range alts {
		s := a.Value
		if s == nil {
			continue
		}
		score := -1
		switch v := v.(type) {
		case map[string]any:
			if s.Type.Is("object") || len(s.Properties) > 0 {
				score = 0
				for k := range v {
					if _, ok := s.Properties[k]; ok {
						score++
					}
				}
				missing := 0
				for _, r := range s.Required {
					if _, ok := v[r]; !ok {
						missing++
					}
				}
				score = score*10 - missing
			}
		case []any:
			if s.Type.Is("array") {
				score = 1
			}
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	return best
}

// zero is a placeholder value valid for s.
func zero(s *openapi3.Schema, depth int) any {
	if s == nil {
		return nil
	}
	if s.Nullable {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.AllOf) == 1 && s.Type == nil {
		return zero(s.AllOf[0].Value, depth+1)
	}
	for _, alts := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf} {
		for _, a := range alts {
			if a.Value != nil && !a.Value.Type.Is("null") {
				return zero(a.Value, depth+1)
			}
		}
	}
	switch {
	case s.Type.Is("string"):
		switch s.Format {
		case "date-time":
			return "2024-01-01T00:00:00Z"
		case "date":
			return "2024-01-01"
		case "uri", "url":
			return "https://github.com"
		case "email":
			return "noreply@github.com"
		}
		return ""
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("object"), len(s.Properties) > 0:
		return complete(map[string]any{}, s, depth+1)
	}
	return nil
}

// descriptionDefect recognises failures caused by the description rather
// than the response: several error responses are documented as oneOf
// basic-error and repository-rule-violation-error, which GitHub's ordinary
// {"message", "documentation_url"} body matches both of.
//
// Error statuses the description does not list for an operation (GitHub
// answers 422 Validation Failed on check runs, for one, though only 201 is
// documented) are accepted too; a success status it does not list is not.
func descriptionDefect(status int, err error) bool {
	if status < 400 {
		return false
	}
	return strings.Contains(err.Error(), "matches more than one oneOf schemas") ||
		strings.Contains(err.Error(), "status is not supported")
}

// shortError drops the schema dump kin-openapi appends to its messages.
func shortError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\nSchema:"); i >= 0 {
		rest := s[i:]
		s = s[:i]
		if j := strings.Index(rest, "\nValue:"); j >= 0 {
			v := strings.Join(strings.Fields(rest[j+len("\nValue:"):]), " ")
			if len(v) > 200 {
				v = v[:200] + "…"
			}
			s += " (value: " + v + ")"
		}
	}
	return s
}

// requestDetail is the "Invalid request" detail for a failed validation.
func requestDetail(err error) string {
	if msg, ok := limitMessage(err); ok {
		return msg
	}
	return shortError(err)
}
