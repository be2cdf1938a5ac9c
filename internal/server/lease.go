package server

import (
	"context"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/github"
)

// The lease is a GitHub deployment of the merge commit; see the package
// doc for the rule.
const (
	leaseTask        = "lock:modelpromote"
	leaseEnvironment = "modelpromote-apply-lease"
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
	st, err := apply.Status(ctx, repo, sha, time.Now(), s.opts.Lease)
	if err != nil {
		return nil, "", err
	}
	// Someone else (the Action, the CLI) applying it now holds no lease.
	if who := st.InProgressByOther(s.opts.BotLogin); who != "" {
		return nil, "being applied by " + who, nil
	}
	id, err := repo.CreateDeployment(ctx, github.DeploymentSpec{SHA: sha, Task: leaseTask, Environment: leaseEnvironment,
		Transient: true, Description: "modelpromote apply lease", Payload: map[string]any{"replica": s.opts.Replica}})
	if err != nil {
		return nil, "", fmt.Errorf("create lease: %w", err)
	}
	l := &lease{s: s, repo: repo, id: id, sha: sha}
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
	deps, err := repo.Deployments(ctx, sha, leaseTask)
	if err != nil {
		return nil, err
	}
	out := make([]claim, 0, len(deps))
	for _, d := range deps {
		c := claim{id: d.ID, state: d.State, updated: d.Updated, by: "another replica"}
		if d.Description != "" {
			c.by = d.Description
		}
		out = append(out, c)
	}
	return out, nil
}

// set adds a status to the lease. auto_inactive stays off: a later merge
// must not turn this merge's finished lease into "not applied".
func (l *lease) set(ctx context.Context, state, description string) error {
	err := l.repo.AddDeploymentStatus(ctx, l.id, github.DeploymentStatus{State: state, Description: description, KeepOthers: true})
	if err != nil {
		return fmt.Errorf("lease: %w", err)
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
