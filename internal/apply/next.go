package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/policy"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/report"
)

// FollowUp is a pull request apply opens once its promotions have run, as
// the policy asks: the next stage's promotion after a success
// (autoPropose), or a revert to what still serves after a failed rollout
// (revertOnFailure). The outcome comment links it.
type FollowUp struct {
	Model, Stage string
	Kind         propose.Kind
	Version      int
	// Number and URL are the pull request; zero when none was opened.
	Number int
	URL    string
	// Note says why there is no pull request yet, or what went wrong.
	Note   string
	Failed bool
}

// followUps opens the pull requests the policy asks for after res's
// promotions. Its failures are reported, never fatal: the promotions
// themselves are done.
func followUps(ctx context.Context, env Env, res *Result) []FollowUp {
	cfg := res.Plan.Config
	penv := propose.Env{Repo: env.Repo, AWS: env.AWS, Dir: env.Dir, Now: env.Now}
	var out []FollowUp
	for i, o := range res.Outcomes {
		pr := res.Plan.Promotions[i]
		switch {
		case (o.State == StateSuccess || o.State == StateAlreadyApplied) && len(policy.Next(cfg, o.Stage)) > 0:
			nexts, err := propose.After(ctx, penv, o.Model, o.Stage)
			if err != nil {
				out = append(out, FollowUp{Model: o.Model, Kind: propose.KindNext, Failed: true, Note: "could not look for next-stage proposals: " + err.Error()})
			}
			for _, n := range nexts {
				out = append(out, nextFollowUp(n))
			}
		case o.State == StateFailure && rolledOut(o) && cfg.Policy.Stages[o.Stage].RevertOnFailure:
			f := FollowUp{Model: o.Model, Stage: o.Stage, Kind: propose.KindRevert}
			r, err := propose.Revert(ctx, penv, o.Model, o.Stage, pr.ToVersion, res.Merge.Number)
			switch {
			case err != nil:
				f.Failed, f.Note = true, "could not open the revert pull request: "+err.Error()
			case r.Action == propose.ActionNone:
				f.Version, f.Note = r.Proposal.Version, fmt.Sprintf("the manifest already names v%d, which serves", r.Proposal.Version)
			default:
				f.Version, f.Number, f.URL = r.Proposal.Version, r.Number, r.URL
			}
			out = append(out, f)
		}
	}
	return out
}

// rolledOut reports whether a failed promotion got as far as a rollout:
// only then does a revert make sense. A failed copy or an interrupted run
// is finished by running apply again.
func rolledOut(o Outcome) bool {
	return o.Record != nil && (o.Record.Endpoint.RolledBack || o.Record.Endpoint.ConfigAfter != "")
}

func nextFollowUp(n propose.Next) FollowUp {
	f := FollowUp{Model: n.Model, Stage: n.Stage, Kind: propose.KindNext, Version: n.Version}
	switch n.State {
	case propose.NextProposed:
		f.Number, f.URL = n.Result.Number, n.Result.URL
	case propose.NextSoaking:
		f.Note = fmt.Sprintf("v%d is due once it has soaked in %s, at %s; the server or `modelpromote propose --due` proposes it then",
			n.Version, n.After, n.DueAt.UTC().Format(time.RFC3339))
	case propose.NextFailed:
		f.Failed, f.Note = true, "could not propose it: "+n.Err.Error()
	default:
		f.Note = n.Detail
	}
	return f
}

// writeFollowUps adds the follow-up pull requests to the outcome comment.
func writeFollowUps(b *strings.Builder, res *Result) {
	if len(res.FollowUps) == 0 {
		return
	}
	b.WriteString("\n### Follow-up pull requests\n\n")
	for _, f := range res.FollowUps {
		icon, what := "➡️", fmt.Sprintf("promote v%d to **%s**", f.Version, report.Escape(f.Stage))
		if f.Kind == propose.KindRevert {
			icon, what = "↩️", fmt.Sprintf("revert **%s** to v%d, which still serves", report.Escape(f.Stage), f.Version)
		}
		if f.Failed {
			icon = "⚠️"
		}
		switch {
		case f.Number > 0:
			fmt.Fprintf(b, "- %s %s: [#%d](%s)\n", icon, what, f.Number, f.URL)
		case f.Failed:
			fmt.Fprintf(b, "- %s %s: %s\n", icon, report.Escape(f.Model), report.Escape(f.Note))
		default:
			fmt.Fprintf(b, "- ⏳ %s: %s\n", what, report.Escape(f.Note))
		}
	}
}
