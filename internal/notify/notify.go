// Package notify announces what modelpromote did to the places people
// already look: a Slack incoming webhook (Block Kit), a Microsoft Teams
// workflow webhook (an Adaptive Card), or any HTTP receiver (a CloudEvents
// JSON envelope signed with HMAC-SHA256). Targets are configured in
// promotions/modelpromote.yaml by name, stage and event; their URLs and
// secrets come from the environment or files of the process that runs
// modelpromote, never from the repository.
//
// Notifying is best effort: a receiver that is down, slow or refusing is
// retried briefly, then logged and counted, and never fails a promotion.
package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Event types, as targets name them in `events:`.
const (
	Applied         = "applied"
	Failed          = "failed"
	RolledBack      = "rolledBack"
	BlockedByFreeze = "blockedByFreeze"
	Drift           = "drift"
)

// Event is one thing worth telling people.
type Event struct {
	Type        string    `json:"type"`
	Model       string    `json:"model"`
	Stage       string    `json:"stage"`
	FromVersion int       `json:"fromVersion,omitempty"`
	ToVersion   int       `json:"toVersion,omitempty"`
	Endpoint    string    `json:"endpoint,omitempty"`
	Repo        string    `json:"repo,omitempty"`
	PullRequest int       `json:"pullRequest,omitempty"`
	URL         string    `json:"url,omitempty"` // the pull request (or run)
	MergeSHA    string    `json:"mergeSha,omitempty"`
	Approvers   []string  `json:"approvers,omitempty"`
	Evidence    string    `json:"evidence,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	At          time.Time `json:"at"`
}

// Summary is the event in one line.
func (e Event) Summary() string {
	v := ""
	if e.ToVersion > 0 {
		v = fmt.Sprintf(" v%d", e.ToVersion)
	}
	switch e.Type {
	case Applied:
		return fmt.Sprintf("%s%s is live in %s", e.Model, v, e.Stage)
	case Failed:
		return fmt.Sprintf("%s%s failed to deploy to %s", e.Model, v, e.Stage)
	case RolledBack:
		return fmt.Sprintf("%s%s rolled back in %s: the previous version keeps serving", e.Model, v, e.Stage)
	case BlockedByFreeze:
		return fmt.Sprintf("%s%s to %s is blocked by a change freeze", e.Model, v, e.Stage)
	case Drift:
		return fmt.Sprintf("%s in %s drifted from its manifest", e.Model, e.Stage)
	}
	return fmt.Sprintf("%s in %s: %s", e.Model, e.Stage, e.Type)
}

// Notifier sends events to the configured targets. The zero value reads
// the process's environment and files, with a 10 s timeout per request.
type Notifier struct {
	// Getenv and ReadFile resolve urlEnv/secretEnv and urlFile/secretFile
	// (os.Getenv and os.ReadFile when nil).
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	Client   *http.Client
	Logger   *slog.Logger
	// Source is the CloudEvents source of webhook events, e.g. the
	// promotions repository's URL (default "modelpromote").
	Source string
	// Attempts per request (default 3) and the first Backoff between them
	// (default 500 ms, doubling); only network errors, 429 and 5xx retry.
	Attempts int
	Backoff  time.Duration

	mu     sync.Mutex
	counts map[string]*Count
}

// Count is how a target has fared.
type Count struct {
	Sent, Failed int
}

// Counts returns the sent and failed deliveries by target name.
func (n *Notifier) Counts() map[string]Count {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]Count{}
	for k, c := range n.counts {
		out[k] = *c
	}
	return out
}

func (n *Notifier) count(name string, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.counts == nil {
		n.counts = map[string]*Count{}
	}
	c := n.counts[name]
	if c == nil {
		c = &Count{}
		n.counts[name] = c
	}
	if ok {
		c.Sent++
	} else {
		c.Failed++
	}
}

// Send delivers each event to every target that wants it, targets side by
// side, and returns when all are done. It never fails: problems are logged
// and counted.
func (n *Notifier) Send(ctx context.Context, targets []manifest.Notification, events ...Event) {
	if n == nil {
		return
	}
	var wg sync.WaitGroup
	for _, t := range targets {
		var mine []Event
		for _, e := range events {
			if wants(t, e) {
				mine = append(mine, e)
			}
		}
		if len(mine) == 0 {
			continue
		}
		wg.Go(func() {
			for _, e := range mine {
				if err := n.deliver(ctx, t, e); err != nil {
					n.count(t.Name, false)
					n.logger().Warn("notification not delivered", "target", t.Name, "kind", t.Kind, "event", e.Type,
						"model", e.Model, "stage", e.Stage, "error", err)
					continue
				}
				n.count(t.Name, true)
			}
		})
	}
	wg.Wait()
}

func wants(t manifest.Notification, e Event) bool {
	return (len(t.Stages) == 0 || slices.Contains(t.Stages, e.Stage)) && (len(t.Events) == 0 || slices.Contains(t.Events, e.Type))
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.Default()
}

// deliver builds the target's payload and posts it.
func (n *Notifier) deliver(ctx context.Context, t manifest.Notification, e Event) error {
	url, err := n.secret(t.URLEnv, t.URLFile)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	var body []byte
	header := http.Header{"Content-Type": {"application/json"}}
	switch t.Kind {
	case manifest.NotifySlack:
		body, err = slackMessage(e)
	case manifest.NotifyTeams:
		body, err = teamsMessage(e)
	case manifest.NotifyWebhook:
		key, kerr := n.secret(t.SecretEnv, t.SecretFile)
		if kerr != nil {
			return fmt.Errorf("secret: %w", kerr)
		}
		body, err = cloudEvent(e, n.Source)
		header.Set("Content-Type", "application/cloudevents+json")
		header.Set(SignatureHeader, Sign([]byte(key), body))
	default:
		return fmt.Errorf("unknown kind %q", t.Kind)
	}
	if err != nil {
		return err
	}
	return n.post(ctx, url, header, body)
}

// secret reads a value from the environment variable env or the file.
func (n *Notifier) secret(env, file string) (string, error) {
	if env != "" {
		getenv := n.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		v := strings.TrimSpace(getenv(env))
		if v == "" {
			return "", fmt.Errorf("$%s is not set", env)
		}
		return v, nil
	}
	if file != "" {
		read := n.ReadFile
		if read == nil {
			read = os.ReadFile
		}
		b, err := read(file)
		if err != nil {
			return "", err
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s is empty", file)
	}
	return "", fmt.Errorf("not configured")
}

// post sends body, retrying network errors, 429 and 5xx with backoff. The
// URL is never logged or returned: it is a credential.
func (n *Notifier) post(ctx context.Context, url string, header http.Header, body []byte) error {
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	attempts, backoff := n.Attempts, n.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("the configured URL is not one")
		}
		req.Header = header.Clone()
		req.Header.Set("User-Agent", "modelpromote")
		resp, err := client.Do(req)
		if err != nil {
			last = fmt.Errorf("post: %s", redact(err, url))
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("receiver answered %s", resp.Status)
		default:
			return fmt.Errorf("receiver answered %s", resp.Status)
		}
	}
	return fmt.Errorf("%w (after %d attempts)", last, attempts)
}

// redact removes the URL (a credential) from an error message.
func redact(err error, url string) string {
	return strings.ReplaceAll(err.Error(), url, "<url>")
}
