package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	gogh "github.com/google/go-github/v60/github"
)

// webhook takes one delivery: bounded, verified before anything else,
// deduplicated, routed and queued; the answer comes before any work.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			s.metrics.inc(s.metrics.rejected, "too_large")
			w.Header().Set("Connection", "close")
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		case errors.Is(err, errBusy):
			s.metrics.inc(s.metrics.rejected, "busy")
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "10")
			http.Error(w, "busy: too many deliveries being read", http.StatusServiceUnavailable)
		default:
			http.Error(w, "cannot read body", http.StatusBadRequest)
		}
		return
	}
	payload, status := s.verify(r.Header, body)
	switch status {
	case http.StatusUnsupportedMediaType:
		s.metrics.inc(s.metrics.rejected, "content_type")
		http.Error(w, "unsupported content type: GitHub sends application/json or application/x-www-form-urlencoded", status)
		return
	case http.StatusOK:
	default:
		s.metrics.inc(s.metrics.rejected, "signature")
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	event, guid := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	if event == "" || guid == "" || len(event) > 64 || len(guid) > 128 {
		s.metrics.inc(s.metrics.rejected, "headers")
		http.Error(w, "missing X-GitHub-Event or X-GitHub-Delivery", http.StatusBadRequest)
		return
	}
	s.metrics.inc(s.metrics.received, event)
	log := s.log.With("delivery", guid, "event", event)
	if !s.seen.add(guid) {
		s.metrics.add(&s.metrics.duplicates)
		log.Info("duplicate delivery")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "duplicate delivery\n")
		return
	}
	if event == "ping" {
		io.WriteString(w, "pong\n")
		return
	}
	job, why := accept(event, payload, s.opts.BotLogin)
	if why == "" && !s.allowed(job.Repo) {
		why = "repository " + job.Repo + " is not in the allow-list"
	}
	if why != "" {
		s.metrics.inc(s.metrics.ignored, event)
		log.Debug("ignored", "why", why)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "ignored: "+why+"\n")
		return
	}
	job.Delivery = guid
	coalesced, err := s.queue.push(job)
	if err != nil {
		s.seen.forget(guid) // a redelivery may succeed
		s.metrics.inc(s.metrics.rejected, strings.ReplaceAll(err.Error(), " ", "_"))
		log.Warn("delivery refused", "err", err, "repo", job.Repo, "pr", job.PR)
		w.Header().Set("Retry-After", "60")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if coalesced {
		s.metrics.add(&s.metrics.coalesced)
	}
	log.Info("queued", slog.String("kind", job.Command), "repo", job.Repo, "pr", job.PR, "sha", job.SHA, "coalesced", coalesced)
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "queued\n")
}

// verify checks X-Hub-Signature-256 over the raw body (HMAC-SHA256 with
// the secret, compared in constant time by go-github) and returns the JSON
// payload with 200; 401 when the signature is missing or wrong; 415 when a
// correctly signed body comes in a content type GitHub does not send
// (https://docs.github.com/en/webhooks/using-webhooks/creating-webhooks:
// application/json or application/x-www-form-urlencoded). Only sha256
// signatures are taken.
func (s *Server) verify(h http.Header, body []byte) ([]byte, int) {
	sig := h.Get(gogh.SHA256SignatureHeader)
	if !strings.HasPrefix(sig, "sha256=") || gogh.ValidateSignature(sig, body, s.opts.Secret) != nil {
		return nil, http.StatusUnauthorized
	}
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ct != "application/json" && ct != "application/x-www-form-urlencoded" {
		return nil, http.StatusUnsupportedMediaType
	}
	payload, err := gogh.ValidatePayloadFromBody(ct, bytes.NewReader(body), sig, s.opts.Secret)
	if err != nil {
		return nil, http.StatusUnauthorized
	}
	return payload, http.StatusOK
}
