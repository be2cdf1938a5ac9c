package manifest

import (
	"os"
	"strings"
	"testing"
)

func TestNotificationTargets(t *testing.T) {
	base, err := os.ReadFile("../../promotions/modelpromote.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yaml string
		want       string // a substring of the one problem, "" for none
	}{
		{"slack and a signed webhook", `
  - {name: ml-slack, kind: slack, urlEnv: SLACK_WEBHOOK_URL, stages: [prod], events: [applied, failed, rolledBack]}
  - {name: audit, kind: webhook, urlFile: /run/secrets/audit-url, secretEnv: AUDIT_HMAC_KEY}
  - {name: teams, kind: teams, urlEnv: TEAMS_URL, events: [drift]}`, ""},
		{"a URL in the repository", `
  - {name: s, kind: slack, url: "https://hooks.slack.com/services/T/B/X"}`, `unknown field "url" in notifications[0]`},
		{"no URL source", `
  - {name: s, kind: slack}`, "notifications[0].urlEnv or notifications[0].urlFile is required"},
		{"both URL sources", `
  - {name: s, kind: slack, urlEnv: A, urlFile: /f}`, "set one, not both"},
		{"an unsigned webhook", `
  - {name: w, kind: webhook, urlEnv: A}`, "notifications[0].secretEnv or notifications[0].secretFile is required"},
		{"a signed slack target", `
  - {name: s, kind: slack, urlEnv: A, secretEnv: B}`, "only webhook targets are signed"},
		{"an unknown kind", `
  - {name: s, kind: email, urlEnv: A}`, `must be slack, teams or webhook, not "email"`},
		{"an unknown stage", `
  - {name: s, kind: slack, urlEnv: A, stages: [production]}`, `no environment is named "production"`},
		{"an unknown event", `
  - {name: s, kind: slack, urlEnv: A, events: [merged]}`, `"merged" is not one of`},
		{"not a variable name", `
  - {name: s, kind: slack, urlEnv: "$SLACK"}`, `"$SLACK" is not an environment variable name`},
		{"a duplicate name", `
  - {name: s, kind: slack, urlEnv: A}
  - {name: s, kind: teams, urlEnv: B}`, `notification "s" is already defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := ParseConfig("promotions/modelpromote.yaml", append(append([]byte{}, base...), []byte("notifications:"+tc.yaml+"\n")...))
			switch {
			case tc.want == "" && len(ps) > 0:
				t.Errorf("problems: %v", ps)
			case tc.want != "" && (len(ps) != 1 || !strings.Contains(ps[0].Error(), tc.want)):
				t.Errorf("problems %v, want one with %q", ps, tc.want)
			case tc.want != "" && !strings.HasPrefix(ps[0].Error(), "promotions/modelpromote.yaml:"):
				t.Errorf("problem without a position: %v", ps[0])
			}
		})
	}
}
