package plan

import (
	"strings"
	"testing"
)

// Evidence records of the `after` stage that cannot be read shut the gate:
// only a stage with no record is the known gap that warns.
func TestCustodyShutWhenRecordsUnreadable(t *testing.T) {
	pr := &Promotion{}
	pr.ToVersion = 13
	pr.Environment.After = "staging"
	pr.Details.PreviousStage = &Serving{SourceVersion: 13}
	for name, c := range map[string]struct {
		chain custody
		want  Severity
	}{
		"unreadable": {custody{need: true, err: "could not read staging's evidence records", shut: true}, SeverityError},
		"no record":  {custody{need: true, err: "staging has no evidence record"}, SeverityWarning},
	} {
		t.Run(name, func(t *testing.T) {
			var got []Severity
			c.chain.judge(pr, func(g Gate, s Severity, msg string) {
				if g != GatePolicy || !strings.Contains(msg, "staging") {
					t.Errorf("finding %s %s %q", g, s, msg)
				}
				got = append(got, s)
			})
			if len(got) != 1 || got[0] != c.want {
				t.Fatalf("severities %v, want [%s]", got, c.want)
			}
		})
	}
}
