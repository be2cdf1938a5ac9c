package service

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The AWS JSON 1.1 protocol
// (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html): POST /
// with X-Amz-Target: <prefix><Operation> and a JSON body; errors carry
// their code in __type and in the X-Amzn-ErrorType header.

// APIError is an error as a JSON 1.1 service reports it.
type APIError struct {
	Status        int
	Code, Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// JSON11 serves the operations of one JSON 1.1 service.
type JSON11 struct {
	// TargetPrefix is what X-Amz-Target starts with, up to the operation
	// ("AnyScaleFrontendService.").
	TargetPrefix string
	// MessageMember is the error document's message member: "Message" or
	// "message", as the service's API model names it.
	MessageMember string
	// InternalCode is the code of an unexpected failure.
	InternalCode string
}

// Operation returns the operation r names.
func (j JSON11) Operation(r *http.Request) string {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), j.TargetPrefix)
	return op
}

// Serve reads r's body, runs handle (under mu, when given) and writes its
// result or error.
func (j JSON11) Serve(w http.ResponseWriter, r *http.Request, mu *sync.Mutex, handle func(op string, body []byte) (any, error)) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), j.TargetPrefix) {
		j.WriteError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		j.WriteError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if mu != nil {
		mu.Lock()
	}
	out, err := handle(j.Operation(r), body)
	var resp []byte
	if err == nil {
		resp, err = json.Marshal(out)
	}
	if mu != nil {
		mu.Unlock()
	}
	if err != nil {
		var e *APIError
		if !errors.As(err, &e) {
			e = &APIError{http.StatusInternalServerError, j.InternalCode, err.Error()}
		}
		j.WriteError(w, e.Status, e.Code, e.Message)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", RequestID())
	w.Write(resp)
}

// Operations maps operation names to a service's handlers.
type Operations[S any] map[string]func(s S, c Caller, body []byte) (any, error)

// ServeOperations serves r with the handler ops names for its operation,
// under mu: the whole ServeAWS of a JSON 1.1 service.
func ServeOperations[S any](j JSON11, w http.ResponseWriter, r *http.Request, mu *sync.Mutex, s S, c Caller, ops Operations[S]) {
	j.Serve(w, r, mu, func(op string, body []byte) (any, error) {
		h, ok := ops[op]
		if !ok {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "UnknownOperationException"}
		}
		return h(s, c, body)
	})
}

// WriteError writes a JSON 1.1 error document.
func (j JSON11) WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", RequestID())
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	doc := map[string]string{"__type": code}
	if message != "" {
		doc[j.MessageMember] = message
	}
	b, _ := json.Marshal(doc)
	w.Write(b)
}

// Decode unmarshals a request body, answering SerializationException.
func Decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &APIError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	return nil
}

// RequestID is a fresh request ID in AWS's UUID form.
func RequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
