package plan

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// History reads what a stage ran before, and the copies it ran.
//
// The source is the evidence records apply writes into the stage's own
// artifact bucket (RecordKey), read with the stage's read-only role. Of
// the records of past deployments, they are the ones to trust with waiving
// gates, once judged (StoredRecord.Untrusted: under the stage's KMS key,
// which only the deploy role may encrypt with, and where apply writes
// them): apply writes one only after it judged the rollout itself (the
// new config serving, InService, no failure reason), records the outcome,
// and writes it with the deploy role into the target account, which
// neither a pull request nor its workflow can reach. GitHub deployments can
// be created by any workflow with `deployments: write` (including a
// pull_request workflow a branch pusher controls); a package in the target
// registry proves a copy, not that it served (apply registers before it
// deploys, and a failed rollout leaves the package); and endpoint configs
// are cleaned up after two deployments.
type History interface {
	// Records returns every evidence record under version of group's
	// prefix in env's bucket (EvidenceKey), whatever it holds, each with
	// what S3 said of the object. None is not an error; a listing or a
	// read that fails is. The core judges each record (Untrusted).
	Records(ctx context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error)
	// ReadAll reads an object of env's bucket of at most limit bytes (a
	// copy a trusted record lists: the regression baseline), or
	// ErrNotFound.
	ReadAll(ctx context.Context, env manifest.Environment, uri string, limit int64) ([]byte, error)
}

// PastDeployment is one evidence record, as the rollback check reads it.
type PastDeployment struct {
	// URI is where the record is.
	URI   string `json:"uri"`
	Model string `json:"model"`
	Stage string `json:"stage"`
	// Version is the source version deployed; SourcePackageARN its ARN.
	Version          int    `json:"version"`
	SourcePackageARN string `json:"sourcePackageArn"`
	// TargetPackageARN is the package apply registered in the stage.
	TargetPackageARN string `json:"targetPackageArn,omitempty"`
	Endpoint         string `json:"endpoint"`
	// PullRequest, PullRequestURL and MergeSHA name the merge applied.
	PullRequest    int       `json:"pullRequest"`
	PullRequestURL string    `json:"pullRequestUrl,omitempty"`
	MergeSHA       string    `json:"mergeSha"`
	FinishedAt     time.Time `json:"finishedAt"`
	// Outcome is "success" or "failure".
	Outcome string `json:"outcome"`
	// Artifacts are the objects the deployment copied, by source URI,
	// with the source's ETag and size and the SHA-256 of the bytes: the
	// chain of custody of a later stage (custody.go), and where the copy
	// is: the regression baseline (baseline.go).
	Artifacts []PastArtifact `json:"artifacts,omitempty"`
}

// PastArtifact is one object a past deployment copied: the source as the
// check bound it, and the copy in the stage's bucket.
type PastArtifact struct {
	Binding
	Target string `json:"target,omitempty"`
}

// Rollback is a promotion that returns its stage to a version the stage
// ran before: stage order and soak do not apply (the version is not new
// to the stage), nor do regression bounds (it is going back); lineage,
// digests and approvals do, with the stage's rollbackApprovals.
type Rollback struct {
	// To is the earlier deployment the stage returns to: its newest
	// successful one of this version.
	To PastDeployment `json:"to"`
	// Waived lists the gates not applied, each with why.
	Waived []string `json:"waived"`
}

// findRollbacks reads, for each promotion, whether its stage ran the
// version before, and marks the rollbacks. A history that cannot be read
// judges the promotion as new to the stage, with every gate: waiving
// gates needs evidence.
func (p *Plan) findRollbacks(ctx context.Context, src Sources) {
	if src.History == nil {
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		if pr.IsReconfiguration() {
			continue
		}
		wg.Go(func() {
			rb, fs := findRollback(ctx, src, pr, p.PR)
			pr.Details.Rollback = rb
			mu.Lock()
			p.Findings = append(p.Findings, fs...)
			mu.Unlock()
		})
	}
	wg.Wait()
}

// findRollback finds the newest successful deployment of the version to
// the stage, other than one of the pull request being judged: re-checked
// after its merge, or re-verified by a rerun of its apply, a pull request
// is not a rollback to itself.
func findRollback(ctx context.Context, src Sources, pr *Promotion, self *PullRequest) (*Rollback, []Finding) {
	finding := func(msg string) Finding {
		return Finding{Gate: GatePolicy, Severity: SeverityWarning, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos, Message: msg}
	}
	recs, err := readStageRecords(ctx, src.History, pr.Environment, pr.ModelPackageGroup, pr.ToVersion)
	if err != nil {
		return nil, []Finding{finding(fmt.Sprintf("could not read %s's evidence records to tell whether version %d ran there before: %v; it is judged as new to %s, with every gate", pr.Stage, pr.ToVersion, err, pr.Stage))}
	}
	var out []Finding
	for _, why := range recs.untrusted {
		out = append(out, finding(fmt.Sprintf("evidence record %s; it does not count as a deployment of version %d to %s, which is judged with every gate", why, pr.ToVersion, pr.Stage)))
	}
	want := SourceARN(src.Source, pr.ModelPackageGroup, pr.ToVersion)
	best := recs.newest(pr.Stage, pr.ToVersion, want, func(r PastDeployment) bool {
		return r.Model == pr.Model && (self == nil || self.Number <= 0 || r.PullRequest != self.Number)
	})
	if best == nil {
		return nil, out
	}
	return &Rollback{To: *best, Waived: []string{
		fmt.Sprintf("stage order and soak: version %d is not new to %s", pr.ToVersion, pr.Stage),
		"regression bounds: a rollback goes back to a version judged when it was promoted",
	}}, out
}

// SourceARN is the ARN of version of group in the source registry, as
// SageMaker writes it (resource names in lower case).
func SourceARN(s manifest.Source, group string, version int) string {
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:model-package/%s/%d", manifest.PartitionOf(s.Region), s.Region, s.Account, strings.ToLower(group), version)
}

// RequiredApprovals is how many approvals of the stage's approvers the
// promotion needs: the stage's rollbackApprovals for a rollback (default
// its approvals), its approvals otherwise.
func (pr *Promotion) RequiredApprovals(sp manifest.StagePolicy) int {
	if pr.Details.Rollback != nil && sp.RollbackApprovals > 0 {
		return sp.RollbackApprovals
	}
	return sp.Approvals
}

// waivesTiming reports whether the promotion is judged without stage
// order, soak and regression bounds: a rollback, or break-glass.
func (pr *Promotion) waivesTiming() bool {
	return pr.Details.Rollback != nil || pr.Details.BreakGlass != nil
}

// JudgedPolicy is the stage policy a promotion's AWS-backed gates apply:
// the stage's, without soak and regression bounds for a rollback or a
// break-glass promotion. Lineage, digests, reports and absolute bounds
// stay.
func (pr *Promotion) JudgedPolicy(cfg *manifest.Config) manifest.StagePolicy {
	sp := cfg.Policy.Stages[pr.Stage]
	if !pr.waivesTiming() {
		return sp
	}
	sp.SoakTime = manifest.Duration{}
	var kept []manifest.Threshold
	for _, t := range sp.Thresholds {
		t.MaxRegression, t.MaxRelativeRegression = nil, nil
		if t.Min == nil && t.Max == nil && len(t.Between) == 0 {
			continue // only a regression bound: nothing left to judge
		}
		kept = append(kept, t)
	}
	sp.Thresholds = kept
	return sp
}

// dropWaivedStageOrder removes the manifest-level stage-order findings
// (Build's) of promotions that waive stage order, and says in their place
// what was skipped and why.
func (p *Plan) dropWaivedStageOrder() {
	kept := p.Findings[:0]
	for _, f := range p.Findings {
		if f.Gate == GatePolicy && f.Severity != SeverityNotice && f.Model != "" {
			if pr := p.promotion(f.Model, f.Stage); pr != nil && pr.waivesTiming() {
				continue
			}
		}
		kept = append(kept, f)
	}
	p.Findings = kept
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		add := func(msg string) {
			p.Findings = append(p.Findings, Finding{Gate: GatePolicy, Severity: SeverityNotice, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos, Message: msg})
		}
		if rb := pr.Details.Rollback; rb != nil {
			add(fmt.Sprintf("rollback: %s returns to version %d, which it ran before (%s); not applied: %s; lineage, digests and approvals still apply",
				pr.Stage, pr.ToVersion, describePast(rb.To), strings.Join(rb.Waived, "; ")))
		}
	}
}

func (p *Plan) promotion(model, stage string) *Promotion {
	for i := range p.Promotions {
		if p.Promotions[i].Model == model && p.Promotions[i].Stage == stage {
			return &p.Promotions[i]
		}
	}
	return nil
}

// describePast names an earlier deployment: its pull request, merge and
// when it finished.
func describePast(d PastDeployment) string {
	s := fmt.Sprintf("deployed by pull request #%d, merge %s", d.PullRequest, gitsha.Short(d.MergeSHA))
	if d.PullRequest == 0 {
		s = "deployed by merge " + gitsha.Short(d.MergeSHA)
	}
	if !d.FinishedAt.IsZero() {
		s += ", on " + d.FinishedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	if d.Endpoint != "" {
		s += ", to endpoint " + d.Endpoint
	}
	return s
}
