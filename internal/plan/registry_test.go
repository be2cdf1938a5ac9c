package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// The central registry as a source: staging (after: central, source:
// central) reads central's copy of version 13 and never the source
// account.
const (
	centralAccount = "444444444444"
	centralBucket  = "s3://acme-ml-artifacts-central/"
	copyARN        = "arn:aws:sagemaker:eu-west-1:444444444444:model-package/fraud-detector/7"
)

// sourced is a world whose staging is sourced from central: the source
// account's registry and objects refuse every read, central holds a
// faithful copy of version 13 (its objects under its bucket, its
// provenance naming the source package and its evidence record), and the
// record says central's apply registered it.
type sourced struct {
	*world
	copy    *ModelPackage
	objs    *memObjects
	history *memHistory
	record  PastDeployment
}

var errSourceRead = errors.New("the source account was read")

func newSourced(t *testing.T) *sourced {
	t.Helper()
	w := newWorld()
	s := &sourced{world: w, objs: &memObjects{objects: map[string]memObject{}, broken: map[string]error{}}}
	c := *w.pkg(13)
	c.ARN, c.Origin, c.GeneratedBy, c.Objects = copyARN, packageARN(13), "", nil
	var artifacts []PastArtifact
	move := func(uri string) string {
		moved := centralBucket + "copies/" + strings.TrimPrefix(uri, "s3://")
		if _, done := s.objs.objects[moved]; !done {
			s.objs.objects[moved] = w.objs.objects[uri]
			sum := sha256.Sum256(w.objs.objects[uri].data)
			artifacts = append(artifacts, PastArtifact{Binding: Binding{URI: uri, SHA256: hex.EncodeToString(sum[:])}, Target: moved})
			c.Objects = append(c.Objects, ObjectRef{Field: "copied", URI: moved})
		}
		return moved
	}
	c.Containers = append([]Container(nil), c.Containers...)
	for i := range c.Containers {
		c.Containers[i].ModelDataURL = move(c.Containers[i].ModelDataURL)
	}
	c.Reports = append([]ReportRef(nil), c.Reports...)
	for i := range c.Reports {
		c.Reports[i].S3URI = move(c.Reports[i].S3URI)
	}
	s.record = ran("central", 13, "success", worldNow.Add(-2*time.Hour))
	s.record.Endpoint, s.record.TargetPackageARN, s.record.Artifacts = "", copyARN, artifacts
	central, _ := centralPlan(t, "central", "", newWorld()).Config.Environment("central")
	s.record.URI = written(central, s.record).URI
	c.CustomerMetadata = map[string]string{ProvenanceSourceARN: packageARN(13), ProvenanceEvidence: s.record.URI,
		ProvenanceGeneratedBy: pipelineARN(13)}
	s.copy = &c
	s.history = &memHistory{records: []PastDeployment{s.record}}
	for key := range w.reg.packages {
		w.reg.broken[key] = errSourceRead
	}
	for uri := range w.objs.objects {
		w.objs.broken[uri] = errSourceRead
	}
	holds(w, 13, "Approved", worldNow.Add(-2*time.Hour))
	return s
}

func (s *sourced) sources() Sources {
	src := s.world.sources()
	src.History = s.history
	src.Upstream = func(central, stage manifest.Environment) (Upstream, error) {
		reg := &memRegistry{packages: map[string]*ModelPackage{}, broken: map[string]error{}}
		if s.copy != nil {
			reg.packages[fraud+"/13"] = s.copy
		}
		return Upstream{Reg: reg, Objects: s.objs, Mode: UpstreamRole, ReadWith: central.ReadRoleARN}, nil
	}
	return src
}

func TestStageSourcedFromTheCentralRegistry(t *testing.T) {
	cases := []struct {
		name   string
		change func(s *sourced)
		want   []want
		gates  map[Gate]Status
	}{
		{name: "central's verified copy"},
		{
			name:   "central holds no copy",
			change: func(s *sourced) { s.copy = nil },
			want: []want{
				{GateLineage, SeverityError, []string{"central's registry (account 444444444444) holds no copy of version 13 of model package group fraud-detector: promote it to central first"}},
				{GateCompliance, SeverityError, []string{"not checked"}}, {GateEvaluation, SeverityError, []string{"not checked"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GateCompliance: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name:   "the copy names no evidence record",
			change: func(s *sourced) { delete(s.copy.CustomerMetadata, ProvenanceEvidence) },
			want:   []want{{GateLineage, SeverityError, []string{"central's copy " + copyARN, "names no evidence record"}}},
			gates:  map[Gate]Status{GateLineage: StatusFail},
		},
		{
			name:   "the record says central's apply failed",
			change: func(s *sourced) { s.history.records[0].Outcome = "failure" },
			want: []want{{GateLineage, SeverityError, []string{"which is not a trusted record of apply registering it"}},
				{GatePolicy, SeverityError, []string{"central has no evidence record of a successful deployment of version 13 into its registry"}}},
			gates: map[Gate]Status{GateLineage: StatusFail, GatePolicy: StatusFail},
		},
		{
			name:   "the record registered another package",
			change: func(s *sourced) { s.history.records[0].TargetPackageARN = strings.Replace(copyARN, "/7", "/8", 1) },
			want:   []want{{GateLineage, SeverityError, []string{"which is not a trusted record of apply registering it"}}},
			gates:  map[Gate]Status{GateLineage: StatusFail},
		},
		{
			name: "central's copy of the model data was swapped after central ran it",
			change: func(s *sourced) {
				uri := s.copy.Containers[0].ModelDataURL
				s.objs.objects[uri] = memObject{data: []byte("other bytes"), modified: worldNow}
			},
			want:  []want{{GatePolicy, SeverityError, []string{"but central ran", "those bytes never ran in central"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSourced(t)
			if c.change != nil {
				c.change(s)
			}
			base := edit(t, centralTree(t, ""), "promotions/modelpromote.yaml", "    after: central\n", "    after: central\n    source: central\n")
			head := edit(t, base, "promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n")
			p := Build(Input{Base: "main", Head: "head", BaseTree: base, HeadTree: head})
			p.CheckAWS(context.Background(), p.Config, s.sources())
			p.SetGates(awsGates...)
			pr := promotionInto(t, p, "staging")
			assertFindings(t, p, pr, c.want)
			assertGates(t, pr, awsGates, c.gates)
			if d := pr.Details.Source; d == nil || d.Stage != "central" || d.Account != centralAccount || d.Mode != UpstreamRole {
				t.Errorf("source detail %+v", d)
			}
			for _, f := range p.FindingsFor(fraud, "staging") {
				if strings.Contains(f.Message, errSourceRead.Error()) {
					t.Errorf("read the source account: %s", f.Message)
				}
			}
			if c.name != "central's verified copy" {
				return
			}
			for _, f := range p.FindingsFor(fraud, "staging") {
				if strings.Contains(f.Message, "custody") {
					t.Errorf("chain of custody: %s", f.Message)
				}
			}
			var reg *RegisterPackage
			for _, a := range p.ActionsFor(fraud, "staging") {
				if r, ok := a.(*RegisterPackage); ok {
					reg = r
				}
			}
			if reg == nil || reg.SourcePackageARN != copyARN || reg.OriginARN != packageARN(13) || reg.Upstream != "central" || reg.SourceAccount != centralAccount {
				t.Errorf("register action %+v", reg)
			}
			if steps := pr.Details.Lineage.Steps; len(steps) != 3 || steps[2].ARN != copyARN || !strings.Contains(steps[2].Name, s.record.URI) {
				t.Errorf("lineage %+v", steps)
			}
		})
	}
}

func TestStageSourcedFromTheCentralRegistryWithoutAReaderFailsClosed(t *testing.T) {
	s := newSourced(t)
	src := s.sources()
	src.Upstream = nil
	base := edit(t, centralTree(t, ""), "promotions/modelpromote.yaml", "    after: central\n", "    after: central\n    source: central\n")
	head := edit(t, base, "promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n")
	p := Build(Input{Base: "main", Head: "head", BaseTree: base, HeadTree: head})
	p.CheckAWS(context.Background(), p.Config, src)
	p.SetGates(awsGates...)
	pr := promotionInto(t, p, "staging")
	assertFindings(t, p, pr, []want{
		{GateLineage, SeverityError, []string{"staging is sourced from central, but nothing here reads central's registry"}},
		{GateCompliance, SeverityError, []string{"not checked"}}, {GateEvaluation, SeverityError, []string{"not checked"}},
	})
}
