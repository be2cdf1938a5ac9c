package notify

import (
	"encoding/json"
	"strings"
)

// Microsoft Teams workflow webhooks (the "When a Teams webhook request is
// received" trigger that replaces Office 365 connectors) take a message
// whose attachments are Adaptive Cards:
//   - https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
//   - https://adaptivecards.io/explorer/ (AdaptiveCard 1.4: TextBlock,
//     FactSet, Action.OpenUrl)

type teamsMessageJSON struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string       `json:"contentType"`
	ContentURL  *string      `json:"contentUrl"`
	Content     adaptiveCard `json:"content"`
}

type adaptiveCard struct {
	Schema  string           `json:"$schema"`
	Type    string           `json:"type"`
	Version string           `json:"version"`
	Body    []map[string]any `json:"body"`
	Actions []map[string]any `json:"actions,omitempty"`
}

func teamsMessage(e Event) ([]byte, error) {
	facts := []map[string]string{{"title": "Model", "value": e.Model}, {"title": "Stage", "value": e.Stage}}
	if e.ToVersion > 0 {
		facts = append(facts, map[string]string{"title": "Version", "value": versions(e.FromVersion, e.ToVersion)})
	}
	if e.Endpoint != "" {
		facts = append(facts, map[string]string{"title": "Endpoint", "value": e.Endpoint})
	}
	if len(e.Approvers) > 0 {
		facts = append(facts, map[string]string{"title": "Approved by", "value": strings.Join(e.Approvers, ", ")})
	}
	if e.MergeSHA != "" {
		facts = append(facts, map[string]string{"title": "Merge", "value": e.MergeSHA})
	}
	if e.Evidence != "" {
		facts = append(facts, map[string]string{"title": "Evidence", "value": e.Evidence})
	}
	color := "Good"
	switch e.Type {
	case Failed, RolledBack:
		color = "Attention"
	case BlockedByFreeze, Drift:
		color = "Warning"
	}
	body := []map[string]any{
		{"type": "TextBlock", "text": e.Summary(), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true},
		{"type": "FactSet", "facts": facts},
	}
	if e.Detail != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": e.Detail, "wrap": true})
	}
	card := adaptiveCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4", Body: body}
	if e.URL != "" {
		card.Actions = []map[string]any{{"type": "Action.OpenUrl", "title": "Open the pull request", "url": e.URL}}
	}
	return json.Marshal(teamsMessageJSON{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}})
}
