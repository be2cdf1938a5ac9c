package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// Slack incoming webhooks take a message with a fallback `text` and Block
// Kit `blocks`:
//   - https://api.slack.com/messaging/webhooks
//   - https://api.slack.com/reference/block-kit/blocks (header: plain_text
//     up to 150 characters; section: up to 10 fields of up to 2000; context)

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

func slackMessage(e Event) ([]byte, error) {
	fields := []slackText{mrkdwn("*Model*\n" + slackEscape(e.Model)), mrkdwn("*Stage*\n" + slackEscape(e.Stage))}
	if e.ToVersion > 0 {
		fields = append(fields, mrkdwn("*Version*\n"+versions(e.FromVersion, e.ToVersion)))
	}
	if e.Endpoint != "" {
		fields = append(fields, mrkdwn("*Endpoint*\n"+slackEscape(e.Endpoint)))
	}
	if len(e.Approvers) > 0 {
		fields = append(fields, mrkdwn("*Approved by*\n"+slackEscape(strings.Join(e.Approvers, ", "))))
	}
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: clip(icon(e.Type)+" "+e.Summary(), 150)}},
		{Type: "section", Fields: fields},
	}
	if e.Detail != "" {
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(clip(slackEscape(e.Detail), 3000)))})
	}
	var ctx []string
	if e.URL != "" && e.PullRequest > 0 {
		ctx = append(ctx, fmt.Sprintf("<%s|%s#%d>", e.URL, slackEscape(e.Repo), e.PullRequest))
	}
	if e.MergeSHA != "" {
		ctx = append(ctx, "merge `"+gitsha.Short(e.MergeSHA)+"`")
	}
	if e.Evidence != "" {
		ctx = append(ctx, "evidence `"+slackEscape(e.Evidence)+"`")
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn(strings.Join(ctx, " · "))}})
	}
	return json.Marshal(struct {
		Text   string       `json:"text"`
		Blocks []slackBlock `json:"blocks"`
	}{Text: e.Summary(), Blocks: blocks})
}

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: s} }

func ptr[T any](v T) *T { return &v }

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func icon(t string) string {
	switch t {
	case Applied:
		return "✅"
	case Failed:
		return "❌"
	case RolledBack:
		return "↩️"
	case BlockedByFreeze:
		return "🧊"
	case Drift:
		return "⚠️"
	}
	return "•"
}

func versions(from, to int) string {
	if from > 0 {
		return fmt.Sprintf("v%d → v%d", from, to)
	}
	return fmt.Sprintf("v%d", to)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
