package action

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/dashboard"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// refreshDashboard updates the dashboard issue after a drift run, when the
// configuration at ref (set, as the drift run read it) asks for one. A failure is a warning on the run,
// never a failed drift check: the drift verdict stands on its own.
func refreshDashboard(ctx context.Context, a *githubactions.Action, repo *github.Repo, env Env, in Inputs, cfg aws.Config, ref string, set *manifest.Set) {
	res, err := dashboard.Refresh(ctx, dashboard.Env{Repo: repo, Bot: in.BotLogin, AppID: in.AppID, Dir: in.Dir, Ref: ref, Set: set, AWS: cfg,
		S3PathStyle: env.S3PathStyle, Version: env.Version, Now: env.Now})
	switch {
	case err != nil:
		a.Warningf("modelpromote: dashboard not updated: %v", err)
	case res.Skipped != "":
		a.Debugf("modelpromote: dashboard: %s", res.Skipped)
	default:
		a.Infof("modelpromote: dashboard %s", res.Issue.URL)
		a.AddStepSummary(fmt.Sprintf("Dashboard: %s\n", res.Issue.URL))
		if res.Note != "" {
			a.Warningf("modelpromote: dashboard: %s", res.Note)
		}
	}
}
