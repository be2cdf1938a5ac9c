package plan

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The policy gate: a version reaches prod only once it is live, and soaked,
// in staging (prod's `after`).
func TestStageOrderGate(t *testing.T) {
	fail := map[Gate]Status{GatePolicy: StatusFail}
	staging := "staging/fraud-detector-staging"
	runGateCases(t, []gateCase{
		{
			name: "not live in staging: no endpoint", stage: toProd,
			change: func(w *world) { delete(w.stages.serving, staging) },
			want:   []want{{GatePolicy, SeverityError, []string{"version 12 is not live in staging: endpoint fraud-detector-staging does not exist there"}}},
			gates:  fail,
		},
		{
			name: "not live in staging: another version", stage: toProd,
			change: func(w *world) { w.serve("staging", "fraud-detector-staging", 11, worldNow.Add(-72*time.Hour)) },
			want:   []want{{GatePolicy, SeverityError, []string{"version 12 is not live in staging: fraud-detector-staging serves version 11"}}},
			gates:  fail,
		},
		{
			name: "not live in staging: something modelpromote did not deploy", stage: toProd,
			change: func(w *world) {
				s := w.stages.serving[staging]
				s.SourceVersion, s.SourcePackageARN, s.EndpointConfig = 0, "", "hand-made-config"
			},
			want:  []want{{GatePolicy, SeverityError, []string{"serves config hand-made-config, which modelpromote did not deploy"}}},
			gates: fail,
		},
		{
			name: "not live in staging: the same version number of another model", stage: toProd,
			change: func(w *world) {
				w.stages.serving[staging].SourcePackageARN = sourceARN("model-package/churn-predictor/12")
			},
			want:  []want{{GatePolicy, SeverityError, []string{"version 12 is not live in staging"}}},
			gates: fail,
		},
		{
			name: "staging endpoint not InService", stage: toProd,
			change: func(w *world) { w.stages.serving[staging].EndpointStatus = "Updating" },
			want:   []want{{GatePolicy, SeverityError, []string{"endpoint fraud-detector-staging in staging is Updating, not InService"}}},
			gates:  fail,
		},
		{
			name: "staging unreadable", stage: toProd,
			change: func(w *world) { w.stages.broken[staging] = errors.New("AccessDeniedException: not authorized") },
			want:   []want{{GatePolicy, SeverityError, []string{"could not read what staging serves on fraud-detector-staging", "AccessDeniedException"}}},
			gates:  fail,
		},
		{
			name: "still soaking in staging", stage: toProd,
			change: func(w *world) { w.stages.serving[staging].Since = worldNow.Add(-3 * time.Hour) },
			want:   []want{{GatePolicy, SeverityPending, []string{"soaking: version 12 has been live in staging for 3h0m0s of the 24h0m0s the policy requires"}}},
			gates:  map[Gate]Status{GatePolicy: StatusPending},
		},
		{
			name: "the manifest's staging version is not the one promoted", stage: toProd,
			edits: []string{"    version: 11", "    version: 13"},
			want: []want{
				{GatePolicy, SeverityWarning, []string{"version 13 is not the version the manifest puts in staging (12)"}},
				{GatePolicy, SeverityError, []string{"version 13 is not live in staging: fraud-detector-staging serves version 12"}},
			},
			gates: fail,
		},
		{
			name: "a reconfiguration needs nothing live in staging", stage: toProd,
			edits:  []string{"instanceCount: 4", "instanceCount: 6"},
			change: func(w *world) { delete(w.stages.serving, staging) },
		},
		{
			name: "a rollback must be live in staging too", stage: toProd,
			edits: []string{"    version: 11", "    version: 10"},
			change: func(w *world) {
				w.addVersion(10, qualityReport(0.9, 0.72, 0.004), 0.95)
				w.serve("staging", "fraud-detector-staging", 10, worldNow.Add(-72*time.Hour))
			},
			want: []want{{GatePolicy, SeverityNotice, []string{"rolls prod back from version 11 to 10"}}},
		},
		{
			name: "another model package group under the same version numbers is a promotion", stage: toProd,
			edits: []string{"modelPackageGroup: fraud-detector", "modelPackageGroup: fraud-detector-v2"},
			change: func(w *world) {
				for _, v := range []int{11, 12} {
					pkg := *w.pkg(v)
					pkg.Group, pkg.ARN = "fraud-detector-v2", sourceARN(fmt.Sprintf("model-package/fraud-detector-v2/%d", v))
					w.reg.packages[fmt.Sprintf("fraud-detector-v2/%d", v)] = &pkg
				}
			},
			want:  []want{{GatePolicy, SeverityError, []string{"version 11 is not live in staging"}}},
			gates: fail,
		},
	})
}

// A model without the `after` stage cannot reach prod; removed stages and
// models are said; nothing is read from AWS for these.
func TestStageOrderOffline(t *testing.T) {
	base := exampleTree(t)
	fraudFile := string(base["promotions/fraud-detector.yaml"])
	staging := fraudFile[strings.Index(fraudFile, "  staging:"):strings.Index(fraudFile, "  prod:")]
	head := edit(t, base, "promotions/fraud-detector.yaml", staging, "")
	head = edit(t, head, "promotions/fraud-detector.yaml", "    version: 11", "    version: 12")
	delete(head, "promotions/churn-predictor.yaml")
	p := Build(Input{BaseTree: base, HeadTree: head})
	pr := promotionInto(t, p, "prod")
	assertFindings(t, p, pr, []want{{GatePolicy, SeverityError, []string{"prod comes after staging, but fraud-detector has no staging stage"}}})
	assertGates(t, pr, []Gate{GateManifest, GatePolicy}, map[Gate]Status{GatePolicy: StatusFail})
	var notices []string
	for _, f := range p.Findings {
		if f.Severity == SeverityNotice {
			notices = append(notices, f.Message)
		}
	}
	wantNotices := []string{
		"stage staging of fraud-detector is removed from the manifest; its endpoint is left serving version 12 (modelpromote never deletes endpoints)",
		"model churn-predictor is removed from the manifests; its endpoints are left serving (modelpromote never deletes endpoints)",
	}
	if !reflect.DeepEqual(notices, wantNotices) {
		t.Errorf("notices = %q\nwant      %q", notices, wantNotices)
	}
}

// Drift is what the base manifest says a stage runs against what its
// endpoint serves.
func TestDrift(t *testing.T) {
	cases := []struct {
		name   string
		change func(w *world)
		want   []Drift
	}{
		{name: "serving what the manifest says"},
		{
			name:   "serving another version",
			change: func(w *world) { w.serve("staging", "fraud-detector-staging", 11, worldNow.Add(-72*time.Hour)) },
			want: []Drift{{Model: fraud, Stage: "staging", Endpoint: "fraud-detector-staging", Manifest: 12, Serving: 11,
				Detail: "the manifest says staging runs version 12, but endpoint fraud-detector-staging serves version 11"}},
		},
		{
			name:   "endpoint gone",
			change: func(w *world) { delete(w.stages.serving, "staging/fraud-detector-staging") },
			want: []Drift{{Model: fraud, Stage: "staging", Endpoint: "fraud-detector-staging", Manifest: 12,
				Detail: "the manifest says staging runs version 12, but endpoint fraud-detector-staging does not exist"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := checkedPlan(t, toStaging, c.change)
			if !reflect.DeepEqual(p.Drift, c.want) {
				t.Errorf("drift = %+v\nwant    %+v", p.Drift, c.want)
			}
		})
	}
}
