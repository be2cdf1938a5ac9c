package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// A generic webhook receives a CloudEvents 1.0 event in structured JSON
// mode (Content-Type application/cloudevents+json), signed like GitHub's
// webhooks: X-Modelpromote-Signature-256 is "sha256=" and the hex
// HMAC-SHA256 of the raw body with the target's secret. Receivers compare
// it in constant time (Verify).
//   - https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
//   - https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md

// SignatureHeader carries a webhook body's HMAC.
const SignatureHeader = "X-Modelpromote-Signature-256"

// TypePrefix begins every CloudEvents type modelpromote sends
// ("dev.modelpromote.promotion.applied", "dev.modelpromote.drift").
const TypePrefix = "dev.modelpromote."

type cloudEventJSON struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	Data            Event  `json:"data"`
}

func cloudEvent(e Event, source string) ([]byte, error) {
	if source == "" {
		source = "modelpromote"
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return json.Marshal(cloudEventJSON{SpecVersion: "1.0", ID: hex.EncodeToString(id), Source: source, Type: ceType(e.Type),
		Subject: e.Model + "/" + e.Stage, Time: e.At.UTC().Format("2006-01-02T15:04:05.000Z"), DataContentType: "application/json", Data: e})
}

func ceType(t string) string {
	if t == Drift {
		return TypePrefix + "drift"
	}
	return TypePrefix + "promotion." + strings.ToLower(t[:1]) + t[1:]
}

// Sign is the SignatureHeader value of body under key.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's under key, in constant time.
func Verify(key, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(signature))
}
