package apply

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/images"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// stepWorld is the example world (fraud-detector v12 live in staging) with
// the promotion of v13 to staging planned and checked against it as
// apply's preflight does, and a runner for the merge that made it. Step
// tests run one step after another on its state, as the walk does, and
// look at the emulators.
type stepWorld struct {
	w  *world.World
	r  *runner
	pr *plan.Promotion
	st *state
}

const stepMergeSHA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"

func newStepWorld(t *testing.T) *stepWorld {
	t.Helper()
	ctx := t.Context()
	w, err := worldtest.Example(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.Config
	env, _ := cfg.Environment("staging")
	endpoint := manifest.Endpoint{Name: "fraud-detector-staging", InstanceType: "ml.m5.large", InstanceCount: 1}
	p := &plan.Plan{Config: cfg, Promotions: []plan.Promotion{{Environment: env, Promotion: manifest.Promotion{
		Model: "fraud-detector", Stage: "staging", ModelPackageGroup: "fraud-detector", FromVersion: 12, ToVersion: 13, From: &endpoint, To: endpoint}}}}
	p.Actions = plan.PromotionActions(cfg.Source, p.Promotions[0])
	accts := accounts.New(accounts.Options{Base: w.BotAWS(), SessionName: "modelpromote-step-test"})
	src := accts.Source(cfg.Source)
	reg := registry.New(src, cfg.Source.Account)
	p.CheckAWS(ctx, cfg, plan.Sources{Source: cfg.Source, Reg: reg, Objects: artifacts.New(src, cfg.Source.Account, true),
		Stages: endpoints.NewStages(accts.Readers()), Images: images.New(src, accts.Readers()), Now: func() time.Time { return time.Now().Add(25 * time.Hour) }})
	merge := &github.Merge{Number: 7, URL: "https://github.com/" + world.Repo + "/pull/7", Author: world.Alice, MergedBy: world.Pat,
		MergeSHA: stepMergeSHA, HeadSHA: strings.Repeat("e", 40), Merged: true}
	r := &runner{env: Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Poll: 5 * time.Millisecond, EndpointTimeout: 20 * time.Second},
		plan: p, merge: merge, accts: accts, source: reg, approvers: []string{world.Bob}}
	pr := &p.Promotions[0]
	recordURI := "s3://" + env.ArtifactBucket + "/" + RecordKey(pr.ModelPackageGroup, pr.ToVersion, stepMergeSHA)
	return &stepWorld{w: w, r: r, pr: pr, st: r.newState(pr, recordURI)}
}

// action returns the promotion's action of type A.
func action[A plan.Action](t *testing.T, s *stepWorld) A {
	t.Helper()
	for _, a := range s.r.plan.Actions {
		if a, ok := a.(A); ok {
			return a
		}
	}
	var zero A
	t.Fatalf("the plan has no %T", zero)
	return zero
}

// run runs the steps of the given actions in order, failing the test on
// the first error.
func (s *stepWorld) run(t *testing.T, actions ...plan.Action) {
	t.Helper()
	for _, a := range actions {
		st, err := s.r.stepFor(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.run(t.Context(), s.st); err != nil {
			t.Fatalf("%s: %v", a.Head().Kind, err)
		}
	}
}

// writes lists the AWS calls since the last ResetRequests that change
// something.
func (s *stepWorld) writes() []string {
	var out []string
	for _, r := range s.w.AWS.Requests() {
		for _, verb := range []string{"Create", "Update", "Put", "Copy", "Delete", "Upload", "Complete", "Abort", "Add"} {
			if strings.HasPrefix(r.Operation, verb) {
				out = append(out, r.Service+":"+r.Operation)
			}
		}
	}
	return out
}

// The walk takes a promotion's actions in the plan's order; after a
// failure it goes straight to the evidence record, which records it.
func TestWalkSkipsToTheRecordAfterAFailure(t *testing.T) {
	s := newStepWorld(t)
	action[*plan.CopyArtifacts](t, s).SourcePackageARN = "" // unbound: the copy refuses
	var kinds []plan.ActionKind
	s.r.env.Interrupt = func(_, _ string, k plan.ActionKind) error { kinds = append(kinds, k); return nil }
	err := s.r.walk(t.Context(), s.pr, s.st)
	if err == nil || !strings.Contains(err.Error(), "objects are unknown") {
		t.Fatalf("walk = %v", err)
	}
	if want := []plan.ActionKind{plan.ActionAssumeRole, plan.ActionCopyArtifacts, plan.ActionRecordEvidence}; !slices.Equal(kinds, want) {
		t.Errorf("steps %v, want %v", kinds, want)
	}
	if s.st.record.Outcome != StateFailure || !strings.Contains(s.st.record.Error, "objects are unknown") {
		t.Errorf("record %+v", s.st.record)
	}
	rec := action[*plan.RecordEvidence](t, s)
	if _, ok := s.w.AWS.S3().Object(rec.Bucket, rec.Key(stepMergeSHA)); !ok {
		t.Error("the failure was not recorded")
	}
}

// An interrupt stops the walk where it is: nothing more is written.
func TestWalkStopsAtAnInterrupt(t *testing.T) {
	s := newStepWorld(t)
	s.r.env.Interrupt = func(_, _ string, k plan.ActionKind) error {
		if k == plan.ActionRegisterPackage {
			return errors.New("crash")
		}
		return nil
	}
	s.w.AWS.ResetRequests()
	err := s.r.walk(t.Context(), s.pr, s.st)
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("walk = %v", err)
	}
	for _, w := range s.writes() {
		if !strings.HasPrefix(w, "s3:") {
			t.Errorf("wrote %s after the copy", w)
		}
	}
	if s.st.record.Outcome != "" {
		t.Errorf("the record was finished: %+v", s.st.record)
	}
}

// An action apply has no step for is an error, not a skip.
func TestStepForRefusesAnUnknownAction(t *testing.T) {
	s := &stepWorld{r: &runner{}}
	if _, err := s.r.stepFor(unknownAction{}); err == nil || !strings.Contains(err.Error(), "no step") {
		t.Fatalf("stepFor = %v", err)
	}
}

type unknownAction struct{ plan.ActionHead }

func (unknownAction) Summary() string { return "" }
