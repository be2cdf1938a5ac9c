package plan

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// orgTeams is the organization the governance tests judge reviewers in.
var orgTeams = teams{members: map[string][]string{
	"ml-governance": {"gina", "gus"}, "ml-leads": {"lee"}, "ml-platform": {"pat"},
}, writers: []string{"gina", "gus", "lee", "pat", "wanda"}}

// prFacts are the facts of a pull request by alice, with commits by alice
// and carl, on head headSHA.
func prFacts(reviews ...Review) PullRequestFacts {
	return PullRequestFacts{Author: "alice", HeadSHA: headSHA, CommitAuthors: []string{"alice", "carl"}, Reviews: reviews}
}

// review is login's review of state on commit, the id-th in time.
func review(id int64, login, state, commit string) Review {
	return Review{ID: id, Login: login, State: state, CommitID: commit, At: worldNow.Add(time.Duration(id) * time.Minute)}
}

func TestGovernanceGate(t *testing.T) {
	prodNeeds := func(counted string) want {
		return want{GateGovernance, SeverityPending, []string{"this promotion needs 2 approval(s) on 2222222 from team:ml-governance, team:ml-leads; " + counted + " counted"}}
	}
	cases := []struct {
		name    string
		stage   string
		dir     Directory
		reviews []Review
		want    []want
		gate    Status
		counted int
		reasons map[string]string // login → words of why it did not count ("" = counted)
	}{
		{
			name: "two eligible approvals on the head pass prod", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "lee", ReviewApproved, headSHA)},
			gate:    StatusPass, counted: 2, reasons: map[string]string{"gina": "", "lee": ""},
		},
		{
			name: "one lead passes staging", stage: toStaging,
			reviews: []Review{review(1, "lee", ReviewApproved, headSHA)},
			gate:    StatusPass, counted: 1, reasons: map[string]string{"lee": ""},
		},
		{
			name: "one approval of two holds prod", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1, reasons: map[string]string{"gina": ""},
		},
		{
			name: "approval of an older commit is stale", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "gus", ReviewApproved, oldSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1,
			reasons: map[string]string{"gina": "", "gus": "approved 3333333, not the head commit 2222222 (stale)"},
		},
		{
			name: "the author's approval does not count", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "alice", ReviewApproved, headSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1,
			reasons: map[string]string{"gina": "", "alice": "is the pull request's author"},
		},
		{
			name: "a commit author's approval does not count", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "Carl", ReviewApproved, headSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1,
			reasons: map[string]string{"gina": "", "Carl": "authored commits in the pull request"},
		},
		{
			name: "an approver outside the stage's teams does not count", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "wanda", ReviewApproved, headSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1,
			reasons: map[string]string{"gina": "", "wanda": "not among the approvers (team:ml-governance, team:ml-leads)"},
		},
		{
			name: "a governance member is not a lead: staging needs a lead", stage: toStaging,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA)},
			want:    []want{{GateGovernance, SeverityPending, []string{"needs 1 approval(s) on 2222222 from team:ml-leads; 0 counted"}}},
			gate:    StatusPending, reasons: map[string]string{"gina": "not among the approvers (team:ml-leads)"},
		},
		{
			name: "a dismissed approval is gone", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "gus", ReviewApproved, headSHA), review(3, "gus", ReviewDismissed, headSHA)},
			want:    []want{prodNeeds("1")}, gate: StatusPending, counted: 1,
			reasons: map[string]string{"gina": "", "gus": "review dismissed"},
		},
		{
			name: "requested changes block the promotion", stage: toProd,
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "lee", ReviewApproved, headSHA), review(3, "gus", ReviewChangesRequested, headSHA)},
			want:    []want{{GateGovernance, SeverityError, []string{"gus requested changes: this promotion is blocked until they approve or their review is dismissed"}}},
			gate:    StatusFail, counted: 2,
			reasons: map[string]string{"gina": "", "lee": "", "gus": "requested changes"},
		},
		{
			name: "a later approval lifts requested changes", stage: toProd,
			reviews: []Review{review(1, "gus", ReviewChangesRequested, oldSHA), review(2, "lee", ReviewApproved, headSHA), review(3, "gus", ReviewApproved, headSHA)},
			gate:    StatusPass, counted: 2, reasons: map[string]string{"lee": "", "gus": ""},
		},
		{
			name: "comments are not reviews that count", stage: toStaging,
			reviews: []Review{review(1, "lee", ReviewCommented, headSHA), review(2, "lee", ReviewPending, headSHA)},
			want:    []want{{GateGovernance, SeverityPending, []string{"0 counted"}}},
			gate:    StatusPending, reasons: map[string]string{},
		},
		{
			name: "bots never count", stage: toStaging,
			reviews: []Review{review(1, "release-helper[bot]", ReviewApproved, headSHA)},
			want:    []want{{GateGovernance, SeverityPending, []string{"0 counted"}}},
			gate:    StatusPending, reasons: map[string]string{"release-helper[bot]": "is a bot"},
		},
		{
			name: "team lookup error: the approval cannot count", stage: toProd,
			dir:     teams{err: errors.New("403 Resource not accessible by integration")},
			reviews: []Review{review(1, "gina", ReviewApproved, headSHA), review(2, "lee", ReviewApproved, headSHA)},
			want:    []want{prodNeeds("0")}, gate: StatusPending,
			reasons: map[string]string{"gina": "could not verify team membership (team:ml-governance: 403", "lee": "could not verify team membership"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir
			if dir == nil {
				dir = orgTeams
			}
			p := promotionPlan(t, c.stage)
			p.CheckGovernance(context.Background(), p.Config, prFacts(c.reviews...), dir)
			p.SetGates(GateManifest, GatePolicy, GateGovernance)
			pr := promotionInto(t, p, c.stage)
			assertFindings(t, p, pr, c.want)
			notPass := map[Gate]Status{}
			if c.gate != StatusPass {
				notPass = map[Gate]Status{GateGovernance: c.gate}
			}
			assertGates(t, pr, []Gate{GateManifest, GatePolicy, GateGovernance}, notPass)
			a := pr.Details.Approvals
			if a == nil || a.Counted != c.counted || a.HeadSHA != headSHA {
				t.Fatalf("approvals = %+v, want %d counted on %s", a, c.counted, headSHA)
			}
			assertReasons(t, a, c.reasons)
		})
	}
}

// assertReasons checks each reviewer's verdict: counted, or why not.
func assertReasons(t *testing.T, a *Approvals, reasons map[string]string) {
	t.Helper()
	if len(a.Reviews) != len(reasons) {
		t.Errorf("reviews = %+v, want %d reviewers", a.Reviews, len(reasons))
	}
	for _, v := range a.Reviews {
		words, ok := reasons[v.Login]
		switch {
		case !ok:
			t.Errorf("unexpected reviewer %s", v.Login)
		case words == "" && !v.Counted:
			t.Errorf("%s should count: %s", v.Login, v.Reason)
		case words != "" && (v.Counted || !containsAll(v.Reason, words)):
			t.Errorf("%s: counted=%v reason=%q, want %q", v.Login, v.Counted, v.Reason, words)
		}
	}
}

func containsAll(s string, words ...string) bool {
	return want{words: words}.matches(Finding{Message: s})
}

// A change to modelpromote.yaml needs the owners: their verdict replaces
// the offline plan's "needs the owners" finding.
func TestGovernanceOwnersOfTheConfiguration(t *testing.T) {
	cases := []struct {
		name    string
		reviews []Review
		verdict Status
		want    []string // words of the plan-wide governance finding, none when passed
	}{
		{name: "an owner approved", reviews: []Review{review(1, "pat", ReviewApproved, headSHA)}, verdict: StatusPass},
		{name: "no owner approved", reviews: []Review{review(1, "lee", ReviewApproved, headSHA)}, verdict: StatusPending,
			want: []string{"the change to modelpromote.yaml needs 1 approval(s) on 2222222 from team:ml-platform; 0 counted"}},
		{name: "an owner requested changes", reviews: []Review{review(1, "pat", ReviewApproved, headSHA), review(2, "pat", ReviewChangesRequested, headSHA)},
			verdict: StatusFail, want: []string{"pat requested changes: the change to modelpromote.yaml is blocked"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := exampleTree(t)
			head := edit(t, base, "promotions/modelpromote.yaml", "maxReportAgeDays: 90", "maxReportAgeDays: 60")
			p := Build(Input{BaseTree: base, HeadTree: head})
			if len(p.Findings) != 1 || p.Findings[0].Gate != GateGovernance || !containsAll(p.Findings[0].Message, "needs 1 approval(s) from the owners (team:ml-platform)") {
				t.Fatalf("offline findings = %+v", p.Findings)
			}
			p.CheckGovernance(context.Background(), p.Config, prFacts(c.reviews...), orgTeams)
			if v := p.Verdict(); v != c.verdict {
				t.Errorf("verdict = %s, want %s", v, c.verdict)
			}
			var msgs []string
			for _, f := range p.Findings {
				if f.Gate != GateGovernance || f.File != manifest.ConfigPath("promotions") {
					t.Errorf("unexpected finding %+v", f)
				}
				msgs = append(msgs, f.Message)
			}
			if c.want == nil && len(msgs) != 0 || c.want != nil && (len(msgs) == 0 || !containsAll(msgs[0], c.want...)) {
				t.Errorf("findings = %q, want %q", msgs, c.want)
			}
			if p.OwnerApprovals == nil || p.OwnerApprovals.Required != 1 {
				t.Errorf("owner approvals = %+v", p.OwnerApprovals)
			}
		})
	}
}

// Approvers without a list are whoever has write access; a failed lookup
// keeps the approval from counting.
func TestGovernanceWriteAccess(t *testing.T) {
	cases := []struct {
		name    string
		dir     teams
		counted int
		reason  string
	}{
		{name: "writer", dir: orgTeams, counted: 1},
		{name: "no write access", dir: teams{}, reason: "has no write access to the repository"},
		{name: "lookup error", dir: teams{err: errors.New("502 Bad Gateway")}, reason: "could not verify write access: 502 Bad Gateway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := JudgeApprovals(context.Background(), prFacts(review(1, "wanda", ReviewApproved, headSHA)), 1, NewApprovers(nil, c.dir))
			want := map[string]string{"wanda": c.reason}
			if a.Counted != c.counted {
				t.Errorf("counted %d, want %d", a.Counted, c.counted)
			}
			assertReasons(t, a, want)
		})
	}
}

func TestGovernanceNamedApproverNeedsWriteAccess(t *testing.T) {
	dir := teams{writers: []string{"gina"}} // lee has lost write access
	a := JudgeApprovals(context.Background(), prFacts(review(1, "lee", ReviewApproved, headSHA)), 1, NewApprovers([]string{"lee"}, dir))
	if a.Counted != 0 {
		t.Errorf("counted %d: a named approver without write access must not count: %+v", a.Counted, a.Reviews)
	}
}

// Check runs every gate at once: a healthy promotion with its approvals
// passes them all; a plan without a base configuration is left failing.
func TestCheckRunsEveryGate(t *testing.T) {
	w := newWorld()
	p := promotionPlan(t, toProd)
	p.Check(context.Background(), w.sources(), prFacts(review(1, "gina", ReviewApproved, headSHA), review(2, "lee", ReviewApproved, headSHA)), orgTeams)
	pr := p.Promotions[0]
	assertFindings(t, p, pr, nil)
	assertGates(t, pr, Gates, nil)
	if v := p.Verdict(); v != StatusPass {
		t.Errorf("verdict = %s", v)
	}

	base := exampleTree(t)
	delete(base, "promotions/modelpromote.yaml")
	broken := Build(Input{BaseTree: base, HeadTree: exampleTree(t)})
	before := len(broken.Findings)
	broken.Check(context.Background(), w.sources(), prFacts(), orgTeams)
	if broken.Verdict() != StatusFail || len(broken.Findings) != before {
		t.Errorf("a plan without a base configuration: verdict %s, findings %+v", broken.Verdict(), broken.Findings)
	}
}
