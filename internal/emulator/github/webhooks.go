package ghemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"
)

// Webhook is a webhook registration.
type Webhook struct {
	// URL receives the deliveries.
	URL string
	// Secret signs them (X-Hub-Signature-256); empty sends no signature.
	Secret string
	// Repo ("OWNER/NAME") makes this a repository webhook. Empty makes it
	// the App's webhook, which receives the events of every repository the
	// App is installed on, with an "installation" in the payload.
	Repo string
	// Events filters by event name ("pull_request", …); empty means all.
	Events []string
}

// DeliveryMode says how webhooks are delivered.
type DeliveryMode int

const (
	// Sync delivers before the triggering call returns.
	Sync DeliveryMode = iota
	// Async delivers in the background (Close and WaitDeliveries wait).
	Async
	// Hold queues deliveries until Deliver or Drop is called for each,
	// so tests can deliver late, out of order, or never.
	Hold
)

// Delivery is one attempt to deliver an event to a webhook.
type Delivery struct {
	GUID       string // X-GitHub-Delivery, the same on a redelivery
	HookID     int64
	Event      string // X-GitHub-Event
	Action     string
	URL        string
	Header     http.Header
	Payload    []byte
	Redelivery bool
	Status     int    // response status, 0 if not delivered
	Err        string // transport error
	Duration   time.Duration
}

type hook struct {
	id int64
	Webhook
}

// event is something that happened, before fan-out to webhooks.
type event struct {
	name    string
	action  string
	repo    *repo
	payload map[string]any // without "installation", added per hook
}

// delivery is a Delivery as stored.
type delivery = Delivery

// AddWebhook registers a webhook and returns its ID.
func (e *Emulator) AddWebhook(h Webhook) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.nextID()
	e.hooks = append(e.hooks, &hook{id: id, Webhook: h})
	return id
}

// SetDeliveryMode changes how later webhooks are delivered.
func (e *Emulator) SetDeliveryMode(m DeliveryMode) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mode = m
}

// Deliveries returns every delivery attempt so far, in order.
func (e *Emulator) Deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, len(e.deliveries))
	for i, d := range e.deliveries {
		out[i] = *d
	}
	return out
}

// Pending returns the held deliveries (DeliveryMode Hold), oldest first.
func (e *Emulator) Pending() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, len(e.pending))
	for i, d := range e.pending {
		out[i] = *d
	}
	return out
}

// Deliver sends the held delivery guid now, synchronously.
func (e *Emulator) Deliver(guid string) (Delivery, error) {
	e.mu.Lock()
	d := e.unhold(guid)
	e.mu.Unlock()
	if d == nil {
		return Delivery{}, fmt.Errorf("no held delivery %s", guid)
	}
	return e.send(d), nil
}

// Drop discards the held delivery guid, as if GitHub had lost it.
func (e *Emulator) Drop(guid string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.unhold(guid) == nil {
		return fmt.Errorf("no held delivery %s", guid)
	}
	return nil
}

func (e *Emulator) unhold(guid string) *delivery {
	for i, d := range e.pending {
		if d.GUID == guid {
			e.pending = append(e.pending[:i:i], e.pending[i+1:]...)
			return d
		}
	}
	return nil
}

// Redeliver sends a past delivery again, synchronously, with the same
// delivery GUID and payload (as GitHub's "Redeliver" does).
func (e *Emulator) Redeliver(guid string) (Delivery, error) {
	e.mu.Lock()
	var orig *delivery
	for _, d := range e.deliveries {
		if d.GUID == guid {
			orig = d
			break
		}
	}
	e.mu.Unlock()
	if orig == nil {
		return Delivery{}, fmt.Errorf("no delivery %s", guid)
	}
	d := &delivery{GUID: orig.GUID, HookID: orig.HookID, Event: orig.Event, Action: orig.Action, URL: orig.URL,
		Header: orig.Header.Clone(), Payload: orig.Payload, Redelivery: true}
	return e.send(d), nil
}

// WaitDeliveries waits for async deliveries in flight.
func (e *Emulator) WaitDeliveries() { e.wg.Wait() }

// dispatch fans events out to the webhooks that want them and delivers
// them according to the delivery mode. It must be called without e.mu.
func (e *Emulator) dispatch(events []*event) {
	if len(events) == 0 {
		return
	}
	e.mu.Lock()
	var out []*delivery
	for _, ev := range events {
		for _, h := range e.hooks {
			if d := e.prepare(h, ev); d != nil {
				out = append(out, d)
			}
		}
	}
	mode := e.mode
	if mode == Hold {
		e.pending = append(e.pending, out...)
		out = nil
	}
	e.mu.Unlock()
	for _, d := range out {
		if mode == Async {
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				e.send(d)
			}()
			continue
		}
		e.send(d)
	}
}

// prepare builds hook's delivery of ev, or nil when the hook does not get
// it. Callers hold e.mu.
func (e *Emulator) prepare(h *hook, ev *event) *delivery {
	if len(h.Events) > 0 && !contains(h.Events, ev.name) && !contains(h.Events, "*") {
		return nil
	}
	payload := make(map[string]any, len(ev.payload)+1)
	for k, v := range ev.payload {
		payload[k] = v
	}
	var inst *installation
	for _, in := range e.installations {
		if in.app == e.app && in.account == ev.repo.owner { // the hooks are the bot App's
			inst = in
		}
	}
	if h.Repo != "" {
		if !strings.EqualFold(h.Repo, ev.repo.fullName()) {
			return nil
		}
	} else if inst == nil {
		return nil // the App only hears about repositories it is installed on
	}
	if inst != nil {
		payload["installation"] = map[string]any{"id": inst.id, "node_id": nodeID("I", inst.id)}
	}
	body := marshalPayload(ev.name, ev.action, payload)
	if err := validatePayload(ev.name, ev.action, body); err != nil {
		key := ev.name
		if ev.action != "" {
			key += "." + ev.action
		}
		e.verrs = append(e.verrs, ValidationError{Method: http.MethodPost, Path: h.URL, Webhook: key, Err: shortError(err)})
	}
	guid := newGUID()
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("User-Agent", "GitHub-Hookshot/ghemu")
	hdr.Set("X-GitHub-Event", ev.name)
	hdr.Set("X-GitHub-Delivery", guid)
	hdr.Set("X-GitHub-Hook-ID", itoa(h.id))
	if h.Repo != "" {
		hdr.Set("X-GitHub-Hook-Installation-Target-Type", "repository")
		hdr.Set("X-GitHub-Hook-Installation-Target-ID", itoa(ev.repo.id))
	} else {
		hdr.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
		hdr.Set("X-GitHub-Hook-Installation-Target-ID", itoa(e.app.id))
	}
	if h.Secret != "" {
		hdr.Set("X-Hub-Signature", "sha1="+sign(sha1.New, h.Secret, body))
		hdr.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, h.Secret, body))
	}
	return &delivery{GUID: guid, HookID: h.id, Event: ev.name, Action: ev.action, URL: h.URL, Header: hdr, Payload: body}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sign(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// newGUID is a random version 4 UUID, like X-GitHub-Delivery.
func newGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// hookClient waits as long as GitHub does (10 s) for a response.
var hookClient = &http.Client{Timeout: 10 * time.Second}

// send POSTs d and records the attempt.
func (e *Emulator) send(d *delivery) Delivery {
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err == nil {
		req.Header = d.Header.Clone()
		var res *http.Response
		res, err = hookClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			d.Status = res.StatusCode
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	d.Duration = time.Since(start)
	e.mu.Lock()
	e.deliveries = append(e.deliveries, d)
	e.mu.Unlock()
	return *d
}
