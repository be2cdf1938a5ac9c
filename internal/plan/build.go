package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// Input is what an offline plan is built from: two trees of the promotions
// repository.
type Input struct {
	// Base and Head label the two revisions in the plan.
	Base, Head string
	// BaseTree and HeadTree are the repository's files at each revision.
	BaseTree, HeadTree manifest.Tree
	// PolicyTree, when set, is where policy and environments are read
	// from instead of BaseTree: a pull request is diffed from its merge
	// base, but judged by its base branch's current policy.
	PolicyTree manifest.Tree
	// Dir is the promotions directory (default "promotions").
	Dir string
}

// Build computes the plan's promotions, the manifest and policy findings,
// and the actions apply would take. Policy and environments always come from
// the base tree: a change cannot loosen the rules it is judged by.
// AWS- and GitHub-backed checks add their findings to the returned plan.
func Build(in Input) *Plan {
	dir := in.Dir
	if dir == "" {
		dir = manifest.DefaultDir
	}
	base := manifest.Load(in.BaseTree, dir)
	head := manifest.Load(in.HeadTree, dir)
	policyTree, policySet := in.BaseTree, base
	if in.PolicyTree != nil {
		policyTree, policySet = in.PolicyTree, manifest.Load(in.PolicyTree, dir)
	}
	p := &Plan{Base: in.Base, Head: in.Head, Dir: dir, Findings: []Finding{}, Actions: []Action{}}

	cfgPath := manifest.ConfigPath(dir)
	for _, prob := range head.Problems {
		if prob.File == cfgPath && string(policyTree[cfgPath]) == string(in.HeadTree[cfgPath]) {
			continue // the base configuration's own problems are reported below
		}
		p.addProblem(prob)
	}
	if policySet.Config == nil || hasErrorIn(policySet.Problems, cfgPath) {
		p.Findings = append(p.Findings, Finding{Gate: GateManifest, Severity: SeverityError, File: cfgPath,
			Message: fmt.Sprintf("the base revision has no valid %s; policy and environments are read from the base only, so the configuration must be fixed on the base branch first", manifest.ConfigFile)})
		d := manifest.Compare(base, head, in.BaseTree, in.HeadTree)
		p.fillDiff(d)
		return p
	}
	cfg := policySet.Config
	p.Config = cfg.Config
	for _, prob := range manifest.CheckModels(cfg, head.Models) {
		p.addProblem(prob)
	}
	d := manifest.Compare(base, head, in.BaseTree, in.HeadTree)
	p.fillDiff(d)
	for _, mp := range d.Promotions {
		env, ok := cfg.Environment(mp.Stage)
		if !ok {
			continue // reported by CheckModels
		}
		p.Promotions = append(p.Promotions, Promotion{Promotion: mp, Environment: env})
	}
	p.orderPromotions(cfg.Config)
	p.checkPolicy(cfg, policySet, head)
	p.planActions(cfg.Config)
	p.SetGates(GateManifest, GatePolicy)
	return p
}

func hasErrorIn(ps manifest.Problems, file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}

func (p *Plan) addProblem(prob manifest.Problem) {
	p.Findings = append(p.Findings, Finding{Gate: GateManifest, Severity: SeverityError, File: prob.File, Pos: prob.Pos, Message: prob.Message})
}

func (p *Plan) fillDiff(d *manifest.Diff) {
	p.NewModels, p.RemovedModels, p.RemovedStages, p.Renames = d.NewModels, d.RemovedModels, d.RemovedStages, d.Renames
	p.ConfigChanged, p.ConfigChanges = d.ConfigChanged, d.ConfigChanges
}

// orderPromotions sorts promotions by stage order, then model: apply runs
// them in this order, and promotions to one endpoint are serialized in it.
func (p *Plan) orderPromotions(cfg *manifest.Config) {
	slices.SortStableFunc(p.Promotions, func(a, b Promotion) int {
		if ra, rb := policy.Rank(cfg, a.Stage), policy.Rank(cfg, b.Stage); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Model, b.Model)
	})
}

// checkPolicy adds the findings the manifests alone can support. Whether a
// version is live in the previous stage is read from AWS by the check;
// here the manifests can already show a promotion that skips a stage.
func (p *Plan) checkPolicy(cfg *manifest.ConfigDoc, base, head *manifest.Set) {
	if p.ConfigChanged {
		owners := strings.Join(cfg.Policy.Owners, ", ")
		n := max(cfg.Policy.OwnerApprovals, 1)
		p.Findings = append(p.Findings, Finding{Gate: GateGovernance, Severity: SeverityPending, File: manifest.ConfigPath(p.Dir), Pos: manifest.Pos{Line: 1, Col: 1},
			Message: fmt.Sprintf("this change edits %s (%s): it needs %d approval(s) from the owners (%s), and takes effect only once merged; this pull request is still judged by the base branch's policy", manifest.ConfigFile, strings.Join(p.ConfigChanges, ", "), n, owners)})
	}
	promoted := map[string]int{} // model/stage → version promoted in this change
	for _, pr := range p.Promotions {
		promoted[pr.Key()] = pr.ToVersion
	}
	for i, pr := range p.Promotions {
		pos := pr.Pos
		if pr.IsRollback() {
			p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityNotice, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pos,
				Message: fmt.Sprintf("rolls %s back from version %d to %d", pr.Stage, pr.FromVersion, pr.ToVersion)})
		}
		after := pr.Environment.After
		if after == "" || pr.IsReconfiguration() {
			continue
		}
		if v, ok := promoted[pr.Model+"/"+after]; ok && v == pr.ToVersion {
			p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityError, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pos,
				Message: fmt.Sprintf("promotes version %d to %s and %s in one change: it must be live in %s before it can be promoted to %s; split this into two pull requests", pr.ToVersion, after, pr.Stage, after, pr.Stage)})
			continue
		}
		m := head.Models[pr.Model]
		if m == nil {
			continue
		}
		prev, ok := m.Stages[after]
		// Where the version must be live is read from the base manifest when
		// it has the stage: the change under review must not pick the
		// endpoint that vouches for it.
		p.Promotions[i].AfterEndpoint = prev.Endpoint.Name
		if env, _ := cfg.Environment(after); ok && env.RegistryOnly {
			p.Promotions[i].AfterRegistry = true
		}
		if bm := base.Models[pr.Model]; bm != nil {
			if bs, ok := bm.Stages[after]; ok {
				p.Promotions[i].AfterEndpoint = bs.Endpoint.Name
			}
		}
		switch {
		case !ok:
			p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityError, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pos,
				Message: fmt.Sprintf("%s comes after %s, but %s has no %s stage: a version must be live in %s first", pr.Stage, after, pr.Model, after, after)})
		case prev.Version != pr.ToVersion:
			p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityWarning, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pos,
				Message: fmt.Sprintf("version %d is not the version the manifest puts in %s (%d); the check confirms from AWS whether it is live there", pr.ToVersion, after, prev.Version)})
		}
	}
	for _, rs := range p.RemovedStages {
		p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityNotice, Model: rs.Model, Stage: rs.Stage, File: rs.File,
			Message: fmt.Sprintf("stage %s of %s is removed from the manifest; its endpoint is left serving version %d (modelpromote never deletes endpoints)", rs.Stage, rs.Model, rs.Version)})
	}
	for _, m := range p.RemovedModels {
		p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityNotice,
			Message: fmt.Sprintf("model %s is removed from the manifests; its endpoints are left serving (modelpromote never deletes endpoints)", m)})
	}
}

// ArtifactPrefix is the deterministic key prefix a package version's copied
// artifacts live under in a target bucket: "<group>/<version>/".
func ArtifactPrefix(group string, version int) string {
	return fmt.Sprintf("%s/%d/", group, version)
}

// RolloutSummary describes a rollout in a few words.
func RolloutSummary(r manifest.Rollout) string {
	var s string
	switch r.StrategyName() {
	case manifest.StrategyCanary:
		if r.CanaryPercent > 0 {
			s = fmt.Sprintf("canary %d%%", r.CanaryPercent)
		} else {
			s = fmt.Sprintf("canary %d instance(s)", r.CanaryInstances)
		}
	case manifest.StrategyLinear:
		if r.LinearStepPercent > 0 {
			s = fmt.Sprintf("linear %d%% steps", r.LinearStepPercent)
		} else {
			s = fmt.Sprintf("linear %d-instance steps", r.LinearStepInstances)
		}
	default:
		s = "all at once"
	}
	if r.WaitSeconds > 0 {
		s += fmt.Sprintf(", %ds bake", r.WaitSeconds)
	}
	if len(r.Alarms) > 0 {
		s += ", rollback on " + strings.Join(r.Alarms, ", ")
	}
	return s
}
