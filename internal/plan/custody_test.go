package plan

import (
	"strings"
	"testing"
)

// The chain of custody fails closed: whatever keeps the `after` stage's
// record of the version from being read and trusted shuts the gate.
func TestCustodyShutWithoutATrustedRecord(t *testing.T) {
	pr := &Promotion{}
	pr.ToVersion = 13
	pr.Environment.After = "staging"
	pr.Details.PreviousStage = &Serving{SourceVersion: 13}
	pr.Details.Objects = []Binding{{URI: "s3://dev/model.tar.gz", SHA256: "aa"}}
	ran := &PastDeployment{URI: "s3://staging/fraud-detector/13/evidence/x.json", Artifacts: []PastArtifact{{Binding: Binding{URI: "s3://dev/model.tar.gz", SHA256: "aa"}}}}
	for name, c := range map[string]struct {
		chain custody
		want  string // "" passes
	}{
		"unreadable":                 {custody{need: true, err: "could not read staging's evidence records"}, "could not read staging's evidence records"},
		"planted":                    {custody{need: true, err: "staging's bucket holds evidence records of version 13 that apply did not write"}, "apply did not write"},
		"no record":                  {custody{need: true, err: "staging has no evidence record"}, "staging has no evidence record"},
		"a record without artifacts": {custody{need: true, record: &PastDeployment{URI: "s3://staging/r.json"}}, "s3://staging/r.json lists no artifacts: the bytes to deploy cannot be shown to have run in staging"},
		"the bytes ran there":        {custody{need: true, record: ran}, ""},
		"other bytes ran there": {custody{need: true, record: &PastDeployment{URI: ran.URI, Artifacts: []PastArtifact{{Binding: Binding{URI: "s3://dev/model.tar.gz", SHA256: "bb"}}}}},
			"those bytes never ran in staging"},
		"no chain to keep": {custody{}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			c.chain.judge(pr, func(g Gate, s Severity, msg string) {
				if g != GatePolicy || s != SeverityError {
					t.Errorf("finding %s %s %q", g, s, msg)
				}
				got = append(got, msg)
			})
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("findings %q", got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("findings %q, want one saying %q", got, c.want)
			}
		})
	}
}
