package demo

import (
	"context"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/dashboard"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/history"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/status"
)

// audit shows what `modelpromote status` and `modelpromote history --at
// … --verify` print at the end of the story, reading as they do: the
// manifests on main, the endpoints and evidence through the read roles,
// the open pull requests from GitHub.
func (d *Demo) audit(ctx context.Context) error {
	w := d.World
	repo := w.BotRepo()
	sha, err := repo.BranchSHA(ctx, "main")
	if err != nil {
		return err
	}
	tree, err := repo.Tree(ctx, sha, manifest.DefaultDir)
	if err != nil {
		return err
	}
	set := manifest.Load(tree, manifest.DefaultDir)
	if set.Config == nil || len(set.Problems) > 0 {
		return set.Problems
	}
	readers := accounts.New(accounts.Options{Base: w.BotAWS(), SessionName: "modelpromote-demo"}).Readers()
	evidence := &artifacts.Evidence{Configs: readers, PathStyle: true}
	t := status.Collect(ctx, status.Sources{Stages: endpoints.NewStages(readers), Records: evidence,
		Pulls: status.OpenPulls(repo, manifest.DefaultDir), Now: d.now}, set.Config.Config, set.Models)
	var b strings.Builder
	if err := t.WriteText(&b); err != nil {
		return err
	}
	d.say("$ modelpromote status   (the example's other models are not deployed in this world)\n%s", indent(b.String()))

	// What the endpoints are configured with, read back through the read
	// roles as drift reads it, and drift itself.
	stages := endpoints.NewStages(readers)
	for _, s := range []struct{ model, stage string }{{"fraud-detector", "prod"}, {"credit-risk", "staging"}} {
		env, _ := set.Config.Config.Environment(s.stage)
		var ep manifest.Endpoint
		for _, doc := range set.Models {
			if doc.Model.Name == s.model {
				ep = doc.Model.Stages[s.stage].Endpoint
			}
		}
		_, c, err := stages.Configured(ctx, env, ep)
		if err != nil {
			return err
		}
		d.say("\n%s/%s: endpoint %s in account %s, as its account says (what drift compares with the manifests):\n%s",
			s.model, s.stage, ep.Name, env.Account, indent(strings.Join(drift.Describe(c), "\n")))
	}
	r := drift.Detect(ctx, set.Config.Config, set.Models, drift.WithJournals(stages, evidence))
	b.Reset()
	r.WriteText(&b, &b)
	d.say("\n$ modelpromote drift\n%s", indent(b.String()))

	var model *manifest.Model
	for _, doc := range set.Models {
		if doc.Model.Name == "fraud-detector" {
			model = doc.Model
		}
	}
	prod, _ := set.Config.Config.Environment("prod")
	tl, err := history.Load(ctx, evidence, prod, model, "prod")
	if err != nil {
		return err
	}
	history.Verify(ctx, evidence, prod, tl, d.now())
	at := d.now()
	b.Reset()
	if err := tl.WriteServed(&b, tl.At(at)); err != nil {
		return err
	}
	d.say("\n$ modelpromote history --model fraud-detector --stage prod --at %s --verify\n%s", at.UTC().Format("2006-01-02T15:04:05Z"), indent(b.String()))
	return d.dashboard(ctx)
}

// dashboard opens the "Model promotions" issue as the App would after an
// apply with `dashboard: true`, and says where it is: its body is
// markdown for GitHub, so the terminal gets its summary line.
func (d *Demo) dashboard(ctx context.Context) error {
	w := d.World
	res, err := dashboard.Refresh(ctx, dashboard.Env{Repo: w.BotRepo(), Bot: w.GitHub.App().BotLogin, AppID: w.GitHub.App().ID,
		Dir: manifest.DefaultDir, AWS: w.BotAWS(), S3PathStyle: true, Version: d.opts.Version, Now: d.now, DryRun: true})
	if err != nil {
		return err
	}
	is, _, err := dashboard.Publish(ctx, w.BotRepo(), w.GitHub.App().BotLogin, res.Body)
	if err != nil {
		return err
	}
	summary := ""
	for _, line := range strings.Split(res.Body, "\n") {
		if strings.HasPrefix(line, "**") {
			summary = strings.ReplaceAll(line, "**", "")
		}
	}
	d.say("\n$ modelpromote dashboard   (dashboard: true keeps it after every apply and drift run)\n  Dashboard opened: %s\n  %s", is.URL, summary)
	return nil
}
