package demo

import (
	"context"
	"strings"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
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
	return nil
}
