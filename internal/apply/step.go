package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// step is one plan action as apply carries it out. Each kind of action has
// its step, in a file of its own (step_*.go).
type step interface {
	// run carries the action out, reading what earlier steps handed on in
	// st and adding what it learns.
	run(ctx context.Context, st *state) error
	// predict says what run would do, reading only.
	predict(ctx context.Context, st *state, pv *PromotionPreview) error
}

// state is one promotion's apply: what only apply knows (the merge, who
// approved), what each step hands the next (the target account's
// configuration, the copies, the registered package), and the evidence
// record the steps fill in.
type state struct {
	// promotion is the promotion applied, as apply's check found it.
	promotion *plan.Promotion
	merge     *github.Merge
	approvers []string
	// recordURI is where the evidence record goes; the package's
	// provenance names it.
	recordURI string
	// source is the registry the package is read from, and sourceCfg its
	// configuration: the source account's, or for a stage sourced from a
	// registry-only stage, that stage's (registry.Upstream).
	source    *registry.Registry
	sourceCfg aws.Config
	// target is the environment's configuration, from the assume-role
	// step.
	target aws.Config
	// copied maps each source URI to its copy, from the copy step.
	copied map[string]string
	// packageARN is the target package, from the register step.
	packageARN string
	record     *Record
	// failed is the first step's failure.
	failed error
}

// stepFor returns the step that carries a out.
func (r *runner) stepFor(a plan.Action) (step, error) {
	switch a := a.(type) {
	case *plan.AssumeRole:
		return assumeStep{a, r}, nil
	case *plan.CopyArtifacts:
		return copyStep{a, r}, nil
	case *plan.RegisterPackage:
		return registerStep{a, r}, nil
	case *plan.Deploy:
		return deployStep{a, r}, nil
	case *plan.RecordEvidence:
		return recordStep{a, r}, nil
	case *plan.UpdateModelCard:
		return cardStep{a, r}, nil
	}
	return nil, fmt.Errorf("apply has no step for a %s action (%T)", a.Head().Kind, a)
}

// walk runs one promotion's actions in the plan's order. After a failure
// the rest are skipped but the evidence record, which records the failure.
// Env.Interrupt runs before each step: its error stops the walk there, as
// a crash would, and nothing more is written.
func (r *runner) walk(ctx context.Context, pr *plan.Promotion, st *state) error {
	for _, a := range r.plan.ActionsFor(pr.Model, pr.Stage) {
		kind := a.Head().Kind
		if kind == plan.ActionRecordEvidence {
			st.finish(r.env.now())
		} else if st.failed != nil {
			continue
		}
		if err := r.interrupt(pr, kind); err != nil {
			return err
		}
		s, err := r.stepFor(a)
		if err == nil {
			err = s.run(ctx, st)
		}
		if errors.Is(err, errInterrupted) {
			return err // a crash inside the step: nothing more is written
		}
		if err != nil && st.failed == nil {
			st.failed = err
		}
	}
	return st.failed
}

// preview predicts one promotion's actions in the plan's order, stopping at
// the first that cannot be predicted.
func (r *runner) predict(ctx context.Context, pr *plan.Promotion, st *state, pv *PromotionPreview) error {
	for _, a := range r.plan.ActionsFor(pr.Model, pr.Stage) {
		s, err := r.stepFor(a)
		if err == nil {
			err = s.predict(ctx, st, pv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
