package report

import (
	"fmt"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// gated is a plan with one promotion per list of gate statuses, and the
// plan-wide findings given.
func gated(findings []plan.Finding, promotions ...map[plan.Gate]plan.Status) *plan.Plan {
	p := &plan.Plan{Findings: findings}
	for i, st := range promotions {
		pr := plan.Promotion{Promotion: manifest.Promotion{Model: fmt.Sprintf("m%d", i), Stage: "prod", ToVersion: 2, FromVersion: 1}}
		for _, g := range plan.Gates {
			s, ok := st[g]
			if !ok {
				s = plan.StatusPass
			}
			pr.Gates = append(pr.Gates, plan.GateStatus{Gate: g, Status: s})
		}
		p.Promotions = append(p.Promotions, pr)
	}
	return p
}

func TestCheckRunConclusion(t *testing.T) {
	pass := map[plan.Gate]plan.Status{}
	pending := map[plan.Gate]plan.Status{plan.GateGovernance: plan.StatusPending}
	fail := map[plan.Gate]plan.Status{plan.GateEvaluation: plan.StatusFail}
	unchecked := map[plan.Gate]plan.Status{plan.GateLineage: plan.StatusUnchecked}
	pendingUnchecked := map[plan.Gate]plan.Status{plan.GateLineage: plan.StatusUnchecked, plan.GateGovernance: plan.StatusPending}
	for _, tc := range []struct {
		name string
		p    *plan.Plan
		want Conclusion
	}{
		{"no promotions", gated(nil), ConclusionSuccess},
		{"every gate passes", gated(nil, pass, pass), ConclusionSuccess},
		{"only approvals pending", gated(nil, pass, pending), ConclusionActionRequired},
		{"a gate fails", gated(nil, pending, fail), ConclusionFailure},
		{"a gate was not checked", gated(nil, unchecked), ConclusionFailure},
		{"approvals pending and a gate not checked", gated(nil, pendingUnchecked), ConclusionFailure},
		{"the configuration edit awaits its owners", gated([]plan.Finding{{Gate: plan.GateGovernance, Severity: plan.SeverityPending, Message: "owners"}}, pass), ConclusionActionRequired},
		{"an error in the change itself", gated([]plan.Finding{{Gate: plan.GateManifest, Severity: plan.SeverityError, Message: "bad"}}, pass), ConclusionFailure},
		{"warnings and notices do not block", gated([]plan.Finding{{Severity: plan.SeverityWarning}, {Severity: plan.SeverityNotice}}, pass), ConclusionSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := CheckRun(tc.p, CheckRunOptions{})
			if out.Conclusion != tc.want {
				t.Errorf("conclusion %s, want %s (title %q)", out.Conclusion, tc.want, out.Title)
			}
			if out.Name != "modelpromote" {
				t.Errorf("name %q", out.Name)
			}
			if out.Title == "" {
				t.Error("no title")
			}
		})
	}
}

func TestCheckRunConclusionsOfFixtures(t *testing.T) {
	for name, want := range map[string]Conclusion{
		"clean": ConclusionSuccess, "prod-regression": ConclusionFailure,
		"first-deployment": ConclusionActionRequired, "config-edit": ConclusionActionRequired,
	} {
		for _, fx := range fixtures {
			if fx.name == name {
				if got := CheckRun(fx.plan(), CheckRunOptions{}).Conclusion; got != want {
					t.Errorf("%s: conclusion %s, want %s", name, got, want)
				}
			}
		}
	}
}

func TestAnnotationsOnePerFindingWithALine(t *testing.T) {
	p := &plan.Plan{Findings: []plan.Finding{
		{Gate: plan.GateEvaluation, Severity: plan.SeverityError, Model: "m", Stage: "prod", File: "promotions/m.yaml", Pos: manifest.Pos{Line: 14, Col: 14}, Message: "auc regressed"},
		{Gate: plan.GateGovernance, Severity: plan.SeverityPending, File: "promotions/modelpromote.yaml", Pos: manifest.Pos{Line: 1}, Message: "owners must approve"},
		{Gate: plan.GatePolicy, Severity: plan.SeverityWarning, File: "promotions/m.yaml", Pos: manifest.Pos{Line: 3}, Message: "w"},
		{Gate: plan.GatePolicy, Severity: plan.SeverityNotice, File: "promotions/m.yaml", Message: "whole file: no line"},
		{Gate: plan.GateLineage, Severity: plan.SeverityError, Message: "no file"},
	}}
	got := CheckRun(p, CheckRunOptions{}).Annotations
	want := []Annotation{
		{Path: "promotions/m.yaml", StartLine: 14, EndLine: 14, StartColumn: 14, EndColumn: 14, Level: LevelFailure, Title: "m/prod · evaluation: error", Message: "auc regressed"},
		{Path: "promotions/modelpromote.yaml", StartLine: 1, EndLine: 1, Level: LevelWarning, Title: "governance: pending", Message: "owners must approve"},
		{Path: "promotions/m.yaml", StartLine: 3, EndLine: 3, Level: LevelWarning, Title: "policy: warning", Message: "w"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("annotations\n got %+v\nwant %+v", got, want)
	}
}

// The dashboard reads the gate holding a promotion back from the
// annotations' titles.
func TestAnnotationGateReadsBackTheTitle(t *testing.T) {
	p := &plan.Plan{Findings: []plan.Finding{
		{Gate: plan.GateEvaluation, Severity: plan.SeverityError, Model: "fraud-detector", Stage: "prod", File: "promotions/m.yaml", Pos: manifest.Pos{Line: 14}, Message: "x"},
		{Gate: plan.GateGovernance, Severity: plan.SeverityPending, File: "promotions/modelpromote.yaml", Pos: manifest.Pos{Line: 1}, Message: "y"},
	}}
	as := CheckRun(p, CheckRunOptions{}).Annotations
	want := [][4]string{{"fraud-detector", "prod", "evaluation", "error"}, {"", "", "governance", "pending"}}
	for i, a := range as {
		m, s, g, sev, ok := AnnotationGate(a.Title)
		if !ok || [4]string{m, s, g, sev} != want[i] {
			t.Errorf("AnnotationGate(%q) = %q %q %q %q %v, want %q", a.Title, m, s, g, sev, ok, want[i])
		}
	}
	for _, bad := range []string{"", "no colon", "m · gate: error", ": error"} {
		if _, _, _, _, ok := AnnotationGate(bad); ok {
			t.Errorf("AnnotationGate(%q) read a gate", bad)
		}
	}
}

func TestBatchesOfAtMost50(t *testing.T) {
	mk := func(n int) []Annotation {
		as := make([]Annotation, n)
		for i := range as {
			as[i] = Annotation{Path: "f.yaml", StartLine: i + 1, EndLine: i + 1, Level: LevelNotice, Message: "x"}
		}
		return as
	}
	for _, tc := range []struct {
		n, size int
		want    []int
	}{
		{0, 50, nil},
		{1, 50, []int{1}},
		{50, 50, []int{50}},
		{51, 50, []int{50, 1}},
		{120, 50, []int{50, 50, 20}},
		{120, 0, []int{50, 50, 20}},   // default
		{120, 500, []int{50, 50, 20}}, // capped at GitHub's limit
		{7, 3, []int{3, 3, 1}},
	} {
		as := mk(tc.n)
		bs := Batches(as, tc.size)
		var sizes []int
		line := 1
		for _, b := range bs {
			sizes = append(sizes, len(b))
			for _, a := range b {
				if a.StartLine != line {
					t.Fatalf("n=%d: annotations out of order or lost", tc.n)
				}
				line++
			}
		}
		if fmt.Sprint(sizes) != fmt.Sprint(tc.want) {
			t.Errorf("Batches(%d, %d) sizes %v, want %v", tc.n, tc.size, sizes, tc.want)
		}
		if len(bs) > 0 {
			// Appending to a batch must not overwrite the next one.
			_ = append(bs[0], Annotation{Path: "other"})
			if len(bs) > 1 && bs[1][0].Path == "other" {
				t.Error("batches share their backing array beyond their length")
			}
		}
	}
}
