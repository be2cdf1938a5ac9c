package server

import (
	"context"
	"log/slog"

	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/route"
)

// A delivery names the installation it came through, but a signed
// delivery is not proof of which installation of this App is on its
// repository now: a delivery replayed from before the repository moved to
// another organization, or one from a second App sharing this webhook URL
// and secret by mistake, names another. So a job runs as the installation
// the App API gives for its repository (GET /repos/{owner}/{repo}/installation,
// authenticated as the App), asked the first time a repository is seen and
// again whenever a delivery names an installation other than the one
// known; only an answer of the App API is remembered for reconciliation.
// A repository the App is not installed on (404) is skipped and not
// remembered.

// reach returns the installation to run j as: the known one when the
// delivery names it (or none), else the App API's, which is then
// remembered. ok is false when the App is not installed on j's repository.
func (s *Server) reach(ctx context.Context, j route.Job, log *slog.Logger) (installation int64, ok bool, err error) {
	s.mu.Lock()
	known := s.known[j.Repo]
	s.mu.Unlock()
	if known != 0 && (j.Installation == 0 || j.Installation == known) {
		return known, true, nil
	}
	owner, name, err := github.ParseRepo(j.Repo)
	if err != nil {
		return 0, false, err
	}
	confirmed, err := s.opts.GitHub.Installation(ctx, owner, name)
	switch {
	case github.IsNotFound(err):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	if j.Installation != 0 && j.Installation != confirmed {
		s.metrics.inc(s.metrics.rejected, "installation")
		log.Warn("the delivery names an installation the App API does not confirm: running as the App API's",
			"delivery_installation", j.Installation, "installation", confirmed)
	}
	s.remember(j.Repo, confirmed)
	return confirmed, true, nil
}

// remember notes the installation the App API confirmed on repo, for
// reconciliation.
func (s *Server) remember(repo string, installation int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.known[repo]; !ok && len(s.known) >= maxKnownRepos {
		return
	}
	s.known[repo] = installation
}

// maxKnownRepos bounds the repositories remembered for reconciliation.
const maxKnownRepos = 10000

func (s *Server) repositories() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.known))
	for k, v := range s.known {
		out[k] = v
	}
	return out
}
