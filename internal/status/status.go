// Package status builds one table of every model × stage across all
// environments: what the manifest says, what the endpoint serves (traced
// to the source package through provenance), how it runs, since when, the
// last promotion (pull request, merge, approvers, evidence record), drift
// and open promotion pull requests. It reads only: the endpoints and
// evidence through each environment's read role, GitHub optionally.
//
// Cost grows with models × stages, not with history: each stage costs one
// trace (endpoint → config → model → package) and one read of the evidence
// record the served package's provenance names — never a listing of every
// record. Stages are read in parallel, bounded per account.
package status

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/history"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Stages reads what an endpoint runs, and what a registry-only stage
// holds (endpoints.Stages does).
type Stages interface {
	Live(ctx context.Context, env manifest.Environment, endpoint string) (*plan.Live, error)
	Registered(ctx context.Context, env manifest.Environment, group, sourceARN string) (*plan.Live, error)
}

// Sources are where status reads from.
type Sources struct {
	Stages Stages
	// Records reads evidence records (artifacts.Evidence does).
	Records history.Store
	// Pulls lists the open promotion pull requests; nil when offline.
	Pulls func(ctx context.Context) ([]OpenPullRequest, error)
	// Concurrency bounds the stages read at once in each account (default
	// 16): AWS throttles API calls per account, so accounts are read side
	// by side and each is bounded on its own.
	Concurrency int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Table is every model × stage.
type Table struct {
	GeneratedAt time.Time `json:"generatedAt"`
	Rows        []Row     `json:"rows"`
	// PullRequests says whether open pull requests were read: "read",
	// "offline" (no repository given) or "unread" (PullRequestsError).
	PullRequests      string `json:"pullRequests"`
	PullRequestsError string `json:"pullRequestsError,omitempty"`
}

// Row is one stage of one model.
type Row struct {
	Model       string `json:"model"`
	Stage       string `json:"stage"`
	Environment string `json:"environment"`
	Account     string `json:"account"`
	Region      string `json:"region"`
	Endpoint    string `json:"endpoint"`
	// RegistryOnly marks a registry-only stage, which has no endpoint:
	// ServedVersion is the version its registry holds a copy of
	// (PackageARN), EndpointStatus "Registered (<approval status>)", and
	// LiveSince when the copy was registered.
	RegistryOnly bool   `json:"registryOnly,omitempty"`
	PackageARN   string `json:"packageArn,omitempty"`
	// ManifestVersion is the version the manifest says.
	ManifestVersion int `json:"manifestVersion"`
	// ServedVersion is the source version the endpoint serves, from
	// provenance; 0 when unknown (absent, or not deployed by modelpromote).
	ServedVersion int `json:"servedVersion"`
	// EndpointStatus is SageMaker's status, "Absent" when there is none,
	// "" when unread.
	EndpointStatus string    `json:"endpointStatus"`
	FailureReason  string    `json:"failureReason,omitempty"`
	Variants       []Variant `json:"variants"`
	// LiveSince is when the endpoint last changed (its LastModifiedTime).
	LiveSince *time.Time `json:"liveSince,omitempty"`
	// LastPromotion is the promotion that deployed what serves.
	LastPromotion *Promotion `json:"lastPromotion,omitempty"`
	// Drift says how the endpoint differs from the manifest ("" when it
	// does not, or could not be read).
	Drift            string            `json:"drift,omitempty"`
	OpenPullRequests []OpenPullRequest `json:"openPullRequests"`
	// Error says why the stage could not be read.
	Error string `json:"error,omitempty"`
}

// Variant is one production variant as it runs.
type Variant struct {
	Name          string `json:"name"`
	InstanceType  string `json:"instanceType,omitempty"`
	InstanceCount int    `json:"instanceCount"`
	// Serverless settings, when the variant is serverless.
	MemorySizeMB   int `json:"memorySizeMb,omitempty"`
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
}

// Promotion is the promotion that deployed what a stage serves.
type Promotion struct {
	PullRequest    int      `json:"pullRequest,omitempty"`
	PullRequestURL string   `json:"pullRequestUrl,omitempty"`
	MergeSHA       string   `json:"mergeSha,omitempty"`
	Approvers      []string `json:"approvers"`
	// Evidence is the evidence record's URI; EvidenceError says why it
	// could not be read, or why it is not trusted (apply did not write
	// it: plan.StoredRecord.Untrusted); the rest then comes from
	// provenance only.
	Evidence      string     `json:"evidence,omitempty"`
	EvidenceError string     `json:"evidenceError,omitempty"`
	FromVersion   int        `json:"fromVersion,omitempty"`
	ToVersion     int        `json:"toVersion,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
	FinishedAt    *time.Time `json:"finishedAt,omitempty"`
}

// OpenPullRequest is an open pull request that promotes a stage.
type OpenPullRequest struct {
	Number      int    `json:"number"`
	URL         string `json:"url"`
	Title       string `json:"title"`
	Author      string `json:"author"`
	Model       string `json:"model"`
	Stage       string `json:"stage"`
	FromVersion int    `json:"fromVersion"`
	ToVersion   int    `json:"toVersion"`
}

// Collect reads every stage of every model the configuration knows.
func Collect(ctx context.Context, src Sources, cfg *manifest.Config, models map[string]*manifest.ModelDoc) *Table {
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	t := &Table{GeneratedAt: now().UTC(), PullRequests: "offline", Rows: []Row{}}
	jobs := cfg.StagesOf(models)
	sort.Slice(jobs, func(i, k int) bool {
		if jobs[i].Model.Name != jobs[k].Model.Name {
			return jobs[i].Model.Name < jobs[k].Model.Name
		}
		return stageIndex(cfg, jobs[i].Stage) < stageIndex(cfg, jobs[k].Stage)
	})
	t.Rows = make([]Row, len(jobs))

	var prs []OpenPullRequest
	var wg sync.WaitGroup
	if src.Pulls != nil {
		wg.Go(func() {
			var err error
			prs, err = src.Pulls(ctx)
			if err != nil {
				t.PullRequests, t.PullRequestsError = "unread", err.Error()
				return
			}
			t.PullRequests = "read"
		})
	}
	n := src.Concurrency
	if n <= 0 {
		n = 16
	}
	sems := map[string]chan struct{}{}
	for i, j := range jobs {
		sem := sems[j.Env.Account]
		if sem == nil {
			sem = make(chan struct{}, n)
			sems[j.Env.Account] = sem
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Rows[i] = readStage(ctx, src, cfg.Source, j.Model, j.Stage, j.Env)
		})
	}
	wg.Wait()
	sort.SliceStable(prs, func(i, k int) bool { return prs[i].Number < prs[k].Number })
	for i := range t.Rows {
		r := &t.Rows[i]
		for _, p := range prs {
			if p.Model == r.Model && p.Stage == r.Stage {
				r.OpenPullRequests = append(r.OpenPullRequests, p)
			}
		}
	}
	return t
}

// stageIndex orders stages as the configuration lists environments.
func stageIndex(cfg *manifest.Config, stage string) int {
	for i, e := range cfg.Environments {
		if e.Name == stage {
			return i
		}
	}
	return len(cfg.Environments)
}

// readStage traces one stage and reads the record of what it serves: two
// dependent reads, the trace's four calls and then the record.
func readStage(ctx context.Context, src Sources, source manifest.Source, m *manifest.Model, stage string, env manifest.Environment) Row {
	st := m.Stages[stage]
	r := Row{Model: m.Name, Stage: stage, Environment: env.Name, Account: env.Account, Region: env.Region,
		Endpoint: st.Endpoint.Name, ManifestVersion: st.Version, Variants: []Variant{}, OpenPullRequests: []OpenPullRequest{}}
	var live *plan.Live
	var err error
	if env.RegistryOnly {
		// Nothing is deployed there: what it holds is its registry's copy
		// of the manifest's version.
		r.RegistryOnly = true
		live, err = src.Stages.Registered(ctx, env, m.ModelPackageGroup, plan.SourceARN(source, m.ModelPackageGroup, st.Version))
	} else {
		live, err = src.Stages.Live(ctx, env, st.Endpoint.Name)
	}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	var serving *plan.Serving
	if live == nil {
		r.EndpointStatus = "Absent"
	} else if env.RegistryOnly {
		serving = &live.Serving
		r.ServedVersion, r.EndpointStatus, r.PackageARN = live.SourceVersion, "Registered ("+live.ApprovalStatus+")", live.TargetPackageARN
		since := live.Since.UTC()
		r.LiveSince = &since
		r.LastPromotion = lastPromotion(ctx, src, env, live)
	} else {
		serving = &live.Serving
		r.ServedVersion, r.EndpointStatus, r.FailureReason = live.SourceVersion, live.EndpointStatus, live.FailureReason
		since := live.Since.UTC()
		r.LiveSince = &since
		for _, v := range live.Variants {
			vv := Variant{Name: v.Name, InstanceType: v.InstanceType, InstanceCount: v.CurrentInstanceCount}
			if v.Serverless != nil {
				vv.InstanceType, vv.MemorySizeMB, vv.MaxConcurrency = "", v.Serverless.MemorySizeMB, v.Serverless.MaxConcurrency
			}
			r.Variants = append(r.Variants, vv)
		}
		r.LastPromotion = lastPromotion(ctx, src, env, live)
	}
	if d := drift.Compare(m.Name, m.ModelPackageGroup, stage, st, serving); d != nil {
		r.Drift = d.Detail
	}
	return r
}

// lastPromotion is the promotion the served package's provenance names:
// the evidence record when it can be read, else the provenance alone.
func lastPromotion(ctx context.Context, src Sources, env manifest.Environment, live *plan.Live) *Promotion {
	prov := live.Provenance
	if prov[plan.ProvenanceMergeSHA] == "" && prov[plan.ProvenanceEvidence] == "" {
		return nil // not deployed by an apply (or before records existed)
	}
	p := &Promotion{PullRequestURL: prov[plan.ProvenancePullRequest], MergeSHA: prov[plan.ProvenanceMergeSHA],
		Approvers: strings.Fields(prov[plan.ProvenanceApprovers]), Evidence: prov[plan.ProvenanceEvidence],
		PullRequest: numberOf(prov[plan.ProvenancePullRequest])}
	if p.Approvers == nil {
		p.Approvers = []string{}
	}
	if p.Evidence == "" || src.Records == nil {
		return p
	}
	rec, untrusted, err := history.ReadRecord(ctx, src.Records, env, p.Evidence)
	if err != nil {
		p.EvidenceError = err.Error()
		return p
	}
	if untrusted != "" {
		p.EvidenceError = "the evidence record is not trusted: " + untrusted
		return p
	}
	fromRecord(p, rec)
	return p
}

func fromRecord(p *Promotion, rec *apply.Record) {
	p.PullRequest, p.PullRequestURL, p.MergeSHA = rec.PullRequest.Number, rec.PullRequest.URL, rec.PullRequest.MergeSHA
	p.Approvers = []string{}
	for _, a := range rec.Approvals {
		p.Approvers = append(p.Approvers, a.Login)
	}
	p.FromVersion, p.ToVersion, p.Outcome = rec.FromVersion, rec.ToVersion, rec.Outcome
	if !rec.FinishedAt.IsZero() {
		f := rec.FinishedAt.UTC()
		p.FinishedAt = &f
	}
}

// numberOf is the pull request number at the end of its URL, or 0.
func numberOf(url string) int {
	i := strings.LastIndexByte(url, '/')
	n, err := strconv.Atoi(url[i+1:])
	if err != nil {
		return 0
	}
	return n
}
