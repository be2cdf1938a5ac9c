package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// memHistory is an in-memory History: evidence records by stage, as apply
// would have written them (under the stage's KMS key, at the key apply
// writes), and raw objects planted beside them.
type memHistory struct {
	records []PastDeployment
	planted []StoredRecord
	err     error
	// objs holds the copies the records list.
	objs *memObjects
}

func (h memHistory) ReadAll(ctx context.Context, _ manifest.Environment, uri string, limit int64) ([]byte, error) {
	if h.objs == nil {
		return nil, fmt.Errorf("%s: %w", uri, ErrNotFound)
	}
	rc, _, err := h.objs.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%s is larger than %d bytes", uri, limit)
	}
	return data, err
}

func (h memHistory) Records(_ context.Context, env manifest.Environment, group string, version int) ([]StoredRecord, error) {
	if h.err != nil {
		return nil, h.err
	}
	var out []StoredRecord
	for _, r := range h.records {
		// The real History reads one environment's bucket, under one
		// group and version's prefix; records of other stages are there
		// only when a bucket is shared.
		if strings.EqualFold(r.SourcePackageARN, packageARN(version)) && group == fraud {
			out = append(out, written(env, r))
		}
	}
	prefix := "s3://" + env.ArtifactBucket + "/" + evidencePrefix(group, version)
	for _, p := range h.planted {
		if strings.HasPrefix(p.URI, prefix) {
			out = append(out, p)
		}
	}
	return out, nil
}

// written is the record apply would have written of d into env's bucket:
// d's stage is the record's (which need not be env's: a shared bucket).
func written(env manifest.Environment, d PastDeployment) StoredRecord {
	rec := &Record{SchemaVersion: RecordSchemaVersion, Model: d.Model, Stage: d.Stage, ToVersion: d.Version,
		PullRequest: RecordPR{Number: d.PullRequest, URL: d.PullRequestURL, MergeSHA: d.MergeSHA},
		Source:      RecordPackage{Group: fraud, Version: d.Version, PackageARN: d.SourcePackageARN},
		Target:      RecordPackage{Account: env.Account, Region: env.Region, Group: fraud, PackageARN: d.TargetPackageARN},
		Endpoint:    RecordEndpoint{Name: d.Endpoint, Account: env.Account, Region: env.Region},
		FinishedAt:  d.FinishedAt, Outcome: d.Outcome}
	for _, a := range d.Artifacts {
		rec.Artifacts = append(rec.Artifacts, RecordArtifact{Source: a.URI, SourceETag: a.ETag, Target: a.Target, SHA256: a.SHA256, Size: a.Size})
	}
	uri := "s3://" + env.ArtifactBucket + "/" + EvidenceKey(fraud, d.Version, d.MergeSHA)
	return StoredRecord{URI: uri, Object: ObjectInfo{URI: uri, SSE: SSEKMS, KMSKeyID: env.KMSKeyARN}, Record: rec}
}

// ran is the evidence record of version v in stage, finished at.
func ran(stage string, v int, outcome string, at time.Time) PastDeployment {
	return PastDeployment{URI: fmt.Sprintf("s3://ml-artifacts-%s/%s/%d/evidence/%040d.json", stage, fraud, v, v), Model: fraud, Stage: stage, Version: v,
		SourcePackageARN: packageARN(v), Endpoint: fraud, PullRequest: 40 + v, MergeSHA: strings.Repeat(fmt.Sprint(v%10), 40), FinishedAt: at, Outcome: outcome}
}

// incidentTeams adds an SRE team, the example's break-glass approvers.
var incidentTeams = teams{members: map[string][]string{
	"ml-governance": {"gina", "gus"}, "ml-leads": {"lee"}, "ml-platform": {"pat"}, "sre": {"sam"},
}, writers: []string{"gina", "gus", "lee", "pat", "sam"}}

func TestRollbackBreakGlassAndFreeze(t *testing.T) {
	approved := []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "lee", ReviewApproved, headSHA)}
	oneApproval := approved[:1]
	withSRE := append(append([]Review{}, approved...), review(3, "sam", ReviewApproved, headSHA))
	glass := &BreakGlassRequest{By: "pat", Permission: "write", At: worldNow.Add(-time.Hour)}
	// Prod back to 10, which is much worse than 11 (a regression far past
	// the bound) and not live in staging.
	toTen := []string{"    version: 11", "    version: 10"}
	worse := func(w *world) { w.addVersion(10, qualityReport(0.85, 0.70, 0.004), 0.95) }
	// 13 went live in staging an hour ago: prod's 24h soak is not over.
	soaking := func(w *world) { w.serve("staging", "fraud-detector-staging", 13, worldNow.Add(-time.Hour)) }
	toThirteen := []string{"    version: 11", "    version: 13"}
	frozen := []manifest.Freeze{{Stages: []string{"prod"}, Reason: "year end", From: "2026-11-20T00:00:00Z", To: "2026-11-23T00:00:00Z"}}
	until := "frozen until 2026-11-23 00:00 UTC"

	cases := []struct {
		name     string
		edits    []string
		change   func(w *world)
		history  memHistory
		glass    *BreakGlassRequest
		freezes  []manifest.Freeze
		reviews  []Review
		want     []want
		gates    map[Gate]Status
		rollback int // the version of the deployment returned to (0: none)
		breaks   bool
		self     int // the pull request's number
	}{
		{
			name: "prod ran 10 before: a rollback, one approval, no stage order or regression bound", edits: toTen, change: worse,
			history: memHistory{records: []PastDeployment{ran("prod", 10, "success", worldNow.Add(-60*24*time.Hour))}},
			reviews: oneApproval, rollback: 10,
			want: []want{{GatePolicy, SeverityNotice, []string{"rollback: prod returns to version 10, which it ran before (deployed by pull request #50", "not applied: stage order and soak"}}},
		},
		{
			name: "the newest successful record is the one returned to", edits: toTen, change: worse,
			history: memHistory{records: []PastDeployment{ran("prod", 10, "success", worldNow.Add(-60*24*time.Hour)),
				func() PastDeployment {
					r := ran("prod", 10, "success", worldNow.Add(-40*24*time.Hour))
					r.PullRequest = 77
					return r
				}(), ran("prod", 10, "failure", worldNow.Add(-35*24*time.Hour))}},
			reviews: oneApproval, rollback: 10,
			want: []want{{GatePolicy, SeverityNotice, []string{"deployed by pull request #77"}}},
		},
		{
			name: "a pull request's own deployment, re-checked after its apply, is no rollback", edits: toTen, change: worse, self: 50,
			history: memHistory{records: []PastDeployment{ran("prod", 10, "success", worldNow.Add(-time.Hour))}},
			reviews: approved,
			want: []want{{GatePolicy, SeverityError, []string{"version 10 is not live in staging"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "a failed rollout of 10 is not having run it", edits: toTen, change: worse,
			history: memHistory{records: []PastDeployment{ran("prod", 10, "failure", worldNow.Add(-60*24*time.Hour))}},
			reviews: approved,
			want: []want{{GatePolicy, SeverityError, []string{"version 10 is not live in staging"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "another stage's record does not make a rollback", edits: toTen, change: worse,
			history: memHistory{records: []PastDeployment{ran("staging", 10, "success", worldNow.Add(-60*24*time.Hour))}},
			reviews: approved,
			want: []want{{GatePolicy, SeverityError, []string{"version 10 is not live in staging"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail, GateEvaluation: StatusFail},
		},
		{
			name: "a record planted without prod's key is no rollback: judged as new, with every gate", edits: toTen, change: worse,
			history: memHistory{planted: []StoredRecord{func() StoredRecord {
				s := written(manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1", ArtifactBucket: "acme-ml-artifacts-prod"},
					ran("prod", 10, "success", worldNow.Add(-60*24*time.Hour)))
				s.Object.SSE, s.Object.KMSKeyID = "AES256", ""
				return s
			}()}},
			reviews: oneApproval,
			want: []want{{GatePolicy, SeverityWarning, []string{"evidence record s3://acme-ml-artifacts-prod/fraud-detector/10/evidence/", "is not trusted: it is not encrypted with prod's KMS key", "does not count as a deployment of version 10 to prod"}},
				{GatePolicy, SeverityError, []string{"version 10 is not live in staging"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc"}},
				{GateGovernance, SeverityPending, []string{"needs 2 approval(s)"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail, GateEvaluation: StatusFail, GateGovernance: StatusPending},
		},
		{
			name: "unreadable history: judged as new, with every gate", edits: toTen, change: worse,
			history: memHistory{err: errors.New("AccessDenied")},
			reviews: oneApproval,
			want: []want{{GatePolicy, SeverityWarning, []string{"could not read prod's evidence records", "AccessDenied", "judged as new to prod"}},
				{GatePolicy, SeverityError, []string{"version 10 is not live in staging"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.auc: no baseline to judge the regression bound: the live version 11's reports cannot be verified: could not read prod's evidence records of version 11: AccessDenied"}},
				{GateEvaluation, SeverityError, []string{"binary_classification_metrics.recall: no baseline"}},
				{GateGovernance, SeverityPending, []string{"needs 2 approval(s)"}}},
			gates: map[Gate]Status{GatePolicy: StatusFail, GateEvaluation: StatusFail, GateGovernance: StatusPending},
		},
		{
			name: "soaking without break-glass", edits: toThirteen, change: soaking, reviews: withSRE,
			want:  []want{{GatePolicy, SeverityPending, []string{"soaking: version 13 has been live in staging for 1h0m0s of the 24h0m0s"}}},
			gates: map[Gate]Status{GatePolicy: StatusPending},
		},
		{
			name: "break-glass during a soak passes with the SRE's approval", edits: toThirteen, change: soaking, glass: glass, reviews: withSRE, breaks: true,
			want: []want{{GatePolicy, SeverityNotice, []string{"break-glass (label set by pat)", "soak and the `after` stage"}}},
		},
		{
			name: "break-glass still needs the stage's approvals", edits: toThirteen, change: soaking, glass: glass, breaks: true,
			reviews: []Review{review(3, "sam", ReviewApproved, headSHA)},
			want:    []want{{GateGovernance, SeverityPending, []string{"this promotion needs 2 approval(s)", "0 counted"}}},
			gates:   map[Gate]Status{GateGovernance: StatusPending},
		},
		{
			name: "break-glass needs the break-glass approvers", edits: toThirteen, change: soaking, glass: glass, reviews: approved, breaks: true,
			want:  []want{{GateGovernance, SeverityPending, []string{"break-glass needs 1 approval(s) on 2222222 from team:sre; 0 counted"}}},
			gates: map[Gate]Status{GateGovernance: StatusPending},
		},
		{
			name: "break-glass never waives lineage", edits: toThirteen, glass: glass, reviews: withSRE, breaks: true,
			change: func(w *world) { soaking(w); w.pkg(13).ApprovalStatus = "Rejected" },
			want:   []want{{GateLineage, SeverityError, []string{"Rejected in the source registry"}}},
			gates:  map[Gate]Status{GateLineage: StatusFail},
		},
		{
			name: "a label set by someone who cannot label is no break-glass", edits: toThirteen, change: soaking, reviews: withSRE,
			glass: &BreakGlassRequest{By: "mallory", Permission: "read"},
			want: []want{{GateGovernance, SeverityWarning, []string{"mallory set it, whose permission on the repository is \"read\""}},
				{GatePolicy, SeverityPending, []string{"soaking"}}},
			gates: map[Gate]Status{GatePolicy: StatusPending},
		},
		{
			name: "a label whose setter the timeline does not show is no break-glass", edits: toThirteen, change: soaking, reviews: withSRE,
			glass: &BreakGlassRequest{},
			want: []want{{GateGovernance, SeverityWarning, []string{"does not say who set the label"}},
				{GatePolicy, SeverityPending, []string{"soaking"}}},
			gates: map[Gate]Status{GatePolicy: StatusPending},
		},
		{
			name: "a freeze holds prod", reviews: approved, freezes: frozen,
			want:  []want{{GateGovernance, SeverityPending, []string{until, "prod takes no promotions until then (year end)"}}},
			gates: map[Gate]Status{GateGovernance: StatusPending},
		},
		{
			name: "break-glass goes through a freeze", edits: toThirteen, change: soaking, glass: glass, reviews: withSRE, freezes: frozen, breaks: true,
			want: []want{{GateGovernance, SeverityNotice, []string{"prod is " + until, "break-glass goes ahead"}}},
		},
		{
			name: "a rollback goes through a freeze", edits: toTen, change: worse, freezes: frozen, reviews: oneApproval, rollback: 10,
			history: memHistory{records: []PastDeployment{ran("prod", 10, "success", worldNow.Add(-60*24*time.Hour))}},
			want:    []want{{GateGovernance, SeverityNotice, []string{"prod is " + until, "this rollback goes ahead"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.change != nil {
				c.change(w)
			}
			p := promotionPlan(t, toProd, c.edits...)
			p.Config.Policy.Freezes = c.freezes
			if c.self != 0 {
				p.PR = &PullRequest{Number: c.self, HeadSHA: headSHA}
			}
			src := w.sources()
			h := c.history
			h.records, h.objs = append(append([]PastDeployment{}, w.deployed...), h.records...), w.objs
			src.History = h
			facts := prFacts(c.reviews...)
			facts.BreakGlass = c.glass
			p.Check(context.Background(), src, facts, incidentTeams)
			pr := promotionInto(t, p, toProd)
			assertFindings(t, p, pr, c.want)
			assertGates(t, pr, Gates, c.gates)
			switch rb := pr.Details.Rollback; {
			case c.rollback == 0 && rb != nil:
				t.Errorf("judged a rollback to %+v", rb.To)
			case c.rollback != 0 && (rb == nil || rb.To.Version != c.rollback):
				t.Errorf("rollback %+v, want to version %d", rb, c.rollback)
			}
			if bg := pr.Details.BreakGlass; (bg != nil) != c.breaks {
				t.Errorf("break-glass %+v, want %v", bg, c.breaks)
			}
			if pr.Details.Rollback != nil || pr.Details.BreakGlass != nil {
				for _, row := range pr.Details.Evaluation {
					for _, v := range row.Thresholds {
						if strings.Contains(v.Rule, "Regression") {
							t.Errorf("%s: regression bound judged: %+v", row.Path, v)
						}
					}
				}
			}
		})
	}
}
