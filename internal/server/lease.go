package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/github"
)

// The lease is a GitHub deployment of the merge commit; see the package
// doc for the rule.
const (
	leaseTask        = "lock:modelpromote"
	leaseEnvironment = "modelpromote-apply-lease"
	// applyTask is the task of apply's own deployments.
	applyTask = "deploy:modelpromote"
)

// Lease end states.
const (
	leaseDone  = "success" // apply ran to a result: do not run it again
	leaseError = "error"   // apply could not finish: reconciliation retries
	leaseLost  = "inactive"
)

// lease is a lease this replica holds.
type lease struct {
	s    *Server
	repo *github.Repo
	id   int64
	sha  string
}

// claim is a lease deployment as read back.
type claim struct {
	id      int64
	state   string // latest status; "" for none yet
	updated time.Time
	by      string // the replica, from the latest status's description
}

func (c claim) live(now time.Time, ttl time.Duration) bool {
	switch c.state {
	case "", "queued", "pending", "in_progress":
		return now.Sub(c.updated) < ttl
	}
	return false
}

// acquire takes the apply lease on sha, or says why not.
func (s *Server) acquire(ctx context.Context, repo *github.Repo, sha string) (*lease, string, error) {
	claims, err := s.claims(ctx, repo, sha)
	if err != nil {
		return nil, "", err
	}
	for _, c := range claims {
		if c.state == leaseDone {
			return nil, "already applied (" + c.by + ")", nil
		}
	}
	if who, err := s.foreignApply(ctx, repo, sha); err != nil || who != "" {
		return nil, "being applied by " + who, err
	}
	d, _, err := repo.GH.Repositories.CreateDeployment(ctx, repo.Owner, repo.Name, &gogh.DeploymentRequest{
		Ref: gogh.String(sha), Task: gogh.String(leaseTask), Environment: gogh.String(leaseEnvironment),
		AutoMerge: gogh.Bool(false), RequiredContexts: &[]string{}, TransientEnvironment: gogh.Bool(true),
		ProductionEnvironment: gogh.Bool(false), Description: gogh.String("modelpromote apply lease"),
		Payload: map[string]any{"replica": s.opts.Replica},
	})
	if err != nil {
		return nil, "", fmt.Errorf("create lease: %w", err)
	}
	l := &lease{s: s, repo: repo, id: d.GetID(), sha: sha}
	if err := l.set(ctx, "in_progress", s.opts.Replica); err != nil {
		l.end(leaseLost, "could not mark the lease in progress")
		return nil, "", err
	}
	if claims, err = s.claims(ctx, repo, sha); err != nil {
		l.end(leaseLost, "could not read the other leases")
		return nil, "", err
	}
	now := time.Now()
	for _, c := range claims { // lowest ID first
		if c.state == leaseDone {
			l.end(leaseLost, "already applied")
			return nil, "already applied (" + c.by + ")", nil
		}
		if c.id == l.id {
			return l, "", nil
		}
		if c.live(now, s.opts.Lease) {
			l.end(leaseLost, "lease held by "+c.by)
			return nil, "lease held by " + c.by, nil
		}
	}
	l.end(leaseLost, "own lease not found")
	return nil, "own lease not found", nil
}

// claims lists the lease deployments of sha, lowest ID first, with their
// latest status.
func (s *Server) claims(ctx context.Context, repo *github.Repo, sha string) ([]claim, error) {
	deps, err := deployments(ctx, repo, sha, leaseTask)
	if err != nil {
		return nil, err
	}
	out := make([]claim, 0, len(deps))
	for _, d := range deps {
		c := claim{id: d.GetID(), updated: d.GetCreatedAt().Time, by: "another replica"}
		st, err := latestStatus(ctx, repo, d.GetID())
		if err != nil {
			return nil, err
		}
		if st != nil {
			c.state, c.updated = st.GetState(), st.GetCreatedAt().Time
			if desc := st.GetDescription(); desc != "" {
				c.by = desc
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// foreignApply names whoever else (not this App: the Action, the CLI) has
// one of apply's deployments of sha in progress, fresh.
func (s *Server) foreignApply(ctx context.Context, repo *github.Repo, sha string) (string, error) {
	deps, err := deployments(ctx, repo, sha, applyTask)
	if err != nil {
		return "", err
	}
	for _, d := range deps {
		st, err := latestStatus(ctx, repo, d.GetID())
		if err != nil {
			return "", err
		}
		if st == nil || st.GetState() != "in_progress" || time.Since(st.GetCreatedAt().Time) >= s.opts.Lease {
			continue
		}
		if who := st.GetCreator().GetLogin(); !strings.EqualFold(who, s.opts.BotLogin) {
			return who, nil
		}
	}
	return "", nil
}

func deployments(ctx context.Context, repo *github.Repo, sha, task string) ([]*gogh.Deployment, error) {
	var out []*gogh.Deployment
	opts := &gogh.DeploymentsListOptions{SHA: sha, Task: task, ListOptions: gogh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := repo.GH.Repositories.ListDeployments(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s deployments: %w", task, err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetID() < out[j].GetID() })
	return out, nil
}

// latestStatus is a deployment's newest status (GitHub lists newest
// first), or nil.
func latestStatus(ctx context.Context, repo *github.Repo, id int64) (*gogh.DeploymentStatus, error) {
	list, _, err := repo.GH.Repositories.ListDeploymentStatuses(ctx, repo.Owner, repo.Name, id, &gogh.ListOptions{PerPage: 1})
	if err != nil {
		return nil, fmt.Errorf("list statuses of deployment %d: %w", id, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list[0], nil
}

// set adds a status to the lease. auto_inactive stays off: a later merge
// must not turn this merge's finished lease into "not applied".
func (l *lease) set(ctx context.Context, state, description string) error {
	_, _, err := l.repo.GH.Repositories.CreateDeploymentStatus(ctx, l.repo.Owner, l.repo.Name, l.id, &gogh.DeploymentStatusRequest{
		State: gogh.String(state), Description: gogh.String(truncate(description, 140)), AutoInactive: gogh.Bool(false)})
	if err != nil {
		return fmt.Errorf("set lease %d %s: %w", l.id, state, err)
	}
	return nil
}

// keep renews the lease every third of its duration until ctx ends.
func (l *lease) keep(ctx context.Context) {
	t := time.NewTicker(l.s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.set(ctx, "in_progress", l.s.opts.Replica); err != nil && ctx.Err() == nil {
				l.s.log.Warn("renew apply lease", "repo", l.repo.FullName(), "sha", l.sha, "err", err)
			}
		}
	}
}

// end closes the lease, even while the server is being stopped: a lease
// left live would hold other replicas off until it goes stale.
func (l *lease) end(state, description string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.set(ctx, state, description); err != nil {
		l.s.log.Warn("end apply lease", "repo", l.repo.FullName(), "sha", l.sha, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
