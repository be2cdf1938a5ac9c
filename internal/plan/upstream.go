package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// A stage sourced from a registry-only stage (`source: central`) takes its
// packages from that stage's registry: the copies apply wrote there and
// verified. Its lineage, reports, bindings and chain of custody are read
// from the central account, and the configuration's source account is not
// read for it at all. Versions in the model files still mean the source
// registry's versions: central's copy of source version N is the package
// whose provenance names source version N's ARN, whatever number central
// gave it.

// Upstream is how a stage reads the registry-only stage it is sourced
// from.
type Upstream struct {
	Reg     Registry
	Objects Objects
	// History and Held, when set, read the registry-only stage's evidence
	// records and the copies its registry holds (Stages.Registered, for
	// `after:` it) the way this mode reads it, in place of the sources'
	// own readers of that stage. Nil: the sources' own.
	History History
	Held    Holder
	// Mode is how the registry is read (UpstreamRole or UpstreamShared);
	// ReadWith names the role or identity the reads use.
	Mode     string
	ReadWith string
}

// Holder finds the copy a registry holds of a source package, as
// Stages.Registered does for a registry-only stage.
type Holder interface {
	Held(ctx context.Context, group, sourceARN string) (*Live, error)
}

// The ways of reading a central registry.
const (
	// UpstreamRole: the central account's read role is assumed and the
	// central registry's copies are read with it.
	UpstreamRole = "read role"
	// UpstreamShared: the central account shares its model package groups
	// by a resource policy (PutModelPackageGroupPolicy); the stage reads
	// them with its own credentials, and no role in the central account is
	// assumed.
	UpstreamShared = "shared registry"
)

// SourceDetail says, in the plan, where a promotion's package is read
// from when its stage is sourced from a registry-only stage.
type SourceDetail struct {
	// Stage is the registry-only stage; Account and Region its account.
	Stage   string `json:"stage"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Mode and ReadWith are Upstream's.
	Mode     string `json:"mode"`
	ReadWith string `json:"readWith,omitempty"`
}

// Summary says in one line where the package is read from.
func (d *SourceDetail) Summary() string {
	s := fmt.Sprintf("source: %s's registry (account %s), %s", d.Stage, d.Account, d.Mode)
	if d.ReadWith != "" {
		s += ", read with " + d.ReadWith
	}
	return s
}

// NotShared words a read a shared registry-only stage refused (an error
// wrapping ErrNotShared): what it must grant, and to whom.
func (d *SourceDetail) NotShared(group string, err error) string {
	who := "this stage's roles"
	if d.ReadWith != "" {
		who = d.ReadWith
	}
	return fmt.Sprintf("%s's registry (account %s) does not share model package group %s with %s: the group's resource policy (PutModelPackageGroupPolicy, as in docs/iam/model-package-group-policy-central.json) must allow it sagemaker:ListModelPackages and sagemaker:DescribeModelPackage: %v",
		d.Stage, d.Account, group, who, err)
}

// forStage returns the sources a promotion into env reads: s itself, or
// for a stage sourced from a registry-only stage, that stage's registry
// and objects in place of the source account's. An Upstream that cannot
// be made is an error: such a stage never falls back to the source
// account.
func (s Sources) forStage(cfg *manifest.Config, env manifest.Environment) (Sources, *SourceDetail, error) {
	central, ok := cfg.Upstream(env)
	if !ok {
		return s, nil, nil
	}
	d := &SourceDetail{Stage: central.Name, Account: central.Account, Region: central.Region}
	if s.Upstream == nil {
		return s, d, fmt.Errorf("%s is sourced from %s, but nothing here reads %s's registry", env.Name, central.Name, central.Name)
	}
	up, err := s.Upstream(central, env)
	if err != nil {
		return s, d, fmt.Errorf("cannot read %s's registry: %w", central.Name, err)
	}
	d.Mode, d.ReadWith = up.Mode, up.ReadWith
	s.Source, s.Reg, s.Objects, s.via = central.AsSource(), up.Reg, up.Objects, &central
	if up.History != nil {
		s.History = upstreamHistory{History: s.History, central: central.Name, up: up.History}
	}
	if up.Held != nil {
		s.Stages = upstreamStages{Stages: s.Stages, central: central.Name, up: up.Held}
	}
	return s, d, nil
}

// upstreamHistory reads the registry-only stage's evidence records with
// Upstream's reader and every other stage's with the sources' own.
type upstreamHistory struct {
	History
	central string
	up      History
}

func (h upstreamHistory) pick(env manifest.Environment) History {
	if env.Name == h.central {
		return h.up
	}
	return h.History
}

// Records implements History.
func (h upstreamHistory) Records(ctx context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error) {
	if r := h.pick(env); r != nil {
		return r.Records(ctx, env, group, version)
	}
	return nil, fmt.Errorf("nothing here reads %s's evidence records", env.Name)
}

// ReadAll implements History.
func (h upstreamHistory) ReadAll(ctx context.Context, env manifest.Environment, uri string, limit int64) ([]byte, error) {
	if r := h.pick(env); r != nil {
		return r.ReadAll(ctx, env, uri, limit)
	}
	return nil, fmt.Errorf("nothing here reads %s's bucket", env.Name)
}

// upstreamStages finds the registry-only stage's copies with Upstream's
// reader; everything else the sources' own Stages read.
type upstreamStages struct {
	Stages
	central string
	up      Holder
}

// Serving implements Stages.
func (s upstreamStages) Serving(ctx context.Context, env manifest.Environment, endpoint string) (*Serving, error) {
	if s.Stages == nil {
		return nil, fmt.Errorf("nothing here reads what %s serves", env.Name)
	}
	return s.Stages.Serving(ctx, env, endpoint)
}

// Registered implements Stages.
func (s upstreamStages) Registered(ctx context.Context, env manifest.Environment, group, sourceARN string) (*Live, error) {
	if env.Name == s.central {
		return s.up.Held(ctx, group, sourceARN)
	}
	if s.Stages == nil {
		return nil, fmt.Errorf("nothing here reads %s's registry", env.Name)
	}
	return s.Stages.Registered(ctx, env, group, sourceARN)
}

// registryName names the registry the sources read packages from, for
// findings.
func (s Sources) registryName() string {
	if s.via != nil {
		return s.via.Name + "'s registry"
	}
	return "the source registry"
}

// Identity is the source package p stands for: p itself, or for a
// registry-only stage's copy, the source package it was copied from.
func (p *ModelPackage) Identity() string {
	if p.Origin != "" {
		return p.Origin
	}
	return p.ARN
}

// copyLineage is the lineage of a registry-only stage's copy: what its
// provenance says produced the source package, the source package, and
// the copy, which the registry-only stage's evidence record (the one its
// provenance names) must say apply wrote and verified. The source
// account's jobs are not read: the copy's stage checked them when it took
// the version.
func copyLineage(ctx context.Context, src Sources, pkg *ModelPackage, add func(Gate, Severity, string)) *Lineage {
	central := *src.via
	lin := &Lineage{}
	if job := pkg.CustomerMetadata[ProvenanceGeneratedBy]; job != "" {
		lin.Steps = append(lin.Steps, LineageStep{Kind: "producer", Name: "as recorded at " + central.Name, ARN: job})
	}
	group, version, _ := PackageGroupVersion(pkg.Origin)
	lin.Steps = append(lin.Steps, LineageStep{Kind: "source-package", Name: fmt.Sprintf("%s/%d", group, version), ARN: pkg.Origin})
	copyStep := LineageStep{Kind: "model-package", Name: central.Name + "'s copy", ARN: pkg.ARN, Status: pkg.ApprovalStatus}
	defer func() { lin.Steps = append(lin.Steps, copyStep) }()

	named := pkg.CustomerMetadata[ProvenanceEvidence]
	unverified := fmt.Sprintf("%s's copy %s of %s", central.Name, pkg.ARN, pkg.Origin)
	switch {
	case pkg.CustomerMetadata[ProvenanceSourceARN] != pkg.Origin:
		add(GateLineage, SeverityError, fmt.Sprintf("%s does not name it as its source in its provenance", unverified))
		return lin
	case named == "":
		add(GateLineage, SeverityError, fmt.Sprintf("%s names no evidence record: it cannot be shown that apply wrote and verified it", unverified))
		return lin
	case src.History == nil:
		add(GateLineage, SeverityError, fmt.Sprintf("%s: its evidence record %s could not be read here", unverified, named))
		return lin
	}
	recs, err := readStageRecords(ctx, src.History, central, pkg.Group, version)
	if errors.Is(err, ErrNotShared) {
		add(GateLineage, SeverityError, fmt.Sprintf("%s's bucket %s does not share its evidence records with this stage's roles: its bucket policy (as in docs/iam/bucket-policy-central-shared.json) must allow them s3:ListBucket and s3:GetObject, and %s's key policy kms:Decrypt: %v; %s cannot be shown to be what apply wrote and verified", central.Name, central.ArtifactBucket, central.Name, err, unverified))
		return lin
	}
	if err != nil {
		add(GateLineage, SeverityError, fmt.Sprintf("could not read %s's evidence records of version %d: %v; %s cannot be shown to be what apply wrote and verified", central.Name, version, err, unverified))
		return lin
	}
	if r := recs.newest(central.Name, version, pkg.Origin, func(r PastDeployment) bool {
		return r.URI == named && strings.EqualFold(r.TargetPackageARN, pkg.ARN)
	}); r != nil {
		copyStep.Name += " (evidence " + r.URI + ")"
		return lin
	}
	add(GateLineage, SeverityError, fmt.Sprintf("%s names evidence record %s, which is not a trusted record of apply registering it: it cannot be shown to be what apply wrote and verified", unverified, named))
	return lin
}
