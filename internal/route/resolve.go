package route

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// GitHub is what Resolve asks GitHub about the job's repository. The
// GitHub adapter implements it (github.Resolver).
type GitHub interface {
	// FullName is the repository's owner/name.
	FullName() string
	// CanWrite reports whether login may write to the repository (admin,
	// maintain or write).
	CanWrite(ctx context.Context, login string) (bool, error)
	// OpenPullRequestWithHead returns the open pull request whose head is
	// sha, 0 when there is none.
	OpenPullRequestWithHead(ctx context.Context, sha string) (int, error)
	// MergedAs returns the pull request merged as commit sha, 0 when no
	// pull request was (a direct push).
	MergedAs(ctx context.Context, sha string) (int, error)
}

// Resolve completes a job with what only GitHub knows, the same for every
// entry point: a job asked for in a comment runs only if the commenter can
// write to the repository, and a job naming only a commit gets its pull
// request: the open one whose head it is for a check, the one merged as it
// otherwise (apply, plan). A job that becomes nothing is returned with
// Command None and the reason; an error is one reading GitHub, never an
// answer.
func Resolve(ctx context.Context, gh GitHub, job Job) (Job, error) {
	if job.Commenter != "" {
		ok, err := gh.CanWrite(ctx, job.Commenter)
		if err != nil {
			return job, fmt.Errorf("check %s's permission on %s: %w", job.Commenter, gh.FullName(), err)
		}
		if !ok {
			return Job{Reason: fmt.Sprintf("%s asked for a re-check but has no write access to %s", job.Commenter, gh.FullName())}, nil
		}
	}
	if job.PR != 0 || job.SHA == "" {
		return job, nil
	}
	if job.Command == Check {
		// A rerequested check run of a fork's head names no pull request.
		n, err := gh.OpenPullRequestWithHead(ctx, job.SHA)
		if err != nil || n == 0 {
			return Job{Reason: fmt.Sprintf("no open pull request has head %s", gitsha.Short(job.SHA))}, err
		}
		job.PR = n
		return job, nil
	}
	n, err := gh.MergedAs(ctx, job.SHA)
	switch {
	case err != nil:
		return job, err
	case n == 0:
		return Job{Reason: fmt.Sprintf("commit %s is not the merge of a pull request: nothing to apply", gitsha.Short(job.SHA))}, nil
	}
	job.PR = n
	return job, nil
}
