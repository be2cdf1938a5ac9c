package apply

import (
	"context"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/github"
)

// DeploymentTask is the task of apply's GitHub deployments, one per
// promotion of a merge.
const DeploymentTask = "deploy:modelpromote"

// Progress is how far apply got with a merge, as its deployments show.
type Progress string

// How far apply got.
const (
	// NotStarted: no deployment of the merge (or a merge that promotes
	// nothing).
	NotStarted Progress = "not started"
	// InProgress: a promotion is being deployed: its deployment has no
	// final status, and the latest one is fresh.
	InProgress Progress = "in progress"
	// Interrupted: a promotion stopped unfinished (its latest status went
	// stale, or is "error"): a rerun of apply finishes it.
	Interrupted Progress = "interrupted"
	// Failed: every promotion ended, and at least one failed. A rerun of
	// apply would try the failed ones again.
	Failed Progress = "failed"
	// Applied: every promotion's deployment is done (Deployment.Done,
	// apply's own rule: a later deployment may have made it inactive).
	Applied Progress = "applied"
)

// MergeStatus says whether a merge is applied, in progress or not started.
type MergeStatus struct {
	Progress Progress
	// By are who set the fresh unfinished statuses (InProgress).
	By []string
}

// Finished reports whether every promotion ran to a result (applied or
// failed): nothing is left for a rerun to finish.
func (s MergeStatus) Finished() bool { return s.Progress == Applied || s.Progress == Failed }

// InProgressByOther names someone other than login (case-insensitive)
// whose apply of the merge is in progress, or "".
func (s MergeStatus) InProgressByOther(login string) string {
	for _, by := range s.By {
		if !strings.EqualFold(by, login) {
			return by
		}
	}
	return ""
}

// Status answers how far apply got with merge commit sha, from apply's own
// deployments and their latest statuses: the same deployments, and the
// same done rule, apply adopts on a rerun. An unfinished status older than
// stale (at now) counts as interrupted: whoever set it is gone.
func Status(ctx context.Context, repo *github.Repo, sha string, now time.Time, stale time.Duration) (MergeStatus, error) {
	deps, err := repo.Deployments(ctx, sha, DeploymentTask)
	if err != nil {
		return MergeStatus{}, err
	}
	if len(deps) == 0 {
		return MergeStatus{Progress: NotStarted}, nil
	}
	var st MergeStatus
	interrupted, failed := false, false
	for _, d := range deps {
		switch {
		case d.Done():
		case d.State == "failure":
			failed = true
		case d.State == "error" || now.Sub(d.Updated) >= stale:
			interrupted = true
		default: // no status yet, queued, pending, in_progress
			st.By = append(st.By, d.Creator)
		}
	}
	switch {
	case len(st.By) > 0:
		st.Progress = InProgress
	case interrupted:
		st.Progress = Interrupted
	case failed:
		st.Progress = Failed
	default:
		st.Progress = Applied
	}
	return st, nil
}
