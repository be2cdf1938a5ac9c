// Package plan builds the Plan: the promotions a change makes, every check's
// finding about them, and the ordered actions apply would take. A plan is
// data. `check` renders it on the pull request, `plan` prints it, and
// `apply` executes its actions; what reviewers saw is what runs.
package plan

import (
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Gate is one family of checks a promotion must pass.
type Gate string

// The gates, in the order they are reported.
const (
	GateManifest   Gate = "manifest"   // files parse and are valid
	GatePolicy     Gate = "policy"     // the change is one the policy allows (stage order)
	GateLineage    Gate = "lineage"    // the source package and what produced it
	GateCompliance Gate = "compliance" // required reports exist, match digests, are fresh
	GateEvaluation Gate = "evaluation" // metrics meet the thresholds
	GateGovernance Gate = "governance" // the required approvals
)

// Gates lists every gate in report order.
var Gates = []Gate{GateManifest, GatePolicy, GateLineage, GateCompliance, GateEvaluation, GateGovernance}

// Status is the state of a gate, or of the whole plan.
type Status string

// Statuses, from best to worst. Pending means "not yet": waiting for
// approvals, never a failed check.
const (
	StatusPass      Status = "pass"
	StatusUnchecked Status = "unchecked" // not evaluated (e.g. an offline plan has no AWS)
	StatusPending   Status = "pending"
	StatusFail      Status = "fail"
)

func (s Status) rank() int {
	switch s {
	case StatusPass:
		return 0
	case StatusUnchecked:
		return 1
	case StatusPending:
		return 2
	}
	return 3
}

// Worse returns the worse of two statuses.
func Worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Severity says how much a finding matters.
type Severity string

// Severities. An error fails its gate, a pending finding holds it, warnings
// and notices inform.
const (
	SeverityError   Severity = "error"
	SeverityPending Severity = "pending"
	SeverityWarning Severity = "warning"
	SeverityNotice  Severity = "notice"
)

// Finding is one thing a check found.
type Finding struct {
	Gate     Gate     `json:"gate"`
	Severity Severity `json:"severity"`
	// Model and Stage name the promotion; both empty for plan-wide findings.
	Model string `json:"model,omitempty"`
	Stage string `json:"stage,omitempty"`
	// File and Pos point at the manifest line at fault, when there is one.
	File    string       `json:"file,omitempty"`
	Pos     manifest.Pos `json:"pos"`
	Message string       `json:"message"`
}

// Promotion is one promotion in the plan, with its gates.
type Promotion struct {
	manifest.Promotion
	// AfterEndpoint is the model's endpoint in the `after` stage, where the
	// version must already be live ("" when the stage has no `after`).
	AfterEndpoint string `json:"afterEndpoint,omitempty"`
	// AfterRegistry is true when the `after` stage is a registry-only
	// stage the model has: the version must be registered there (there
	// is no endpoint to be live on).
	AfterRegistry bool `json:"afterRegistry,omitempty"`
	// Environment is the target environment, from the base configuration.
	Environment manifest.Environment `json:"environment"`
	// Gates holds each gate's status, in the order of Gates.
	Gates []GateStatus `json:"gates"`
	// Details is the evidence the AWS- and GitHub-backed checks gathered.
	Details Details `json:"details"`
}

// GateStatus is one gate's status for one promotion.
type GateStatus struct {
	Gate   Gate   `json:"gate"`
	Status Status `json:"status"`
}

// Status returns the status of gate g.
func (p Promotion) Status(g Gate) Status {
	for _, gs := range p.Gates {
		if gs.Gate == g {
			return gs.Status
		}
	}
	return StatusUnchecked
}

// RegistryOnlyLabel stands where an endpoint name would for a
// registry-only stage, which deploys nothing.
const RegistryOnlyLabel = "registry only"

// Where is the promotion's endpoint, or RegistryOnlyLabel for a
// registry-only stage.
func (p Promotion) Where() string {
	if p.Environment.RegistryOnly {
		return RegistryOnlyLabel
	}
	return p.To.Name
}

// Key identifies a promotion: "model/stage".
func (p Promotion) Key() string { return p.Model + "/" + p.Stage }

// Plan is everything known about a change before anything is applied.
type Plan struct {
	// Base and Head name the compared revisions (refs, SHAs or directories).
	Base string `json:"base"`
	Head string `json:"head"`
	// Dir is the promotions directory.
	Dir        string      `json:"dir"`
	Promotions []Promotion `json:"promotions"`
	// The rest of the diff: what the change does besides promotions.
	NewModels     []string            `json:"newModels,omitempty"`
	RemovedModels []string            `json:"removedModels,omitempty"`
	RemovedStages []manifest.StageRef `json:"removedStages,omitempty"`
	Renames       []manifest.Rename   `json:"renames,omitempty"`
	ConfigChanged bool                `json:"configChanged"`
	ConfigChanges []string            `json:"configChanges,omitempty"`
	Findings      []Finding           `json:"findings"`
	Actions       []Action            `json:"actions"`
	// OwnerApprovals is the owners' gate when the change edits the
	// configuration.
	OwnerApprovals *Approvals `json:"ownerApprovals,omitempty"`
	// Config is the configuration the plan was judged by (from the base);
	// nil when the base has none. Not serialized: it is policy, not plan.
	Config *manifest.Config `json:"-"`
	// PR is the pull request the plan is for, when there is one.
	PR *PullRequest `json:"pullRequest,omitempty"`
	// Drift lists stages whose endpoint does not serve what the base
	// manifest says, for the stages this change touches.
	Drift []Drift `json:"drift,omitempty"`
}

// PullRequest identifies the pull request a plan was built for.
type PullRequest struct {
	Repo    string `json:"repo"` // owner/name
	Number  int    `json:"number"`
	URL     string `json:"url"`
	Author  string `json:"author"`
	BaseSHA string `json:"baseSha"`
	// BaseRef is the branch the pull request targets.
	BaseRef string `json:"baseRef,omitempty"`
	HeadSHA string `json:"headSha"`
	// Fork is true when the head repository is not the base repository.
	Fork bool `json:"fork"`
}

// Drift is a stage whose endpoint serves something else than the manifest
// says.
type Drift struct {
	Model    string `json:"model"`
	Stage    string `json:"stage"`
	Endpoint string `json:"endpoint"`
	// Manifest is the version the base manifest names; Serving what the
	// endpoint serves (0: nothing we deployed, or no endpoint).
	Manifest int    `json:"manifest"`
	Serving  int    `json:"serving"`
	Detail   string `json:"detail"`
	// Settings are the endpoint's settings that differ from what apply
	// would create (drift only).
	Settings []SettingDrift `json:"settings,omitempty"`
}

// Verdict is the plan's overall status: the worst gate of any promotion and
// of the plan-wide findings. A plan with no promotions and no findings passes.
func (p *Plan) Verdict() Status {
	v := StatusPass
	for _, pr := range p.Promotions {
		for _, g := range pr.Gates {
			v = Worse(v, g.Status)
		}
	}
	for _, f := range p.Findings {
		if f.Model == "" {
			v = Worse(v, severityStatus(f.Severity))
		}
	}
	return v
}

// FindingsFor returns the findings about one promotion.
func (p *Plan) FindingsFor(model, stage string) []Finding {
	var out []Finding
	for _, f := range p.Findings {
		if f.Model == model && f.Stage == stage {
			out = append(out, f)
		}
	}
	return out
}

func severityStatus(s Severity) Status {
	switch s {
	case SeverityError:
		return StatusFail
	case SeverityPending:
		return StatusPending
	}
	return StatusPass
}

// SetGates recomputes every promotion's gate statuses from the findings:
// a gate fails on an error, is pending on a pending finding, and otherwise
// keeps the status the checks that ran gave it (checked gates pass, gates
// that no check ran stay unchecked). checked lists the gates that ran.
func (p *Plan) SetGates(checked ...Gate) {
	ran := map[Gate]bool{}
	for _, g := range checked {
		ran[g] = true
	}
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		pr.Gates = pr.Gates[:0]
		for _, g := range Gates {
			st := StatusUnchecked
			if ran[g] {
				st = StatusPass
			}
			for _, f := range p.Findings {
				if f.Gate != g || !(f.Model == pr.Model && f.Stage == pr.Stage || f.Model == "" && f.File == pr.File) {
					continue
				}
				st = Worse(st, severityStatus(f.Severity))
			}
			pr.Gates = append(pr.Gates, GateStatus{Gate: g, Status: st})
		}
	}
}
