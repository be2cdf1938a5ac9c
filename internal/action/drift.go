package action

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/report"
)

// runDrift compares every stage of the manifests at ref (read through the
// API) with what its endpoint serves, as `modelpromote drift` does with a
// checkout, and announces the drift to the configuration's notification
// targets.
func runDrift(ctx context.Context, repo *github.Repo, cfg aws.Config, pathStyle bool, dir, ref string, n *notify.Notifier) (*drift.Report, *manifest.Set, error) {
	tree, err := repo.Tree(ctx, ref, dir)
	if err != nil {
		return nil, nil, err
	}
	set := manifest.Load(tree, dir)
	if len(set.Problems) > 0 || set.Config == nil {
		return nil, nil, fmt.Errorf("the manifests at %s have problems (run modelpromote validate):\n%w", gitsha.Short(ref), set.Problems)
	}
	readers := accounts.New(accounts.Options{Base: cfg, SessionName: "modelpromote-drift"}).Readers()
	stages := drift.WithJournals(endpoints.NewStages(readers), &artifacts.Evidence{Configs: readers, PathStyle: pathStyle})
	r := drift.Detect(ctx, set.Config.Config, set.Models, stages)
	n.Send(ctx, set.Config.Config.Notifications, drift.Events(r, repo.FullName(), time.Now())...)
	return r, set, nil
}

// Drift verdicts.
const (
	VerdictClean   = "clean"
	VerdictDrifted = "drift"
)

// drifted reports a drift comparison and says whether it failed (drift, or
// a stage that could not be read).
func (r reporter) drifted(job Job, ref string, d *drift.Report) bool {
	verdict := VerdictClean
	if !d.Clean() {
		verdict = VerdictDrifted
	}
	r.planless(job, verdict, OutputDrift, d)

	var s strings.Builder
	fmt.Fprintf(&s, "## modelpromote drift at %s: %d of %d stages drifted\n\n", gitsha.Short(ref), len(d.Drift), d.Checked)
	if len(d.Drift) > 0 {
		s.WriteString("| model | stage | endpoint | manifest | serving | detail |\n|---|---|---|---|---|---|\n")
		for _, x := range d.Drift {
			fmt.Fprintf(&s, "| %s | %s | `%s` | %d | %d | %s |\n", report.Escape(x.Model), report.Escape(x.Stage), x.Endpoint, x.Manifest, x.Serving, report.Escape(x.Detail))
			r.a.Errorf("modelpromote: drift: %s/%s: %s", x.Model, x.Stage, x.Detail)
		}
		s.WriteString("\n")
	}
	for _, u := range d.Unread {
		fmt.Fprintf(&s, "- could not read %s/%s (`%s`): %s\n", report.Escape(u.Model), report.Escape(u.Stage), u.Endpoint, report.Escape(u.Error))
		r.a.Errorf("modelpromote: drift: %s/%s: could not read endpoint %s: %s", u.Model, u.Stage, u.Endpoint, u.Error)
	}
	r.a.AddStepSummary(s.String())
	r.a.Infof("modelpromote drift: %s (%d stages checked)", verdict, d.Checked)
	return !d.Clean()
}
