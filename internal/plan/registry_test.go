package plan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The central registry's domain rules: the example repository with a
// registry-only stage "central" before staging (as world.Options.Central
// has it), fraud-detector's versions 12 in central and staging.
const centralEnv = `  - name: central
    registryOnly: true
    account: "444444444444"
    region: eu-west-1
    roleArn: arn:aws:iam::444444444444:role/modelpromote-deploy
    readRoleArn: arn:aws:iam::444444444444:role/modelpromote-inspect
    artifactBucket: acme-ml-artifacts-central
    kmsKeyArn: arn:aws:kms:eu-west-1:444444444444:key/5e6f7a8b-cccc-dddd-eeee-ffff00001111
`

func centralTree(t *testing.T, soak string) manifest.Tree {
	t.Helper()
	cfg := "promotions/modelpromote.yaml"
	tree := edit(t, exampleTree(t), cfg, "environments:\n  - name: staging\n", "environments:\n"+centralEnv+"  - name: staging\n    after: central\n")
	tree = edit(t, tree, cfg, "  stages:\n    staging:\n", "  stages:\n    central: {approvals: 1}\n    staging:\n"+soak)
	return edit(t, tree, "promotions/fraud-detector.yaml", "stages:\n", "stages:\n  central:\n    version: 12\n")
}

// centralPlan promotes fraud-detector's staging from 12 to 13 (or, with
// stage "central", central), judged over w.
func centralPlan(t *testing.T, stage, soak string, w *world) *Plan {
	t.Helper()
	base := centralTree(t, soak)
	head := edit(t, base, "promotions/fraud-detector.yaml", "  "+stage+":\n    version: 12\n", "  "+stage+":\n    version: 13\n")
	p := Build(Input{Base: "main", Head: "head", BaseTree: base, HeadTree: head})
	src := w.sources()
	// central's evidence record of 13, as its apply wrote it.
	rec := ran("central", 13, "success", worldNow.Add(-2*time.Hour))
	rec.Endpoint, rec.Artifacts = "", []PastArtifact{{Binding: Binding{URI: artifact(13, "model.tar.gz"), SHA256: strings.Repeat("ab", 32)}}}
	src.History = memHistory{records: append(append([]PastDeployment{}, w.deployed...), rec), objs: w.objs}
	p.CheckAWS(context.Background(), p.Config, src)
	p.SetGates(awsGates...)
	return p
}

// holds puts central's copy of a source version in the world.
func holds(w *world, v int, approval string, since time.Time) {
	if w.stages.registered == nil {
		w.stages.registered = map[string]*Live{}
	}
	w.stages.registered["central/"+packageARN(v)] = &Live{Serving: Serving{SourcePackageARN: packageARN(v), SourceVersion: v,
		TargetPackageARN: "arn:aws:sagemaker:eu-west-1:444444444444:model-package/fraud-detector/1", ApprovalStatus: approval, Since: since}}
}

func TestStageAfterARegistryOnlyStage(t *testing.T) {
	cases := []struct {
		name   string
		soak   string
		change func(w *world)
		want   []want
		gates  map[Gate]Status
	}{
		{
			name:   "central holds an approved copy",
			change: func(w *world) { holds(w, 13, "Approved", worldNow.Add(-time.Hour)) },
		},
		{
			name:  "central holds no copy",
			want:  []want{{GatePolicy, SeverityError, []string{"version 13 is not in central: its registry (account 444444444444) holds no copy of " + packageARN(13)}}},
			gates: map[Gate]Status{GatePolicy: StatusFail},
		},
		{
			name:   "central's copy is not approved",
			change: func(w *world) { holds(w, 13, "PendingManualApproval", worldNow.Add(-time.Hour)) },
			want:   []want{{GatePolicy, SeverityError, []string{"central's copy of version 13", "is PendingManualApproval, not Approved"}}},
			gates:  map[Gate]Status{GatePolicy: StatusFail},
		},
		{
			name:   "central unreadable",
			change: func(w *world) { w.stages.broken["central/"+packageARN(13)] = errors.New("AccessDeniedException: no") },
			want:   []want{{GatePolicy, SeverityError, []string{"could not read central's registry (account 444444444444)", "AccessDeniedException"}}},
			gates:  map[Gate]Status{GatePolicy: StatusFail},
		},
		{
			name:   "soaking in central",
			soak:   "      soakTime: 24h\n",
			change: func(w *world) { holds(w, 13, "Approved", worldNow.Add(-3*time.Hour)) },
			want:   []want{{GatePolicy, SeverityPending, []string{"soaking: version 13 has been in central for 3h0m0s of the 24h0m0s the policy requires"}}},
			gates:  map[Gate]Status{GatePolicy: StatusPending},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.change != nil {
				c.change(w)
			}
			p := centralPlan(t, "staging", c.soak, w)
			pr := promotionInto(t, p, "staging")
			if !pr.AfterRegistry || pr.AfterEndpoint != "" {
				t.Errorf("after registry %v, endpoint %q", pr.AfterRegistry, pr.AfterEndpoint)
			}
			assertFindings(t, p, pr, c.want)
			assertGates(t, pr, awsGates, c.gates)
		})
	}
}

func TestRegistryOnlyStageDeploysNothingAndServesNothing(t *testing.T) {
	w := newWorld()
	// Any read of an endpoint in central would fail the plan.
	w.stages.broken["central/"] = errors.New("read an endpoint of a registry-only stage")
	p := centralPlan(t, "central", "", w)
	pr := promotionInto(t, p, "central")
	assertFindings(t, p, pr, nil)
	for _, f := range p.FindingsFor(fraud, "central") {
		if strings.Contains(f.Message, "endpoint") {
			t.Errorf("%s finding about an endpoint: %s", f.Severity, f.Message)
		}
	}
	var kinds []ActionKind
	for _, a := range p.ActionsFor(fraud, "central") {
		kinds = append(kinds, a.Head().Kind)
	}
	if len(kinds) != 4 || kinds[0] != ActionAssumeRole || kinds[1] != ActionCopyArtifacts || kinds[2] != ActionRegisterPackage || kinds[3] != ActionRecordEvidence {
		t.Errorf("actions %v", kinds)
	}
	if pr.Details.Live != nil || len(p.Drift) != 0 || pr.Where() != RegistryOnlyLabel {
		t.Errorf("live %+v, drift %+v, where %q", pr.Details.Live, p.Drift, pr.Where())
	}
}
