package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/modelpromote/modelpromote/internal/dashboard"
	"github.com/modelpromote/modelpromote/internal/github"
)

// dashboardTimeout bounds one dashboard update: it reads every stage, and
// the repository's next job waits for it.
const dashboardTimeout = 2 * time.Minute

// refreshDashboard updates the repository's dashboard issue after an apply
// (a rollback is one), when its configuration asks for one. Like a
// notification, a failure is logged and counted, and never fails the
// apply: the promotion has happened whatever the issue says.
func (s *Server) refreshDashboard(ctx context.Context, repo *github.Repo, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, dashboardTimeout)
	defer cancel()
	res, err := dashboard.Refresh(ctx, dashboard.Env{Repo: repo, Bot: s.opts.BotLogin, AppID: s.opts.AppID, Dir: s.opts.Dir, AWS: s.opts.AWS,
		S3PathStyle: s.opts.S3PathStyle, Version: s.opts.Version, Now: s.opts.Now})
	switch {
	case err != nil:
		s.metrics.inc(s.metrics.dashboards, "failed")
		log.Warn("dashboard not updated", "err", err)
	case res.Skipped != "":
		s.metrics.inc(s.metrics.dashboards, "skipped")
	default:
		result := "updated"
		switch {
		case res.Issue.Created:
			result = "created"
		case res.Issue.Unchanged:
			result = "unchanged"
		}
		s.metrics.inc(s.metrics.dashboards, result)
		log.Info("dashboard "+result, "issue", res.Issue.URL)
		if res.Note != "" {
			log.Warn("dashboard: " + res.Note)
		}
	}
}
