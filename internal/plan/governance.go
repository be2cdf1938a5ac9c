package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Review is one pull request review, as GitHub lists it.
type Review struct {
	ID       int64
	Login    string
	State    string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	CommitID string
	At       time.Time
}

// Review states.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Directory answers who is who on GitHub. Lookups that fail keep the gate
// shut: an approval that cannot be verified does not count.
type Directory interface {
	// IsTeamMember reports whether login is an active member of the
	// organization's team slug.
	IsTeamMember(ctx context.Context, slug, login string) (bool, error)
	// CanWrite reports whether login has write access to the repository;
	// used when a stage names no approvers.
	CanWrite(ctx context.Context, login string) (bool, error)
}

// Approvers says who may approve, and why a reviewer is eligible.
type Approvers struct {
	Entries []string // users and "team:slug"
	dir     Directory
	cache   map[string]eligibility
}

type eligibility struct {
	ok     bool
	via    string
	reason string
}

// NewApprovers returns an eligibility checker for a list of approvers.
func NewApprovers(entries []string, dir Directory) *Approvers {
	return &Approvers{Entries: entries, dir: dir, cache: map[string]eligibility{}}
}

// Eligible reports whether login may approve, the entry that makes it so,
// and otherwise why not.
func (a *Approvers) Eligible(ctx context.Context, login string) (ok bool, via, reason string) {
	key := strings.ToLower(login)
	if e, hit := a.cache[key]; hit {
		return e.ok, e.via, e.reason
	}
	e := a.eligible(ctx, login)
	a.cache[key] = e
	return e.ok, e.via, e.reason
}

func (a *Approvers) eligible(ctx context.Context, login string) eligibility {
	if len(a.Entries) == 0 {
		ok, err := a.dir.CanWrite(ctx, login)
		switch {
		case err != nil:
			return eligibility{reason: fmt.Sprintf("could not verify write access: %v", err)}
		case !ok:
			return eligibility{reason: "has no write access to the repository"}
		}
		return eligibility{ok: true, via: "write access"}
	}
	var errs []string
	for _, entry := range a.Entries {
		slug, isTeam := strings.CutPrefix(entry, "team:")
		if !isTeam {
			if strings.EqualFold(entry, login) {
				return eligibility{ok: true, via: entry}
			}
			continue
		}
		ok, err := a.dir.IsTeamMember(ctx, slug, login)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", entry, err))
			continue
		}
		if ok {
			return eligibility{ok: true, via: entry}
		}
	}
	if len(errs) > 0 {
		return eligibility{reason: "could not verify team membership (" + strings.Join(errs, "; ") + ")"}
	}
	return eligibility{reason: "not among the approvers (" + strings.Join(a.Entries, ", ") + ")"}
}

// PullRequestFacts are the GitHub facts the governance gate judges.
type PullRequestFacts struct {
	Author  string
	HeadSHA string
	// CommitAuthors are the GitHub logins of the pull request's commit
	// authors and committers; none of them counts as an approver.
	CommitAuthors []string
	Reviews       []Review
}

// LatestDecisive returns each reviewer's latest review that is not a
// comment or pending, ordered by login. A dismissed review stays as
// DISMISSED: the reviewer's earlier approval is gone with it.
func LatestDecisive(reviews []Review) []Review {
	latest := map[string]Review{}
	for _, r := range reviews {
		if r.State == ReviewCommented || r.State == ReviewPending || r.Login == "" {
			continue
		}
		key := strings.ToLower(r.Login)
		cur, ok := latest[key]
		if !ok || r.At.After(cur.At) || (r.At.Equal(cur.At) && r.ID > cur.ID) {
			latest[key] = r
		}
	}
	out := make([]Review, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Login) < strings.ToLower(out[j].Login) })
	return out
}

// JudgeApprovals counts the approvals that satisfy required from
// approvers: each reviewer's latest decisive review, approving the head
// commit, by someone who is neither the author nor a commit author nor a
// bot, and who is eligible.
func JudgeApprovals(ctx context.Context, facts PullRequestFacts, required int, approvers *Approvers) *Approvals {
	a := &Approvals{Required: required, Approvers: approvers.Entries, HeadSHA: facts.HeadSHA, Reviews: []ReviewVerdict{}}
	authors := map[string]bool{strings.ToLower(facts.Author): true}
	for _, c := range facts.CommitAuthors {
		authors[strings.ToLower(c)] = true
	}
	for _, r := range LatestDecisive(facts.Reviews) {
		v := ReviewVerdict{Login: r.Login, State: r.State, CommitID: r.CommitID, At: r.At}
		switch {
		case r.State == ReviewDismissed:
			v.Reason = "review dismissed"
		case r.State == ReviewChangesRequested:
			v.Reason = "requested changes"
		case r.State != ReviewApproved:
			v.Reason = "not an approval (" + r.State + ")"
		case strings.EqualFold(r.Login, facts.Author):
			v.Reason = "is the pull request's author"
		case authors[strings.ToLower(r.Login)]:
			v.Reason = "authored commits in the pull request"
		case strings.HasSuffix(r.Login, "[bot]"):
			v.Reason = "is a bot"
		case r.CommitID != facts.HeadSHA:
			v.Reason = fmt.Sprintf("approved %s, not the head commit %s (stale)", short(r.CommitID), short(facts.HeadSHA))
		default:
			ok, via, reason := approvers.Eligible(ctx, r.Login)
			v.Counted, v.Via, v.Reason = ok, via, reason
		}
		if v.Counted {
			a.Counted++
		}
		a.Reviews = append(a.Reviews, v)
	}
	return a
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// CheckGovernance judges the approvals of every promotion against its
// stage's policy, and the owners' approval when the change edits the
// configuration. Missing approvals hold a gate (pending); requested changes
// block it (fail).
func (p *Plan) CheckGovernance(ctx context.Context, cfg *manifest.Config, facts PullRequestFacts, dir Directory) {
	p.mergeGovernance(p.judgeGovernance(ctx, cfg, facts, dir))
}

// governance is the governance gate's outcome, merged into the plan.
type governance struct {
	perPromotion []*Approvals
	owners       *Approvals
	findings     []Finding
}

func (p *Plan) judgeGovernance(ctx context.Context, cfg *manifest.Config, facts PullRequestFacts, dir Directory) governance {
	g := governance{perPromotion: make([]*Approvals, len(p.Promotions))}
	add := func(f Finding) { g.findings = append(g.findings, f) }
	dir = newMemoDirectory(dir)
	// Stages judged in parallel share the directory's answers, so each
	// (team, reviewer) is looked up once. Read only the identifying fields:
	// the AWS checks fill Details of the same promotions concurrently, so
	// copying whole promotions would race.
	var wg sync.WaitGroup
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		sp := cfg.Policy.Stages[pr.Stage]
		wg.Go(func() { g.perPromotion[i] = JudgeApprovals(ctx, facts, sp.Approvals, NewApprovers(sp.Approvers, dir)) })
	}
	wg.Wait()
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		governanceFindings(add, pr.Model, pr.Stage, pr.File, pr.Pos, g.perPromotion[i])
	}
	if p.ConfigChanged {
		n := max(cfg.Policy.OwnerApprovals, 1)
		g.owners = JudgeApprovals(ctx, facts, n, NewApprovers(cfg.Policy.Owners, dir))
		governanceFindings(add, "", "", manifest.ConfigPath(p.Dir), manifest.Pos{Line: 1, Col: 1}, g.owners)
	}
	return g
}

func (p *Plan) mergeGovernance(g governance) {
	for i, a := range g.perPromotion {
		p.Promotions[i].Details.Approvals = a
	}
	if g.owners != nil {
		// The verdict replaces the offline "needs the owners" finding.
		kept := p.Findings[:0]
		for _, f := range p.Findings {
			if !(f.Gate == GateGovernance && f.Model == "" && f.File == manifest.ConfigPath(p.Dir)) {
				kept = append(kept, f)
			}
		}
		p.Findings = kept
		p.OwnerApprovals = g.owners
	}
	p.Findings = append(p.Findings, g.findings...)
}

func governanceFindings(addFinding func(Finding), model, stage, file string, pos manifest.Pos, a *Approvals) {
	add := func(sev Severity, msg string) {
		addFinding(Finding{Gate: GateGovernance, Severity: sev, Model: model, Stage: stage, File: file, Pos: pos, Message: msg})
	}
	subject := "this promotion"
	if model == "" {
		subject = "the change to " + manifest.ConfigFile
	}
	for _, v := range a.Reviews {
		if v.State == ReviewChangesRequested {
			add(SeverityError, fmt.Sprintf("%s requested changes: %s is blocked until they approve or their review is dismissed", v.Login, subject))
		}
	}
	if a.Counted < a.Required {
		who := "any reviewer with write access"
		if len(a.Approvers) > 0 {
			who = strings.Join(a.Approvers, ", ")
		}
		add(SeverityPending, fmt.Sprintf("%s needs %d approval(s) on %s from %s; %d counted", subject, a.Required, short(a.HeadSHA), who, a.Counted))
	}
}
