// Package drift compares what the manifests say every stage runs with what
// its endpoint actually serves, traced endpoint → config → model → the
// provenance apply wrote. Differences are configuration drift between git
// and the accounts: an out-of-band deploy, a manual rollback, a deleted
// endpoint. `modelpromote drift` reports them for a scheduled workflow.
package drift

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Report is the result of comparing every stage.
type Report struct {
	// Verdict sums the report up: VerdictClean, VerdictDrift,
	// VerdictIncomplete or VerdictUnread.
	Verdict string `json:"verdict"`
	// Checked is how many stages the manifests name; Read how many of
	// their endpoints could be read and compared.
	Checked int `json:"checked"`
	Read    int `json:"read"`
	// Drift lists the stages whose endpoint serves something else.
	Drift []plan.Drift `json:"drift"`
	// Unread lists the stages whose endpoint could not be read.
	Unread []Unread `json:"unread,omitempty"`
}

// Unread is a stage that could not be compared.
type Unread struct {
	Model    string `json:"model"`
	Stage    string `json:"stage"`
	Endpoint string `json:"endpoint"`
	Error    string `json:"error"`
}

// Verdicts. A stage that could not be read is never "no drift".
const (
	VerdictClean      = "clean"      // every stage read, none drifted
	VerdictDrift      = "drift"      // at least one stage drifted
	VerdictIncomplete = "incomplete" // no drift in the stages read, but some could not be read
	VerdictUnread     = "unread"     // no stage could be read
)

// Clean reports whether every stage was read and serves what its manifest
// says.
func (r *Report) Clean() bool { return len(r.Drift) == 0 && len(r.Unread) == 0 }

func (r *Report) verdict() string {
	switch {
	case len(r.Drift) > 0:
		return VerdictDrift
	case r.Checked > 0 && len(r.Unread) == r.Checked:
		return VerdictUnread
	case len(r.Unread) > 0:
		return VerdictIncomplete
	}
	return VerdictClean
}

// SettingsReader reads, besides what a stage's endpoint serves, how it is
// configured (endpoints.Stages implements it). Detect compares the
// settings when its stages can read them.
type SettingsReader interface {
	// Configured traces the endpoint as plan.Stages.Serving does and reads
	// its settings; both nil (and no error) when it does not exist.
	Configured(ctx context.Context, env manifest.Environment, ep manifest.Endpoint) (*plan.Serving, *plan.Configured, error)
}

// concurrency bounds the endpoints traced at once.
const concurrency = 8

// Detect traces the endpoint of every stage of every model and compares it
// with the manifest: the version it serves and, when stages is a
// SettingsReader, its settings with what apply would create
// (CompareSettings), and with WithJournals, a scaling journal left in the
// stage's bucket. A stage whose endpoint or settings cannot be read is
// unread, never clean. Stages the configuration does not know are skipped
// (validate reports them).
func Detect(ctx context.Context, cfg *manifest.Config, models map[string]*manifest.ModelDoc, stages plan.Stages) *Report {
	jobs := cfg.StagesOf(models)
	r := &Report{Checked: len(jobs), Drift: []plan.Drift{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			st := j.Model.Stages[j.Stage]
			var s *plan.Serving
			var c *plan.Configured
			var err error
			if sr, ok := stages.(SettingsReader); ok && !j.Env.RegistryOnly {
				s, c, err = sr.Configured(ctx, j.Env, st.Endpoint)
				if jr, ok := stages.(JournalReader); ok && err == nil && c != nil && !st.Endpoint.IsServerless() {
					var sj *plan.StoredScalingJournal
					if sj, err = jr.ScalingJournal(ctx, j.Env, st.Endpoint.Name, st.Endpoint.Variant()); err != nil {
						err = fmt.Errorf("read the scaling journal of %s: %w", st.Endpoint.Name, err)
					}
					c.ScalingJournal = journalText(sj, j.Env, st.Endpoint.Name, st.Endpoint.Variant())
				}
			} else {
				s, err = serving(ctx, stages, cfg.Source, j.Model.ModelPackageGroup, st, j.Env)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Unread = append(r.Unread, Unread{Model: j.Model.Name, Stage: j.Stage, Endpoint: st.Endpoint.Name, Error: err.Error()})
				return
			}
			d := Compare(j.Model.Name, j.Model.ModelPackageGroup, j.Stage, st, s)
			if s != nil && c != nil {
				d = withSettings(d, j.Model.Name, j.Stage, st, s, CompareSettings(plan.DeployFor(j.Env, j.Model.ModelPackageGroup, st.Endpoint), c))
			}
			if d != nil {
				r.Drift = append(r.Drift, *d)
			}
		})
	}
	wg.Wait()
	sort.Slice(r.Drift, func(i, k int) bool {
		return less(r.Drift[i].Model, r.Drift[i].Stage, r.Drift[k].Model, r.Drift[k].Stage)
	})
	sort.Slice(r.Unread, func(i, k int) bool {
		return less(r.Unread[i].Model, r.Unread[i].Stage, r.Unread[k].Model, r.Unread[k].Stage)
	})
	r.Read = r.Checked - len(r.Unread)
	r.Verdict = r.verdict()
	return r
}

// serving is what a stage serves: its endpoint's trace, or for a
// registry-only stage, its registry's copy of the manifest's version.
func serving(ctx context.Context, stages plan.Stages, src manifest.Source, group string, st manifest.Stage, env manifest.Environment) (*plan.Serving, error) {
	if !env.RegistryOnly {
		return stages.Serving(ctx, env, st.Endpoint.Name)
	}
	l, err := stages.Registered(ctx, env, group, plan.SourceARN(src, group, st.Version))
	if l == nil || err != nil {
		return nil, err
	}
	return &l.Serving, nil
}

func less(m1, s1, m2, s2 string) bool {
	if m1 != m2 {
		return m1 < m2
	}
	return s1 < s2
}

// Compare judges one stage: nil when its endpoint serves the manifest's
// version of the model's package group.
func Compare(model, group, stage string, st manifest.Stage, s *plan.Serving) *plan.Drift {
	d := &plan.Drift{Model: model, Stage: stage, Endpoint: st.Endpoint.Name, Manifest: st.Version}
	if st.Endpoint.Name == "" { // a registry-only stage: its registry's copy of the version
		switch {
		case s == nil:
			d.Detail = fmt.Sprintf("the manifest says %s holds v%d, but its registry has no copy of it", stage, st.Version)
		case s.ApprovalStatus != "Approved":
			d.Serving = s.SourceVersion
			d.Detail = fmt.Sprintf("the manifest says %s holds v%d, but its copy %s is %s, not Approved", stage, st.Version, s.TargetPackageARN, s.ApprovalStatus)
		default:
			return nil
		}
		return d
	}
	switch {
	case s == nil:
		d.Detail = fmt.Sprintf("the manifest says %s runs v%d, but endpoint %s does not exist", stage, st.Version, st.Endpoint.Name)
	case s.SourceVersion == 0:
		d.Detail = fmt.Sprintf("the manifest says %s runs v%d, but endpoint %s serves config %s, which modelpromote did not deploy", stage, st.Version, st.Endpoint.Name, s.EndpointConfig)
	case !strings.Contains(s.SourcePackageARN, "/"+strings.ToLower(group)+"/"):
		d.Serving = s.SourceVersion
		d.Detail = fmt.Sprintf("the manifest says %s runs v%d of %s, but endpoint %s serves %s", stage, st.Version, group, st.Endpoint.Name, s.SourcePackageARN)
	case s.SourceVersion != st.Version:
		d.Serving = s.SourceVersion
		d.Detail = fmt.Sprintf("the manifest says %s runs v%d, but endpoint %s serves v%d (since %s)", stage, st.Version, st.Endpoint.Name, s.SourceVersion, s.Since.UTC().Format("2006-01-02 15:04 UTC"))
	default:
		return nil
	}
	return d
}

// withSettings adds a stage's settings drift to its version drift d (nil
// when the version is the manifest's).
func withSettings(d *plan.Drift, model, stage string, st manifest.Stage, s *plan.Serving, settings []plan.SettingDrift) *plan.Drift {
	if len(settings) == 0 {
		return d
	}
	if d == nil {
		return &plan.Drift{Model: model, Stage: stage, Endpoint: st.Endpoint.Name, Manifest: st.Version, Serving: s.SourceVersion,
			Detail: settingsDetail(st.Endpoint.Name, settings), Settings: settings}
	}
	d.Detail += "; and " + settingsDetail(st.Endpoint.Name, settings)
	d.Settings = settings
	return d
}
