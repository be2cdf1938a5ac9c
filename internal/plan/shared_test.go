package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// errCentralRole stands for a read of the central account through its own
// read role, which a stage of a shared registry never makes.
var errCentralRole = errors.New("central was read with its own role")

// notCentral is a History that refuses the central stage's records.
type notCentral struct{ History }

func (h notCentral) Records(ctx context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error) {
	if env.Name == "central" {
		return nil, errCentralRole
	}
	return h.History.Records(ctx, env, group, version)
}

// memHolder is what a shared central registry holds, by source package ARN.
type memHolder struct {
	held map[string]*Live
	err  error
}

func (h memHolder) Held(_ context.Context, _, sourceARN string) (*Live, error) {
	if h.err != nil {
		return nil, h.err
	}
	return h.held[sourceARN], nil
}

// A stage sourced from a shared central registry reads central's copy,
// evidence records and held copies through Upstream only (with its own
// role); a refusal by the group's policy shuts the gates and says what
// central must grant, to whom.
func TestStageSourcedFromASharedCentralRegistry(t *testing.T) {
	refused := fmt.Errorf("%w: AccessDeniedException: not authorized to perform: sagemaker:ListModelPackages", ErrNotShared)
	cases := []struct {
		name  string
		reg   error // the copy's read fails with it
		held  error // the held copy's read fails with it
		recs  error // the evidence records' read fails with it
		want  []want
		gates map[Gate]Status
	}{
		{name: "the group's policy grants the stage"},
		{
			name: "the group is not shared with the stage",
			reg:  refused, held: refused,
			want: []want{
				{GateLineage, SeverityError, []string{"central's registry (account 444444444444) does not share model package group fraud-detector with arn:aws:iam::222222222222:role/modelpromote-inspect", "sagemaker:ListModelPackages"}},
				{GateCompliance, SeverityError, []string{"not checked"}}, {GateEvaluation, SeverityError, []string{"not checked"}},
				{GatePolicy, SeverityError, []string{"central's registry (account 444444444444) does not share model package group fraud-detector with arn:aws:iam::222222222222:role/modelpromote-inspect"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GatePolicy: StatusFail, GateCompliance: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "the bucket does not share the evidence records",
			recs: fmt.Errorf("%w: AccessDenied: Access Denied", ErrNotShared),
			want: []want{
				{GateLineage, SeverityError, []string{"central's bucket acme-ml-artifacts-central does not share its evidence records with this stage's roles", "s3:ListBucket and s3:GetObject"}},
				{GatePolicy, SeverityError, []string{"could not read central's evidence records of version 13"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GatePolicy: StatusFail},
		},
		{
			name: "another failure is not called a missing share",
			reg:  errors.New("connection reset"),
			want: []want{
				{GateLineage, SeverityError, []string{"could not read fraud-detector version 13 from central's registry: connection reset"}},
				{GateCompliance, SeverityError, []string{"not checked"}}, {GateEvaluation, SeverityError, []string{"not checked"}},
			},
			gates: map[Gate]Status{GateLineage: StatusFail, GateCompliance: StatusFail, GateEvaluation: StatusFail},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSourced(t)
			src := s.world.sources()
			src.History = notCentral{s.history}
			held := memHolder{held: s.world.stages.registered, err: c.held}
			held.held = map[string]*Live{packageARN(13): s.world.stages.registered["central/"+packageARN(13)]}
			s.world.stages.broken = map[string]error{"central/" + packageARN(13): errCentralRole}
			src.Upstream = func(central, stage manifest.Environment) (Upstream, error) {
				reg := &memRegistry{packages: map[string]*ModelPackage{fraud + "/13": s.copy}, broken: map[string]error{}}
				if c.reg != nil {
					reg.broken[fraud+"/13"] = c.reg
				}
				h := *s.history
				h.err = c.recs
				return Upstream{Reg: reg, Objects: s.objs, History: h, Held: held, Mode: UpstreamShared, ReadWith: stage.ReadRoleARN}, nil
			}
			base := edit(t, centralTree(t, ""), "promotions/modelpromote.yaml", "    after: central\n", "    after: central\n    source: central\n")
			base = edit(t, base, "promotions/modelpromote.yaml", "    registryOnly: true\n", "    registryOnly: true\n    sharedRegistry: true\n")
			head := edit(t, base, "promotions/fraud-detector.yaml", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n")
			p := Build(Input{Base: "main", Head: "head", BaseTree: base, HeadTree: head})
			p.CheckAWS(context.Background(), p.Config, src)
			p.SetGates(awsGates...)
			pr := promotionInto(t, p, "staging")
			assertFindings(t, p, pr, c.want)
			assertGates(t, pr, awsGates, c.gates)
			if d := pr.Details.Source; d == nil || d.Mode != UpstreamShared || !strings.HasSuffix(d.ReadWith, ":role/modelpromote-inspect") {
				t.Errorf("source detail %+v", d)
			}
			for _, f := range p.Findings {
				if strings.Contains(f.Message, errCentralRole.Error()) || strings.Contains(f.Message, errSourceRead.Error()) {
					t.Errorf("read central with its own role, or the source account: %s", f.Message)
				}
			}
		})
	}
}
