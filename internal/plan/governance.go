package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/gitsha"
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
			if !strings.EqualFold(entry, login) {
				continue
			}
			// A named user counts only while they can write to the
			// repository: a policy outlives people's access.
			ok, err := a.dir.CanWrite(ctx, login)
			switch {
			case err != nil:
				return eligibility{reason: fmt.Sprintf("is named in the approvers, but their write access could not be verified: %v", err)}
			case !ok:
				return eligibility{reason: "is named in the approvers, but no longer has write access to the repository"}
			}
			return eligibility{ok: true, via: entry}
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
	// Contributors are GitHub's records of who put work into the pull
	// request (pushes, force-pushed commits, co-authors, dismissals). When
	// nil, only Author and CommitAuthors are known.
	Contributors *Contributors
	Reviews      []Review
	// BreakGlass is the break-glass label, when the pull request has it.
	BreakGlass *BreakGlassRequest
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
	return judgeApprovals(ctx, facts, required, approvers, nil)
}

// judgeApprovals is JudgeApprovals where owners (nil: nobody) may dismiss
// a request for changes: a dismissal by anyone else, the pull request's
// author above all, leaves the request blocking.
func judgeApprovals(ctx context.Context, facts PullRequestFacts, required int, approvers, owners *Approvers) *Approvals {
	a := &Approvals{Required: required, Approvers: approvers.Entries, HeadSHA: facts.HeadSHA, Reviews: []ReviewVerdict{}}
	contrib := facts.Contributors
	if contrib != nil && contrib.Incomplete != "" {
		a.Problem = contrib.Incomplete
	}
	if contrib != nil {
		a.Unresolved, a.Warnings = contrib.Unresolved, contrib.Warnings
	}
	authors := map[string]bool{strings.ToLower(facts.Author): true}
	for _, c := range facts.CommitAuthors {
		authors[strings.ToLower(c)] = true
	}
	for _, r := range LatestDecisive(facts.Reviews) {
		v := ReviewVerdict{Login: r.Login, State: r.State, CommitID: r.CommitID, At: r.At}
		switch {
		case r.State == ReviewDismissed:
			v.Reason, v.DismissedBy, v.Blocking = judgeDismissal(ctx, facts, r, owners)
		case r.State == ReviewChangesRequested:
			v.Reason = "requested changes"
		case r.State != ReviewApproved:
			v.Reason = "not an approval (" + r.State + ")"
		case strings.EqualFold(r.Login, facts.Author):
			v.Reason = "is the pull request's author"
		case authors[strings.ToLower(r.Login)]:
			v.Reason = "authored commits in the pull request"
		case contrib.Of(r.Login) != "":
			v.Reason = "contributed to the pull request (" + contrib.Of(r.Login) + ")"
		case strings.HasSuffix(r.Login, "[bot]"):
			v.Reason = "is a bot"
		case a.Problem != "":
			v.Reason = "cannot be told apart from the pull request's contributors: " + a.Problem
		case r.CommitID != facts.HeadSHA:
			v.Reason = fmt.Sprintf("approved %s, not the head commit %s (stale)", gitsha.Short(r.CommitID), gitsha.Short(facts.HeadSHA))
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

// judgeDismissal says what a dismissed review means. A dismissed approval
// is simply gone. A dismissed request for changes is lifted only when an
// owner who did not contribute dismissed it; otherwise (the author, a
// contributor, anyone else, or no record of who) it still blocks.
func judgeDismissal(ctx context.Context, facts PullRequestFacts, r Review, owners *Approvers) (reason, by string, blocking bool) {
	if facts.Contributors == nil {
		return "review dismissed", "", false
	}
	d, ok := facts.Contributors.Dismissal(r.ID)
	switch {
	case !ok:
		return "review dismissed, but GitHub's timeline has no record of who dismissed it or what it was: treated as a request for changes", "", true
	case !strings.EqualFold(d.State, ReviewChangesRequested):
		return fmt.Sprintf("review dismissed by %s", d.By), d.By, false
	case strings.EqualFold(d.By, facts.Author):
		return fmt.Sprintf("requested changes; the dismissal by %s does not count: they are the pull request's author", d.By), d.By, true
	case facts.Contributors.Of(d.By) != "":
		return fmt.Sprintf("requested changes; the dismissal by %s does not count: they contributed to the pull request (%s)", d.By, facts.Contributors.Of(d.By)), d.By, true
	case owners == nil || len(owners.Entries) == 0:
		return fmt.Sprintf("requested changes; the dismissal by %s does not count: the policy names no owners who may dismiss", d.By), d.By, true
	}
	if ok, _, why := owners.Eligible(ctx, d.By); !ok {
		return fmt.Sprintf("requested changes; the dismissal by %s does not count: only an owner (%s) may lift it, and %s %s", d.By, strings.Join(owners.Entries, ", "), d.By, why), d.By, true
	}
	return fmt.Sprintf("requested changes, dismissed by owner %s", d.By), d.By, false
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
		wg.Go(func() {
			g.perPromotion[i] = judgeApprovals(ctx, facts, pr.RequiredApprovals(sp), NewApprovers(sp.Approvers, dir), NewApprovers(cfg.Policy.Owners, dir))
		})
	}
	wg.Wait()
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		governanceFindings(add, pr.Model, pr.Stage, pr.File, pr.Pos, g.perPromotion[i])
	}
	if p.ConfigChanged {
		n := max(cfg.Policy.OwnerApprovals, 1)
		g.owners = judgeApprovals(ctx, facts, n, NewApprovers(cfg.Policy.Owners, dir), NewApprovers(cfg.Policy.Owners, dir))
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
	if a.Problem != "" {
		add(SeverityError, fmt.Sprintf("no approval of %s can count: %s", subject, a.Problem))
	}
	for _, v := range a.Reviews {
		switch {
		case v.State == ReviewChangesRequested:
			add(SeverityError, fmt.Sprintf("%s requested changes: %s is blocked until they approve or their review is dismissed", v.Login, subject))
		case v.Blocking:
			add(SeverityError, fmt.Sprintf("%s %s: %s is blocked until they approve or an owner dismisses their review", v.Login, v.Reason, subject))
		case v.State == ReviewDismissed && v.DismissedBy != "" && strings.HasPrefix(v.Reason, "requested changes"):
			add(SeverityNotice, fmt.Sprintf("%s %s", v.Login, v.Reason))
		}
	}
	for _, w := range a.Warnings {
		add(SeverityWarning, w)
	}
	for _, u := range a.Unresolved {
		add(SeverityWarning, fmt.Sprintf("commit %s names co-author %s <%s>, whom no GitHub account could be tied to: a reviewer who is that person must not approve", gitsha.Short(u.Commit), u.Name, u.Email))
	}
	if a.Counted < a.Required {
		who := "any reviewer with write access"
		if len(a.Approvers) > 0 {
			who = strings.Join(a.Approvers, ", ")
		}
		add(SeverityPending, fmt.Sprintf("%s needs %d approval(s) on %s from %s; %d counted", subject, a.Required, gitsha.Short(a.HeadSHA), who, a.Counted))
	}
}
