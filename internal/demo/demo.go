// Package demo plays modelpromote's whole flow against the embedded AWS
// and GitHub emulators, through the same code paths a real installation
// runs, in the shape of AWS's multi-account framework: a data scientist
// promotes a version into the central model registry (registry only), then
// opens a promotion pull request for staging, which takes the package from
// the central registry; the check reports on it, reviewers approve, the
// merge is applied (artifacts copied, package registered, endpoint
// deployed), and the model's card in the governance account records each
// apply. The prod promotion is blocked by a missing approval and a metric
// regression until a better model comes along. It needs no cloud account.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Options tune the demo.
type Options struct {
	// Out receives the story.
	Out io.Writer
	// EndpointDelay is each emulated endpoint phase (default 150ms).
	EndpointDelay time.Duration
	// Version is shown in reports.
	Version string
}

// Demo is a played story; its World stays up until Close.
type Demo struct {
	World *world.World
	out   io.Writer
	opts  Options
}

// Day is how far the story's clock jumps when staging must have soaked:
// a day and an hour, past the example policy's 24-hour soak time.
const Day = 25 * time.Hour

// Run plays the story. The returned Demo's emulators are still running;
// Close them, or keep them for exploring.
//
// The story takes two days on the world's one clock, which every emulator
// and the demo's checks and applies read: it starts two days ago and ends
// now, so that kept emulators agree with the real clock afterwards (an
// apply run against them judges soak times as the demo did).
func Run(ctx context.Context, opts Options) (*Demo, error) {
	if opts.EndpointDelay == 0 {
		opts.EndpointDelay = 150 * time.Millisecond
	}
	w, err := NewWorld(world.Options{EndpointDelay: opts.EndpointDelay, PackageDelay: 50 * time.Millisecond, ClockOffset: -2 * Day})
	if err != nil {
		return nil, err
	}
	d := &Demo{World: w, out: opts.Out, opts: opts}
	if err := d.play(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return d, nil
}

// NewWorld is the demo's world, tuned by opts: the example configuration
// with the central model registry before staging (staging and prod sourced
// from it) and the governance account's model cards.
func NewWorld(opts world.Options) (*world.World, error) {
	opts.Central, opts.Governance = true, true
	return world.New(opts)
}

// Close stops the emulators.
func (d *Demo) Close() { d.World.Close() }

func (d *Demo) now() time.Time { return d.World.Now() }

func (d *Demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *Demo) section(n int, title string) {
	d.say("\n%s\n%d. %s\n%s", strings.Repeat("─", 78), n, title, strings.Repeat("─", 78))
}

func (d *Demo) play(ctx context.Context) error {
	w := d.World
	d.say("modelpromote demo: a promotion from dev through the central model registry to staging and prod, against emulated AWS and GitHub.")
	d.say("\nSetting up: AWS accounts dev (%s), ml-shared (%s, the central model registry), staging (%s), prod (%s),",
		world.DevAccount, world.CentralAccount, world.StagingAccount, world.ProdAccount)
	d.say("governance (%s, the model cards) and tools (%s, where the bot runs);", world.GovernanceAccount, world.ToolsAccount)
	d.say("GitHub repository %s with the example promotions/ of this repository, in the shape of AWS's framework for ML", world.Repo)
	d.say("across accounts: the stage central is registry only (a promotion copies the package there and deploys nothing),")
	d.say("staging and prod take the package from the central registry, never from dev, and `governance` has apply record")
	d.say("every promotion on the model's card in the governance account.")
	d.say("The story starts two days ago (%s) and ends now, on one clock the emulators share.", d.now().UTC().Format("2006-01-02 15:04 UTC"))
	if err := Seed(ctx, w); err != nil {
		return err
	}
	d.say("The dev registry holds fraud-detector versions 1–13 (each with its pipeline lineage, reports and model card);")
	d.say("version 12 serves in staging and version 11 in prod, as promotions/fraud-detector.yaml says.")

	d.section(1, "Alice promotes fraud-detector v13 into the central model registry")
	centralPR, err := d.openPR(world.Alice, "promote-fraud-detector-13-central", "Promote fraud-detector v13 to the central registry", "stages:\n", "stages:\n  central:\n    version: 13\n")
	if err != nil {
		return err
	}
	if err := d.review(centralPR, world.Bob); err != nil {
		return err
	}
	if _, err := d.check(ctx, centralPR, true); err != nil {
		return err
	}
	if err := d.mergeAndApply(ctx, centralPR); err != nil {
		return err
	}

	d.section(2, "Alice opens a pull request promoting fraud-detector v13 to staging, from the central registry")
	pr, err := d.openPR(world.Alice, "promote-fraud-detector-13-staging", "Promote fraud-detector v13 to staging", "  staging:\n    version: 12\n", "  staging:\n    version: 13\n")
	if err != nil {
		return err
	}

	d.section(3, "The check reads the central registry's copy and reports on the pull request")
	res, err := d.check(ctx, pr, true)
	if err != nil {
		return err
	}
	if src := res.Plan.Promotions[0].Details.Source; src != nil {
		d.say("\nWhere the check read the package, its reports and its lineage (not the dev account): %s.", src.Summary())
	}

	d.section(4, "Bob (team:ml-leads) approves; the check passes; the pull request merges and is applied")
	if err := d.review(pr, world.Bob); err != nil {
		return err
	}
	if _, err := d.check(ctx, pr, false); err != nil {
		return err
	}
	if err := d.mergeAndApply(ctx, pr); err != nil {
		return err
	}

	d.section(5, "Alice opens the prod promotion of v13: two problems block it")
	w.Advance(Day)
	d.say("(25 hours pass: prod requires a version to have soaked 24 hours in staging.)")
	prodPR, err := d.openPR(world.Alice, "promote-fraud-detector-13-prod", "Promote fraud-detector v13 to prod", "  prod:\n    version: 11\n", "  prod:\n    version: 13\n")
	if err != nil {
		return err
	}
	res, err = d.check(ctx, prodPR, true)
	if err != nil {
		return err
	}
	d.say("\nWhat blocks it:")
	for _, f := range res.Plan.Findings {
		if f.Severity == plan.SeverityError || f.Severity == plan.SeverityPending {
			d.say("  • [%s] %s", f.Gate, f.Message)
		}
	}

	d.section(6, "A retrained v14 fixes the regression; it goes through the central registry and staging, then prod is approved and deployed")
	v, err := w.SeedVersion(world.Version{Group: "fraud-detector", StdDev: stdDev,
		Metrics: map[string]float64{"auc": 0.88, "f1": 0.81, "precision": 0.84, "recall": 0.80, "accuracy": 0.86}})
	if err != nil {
		return err
	}
	d.say("The training pipeline registered v%d (AUC 0.88).", v)
	for _, step := range []struct{ stage, from, to string }{
		{"central", "  central:\n    version: 13\n", "  central:\n    version: 14\n"},
		{"staging", "  staging:\n    version: 13\n", "  staging:\n    version: 14\n"},
	} {
		n, err := d.openPR(world.Alice, "promote-fraud-detector-14-"+step.stage, "Promote fraud-detector v14 to "+step.stage, step.from, step.to)
		if err != nil {
			return err
		}
		if err := d.review(n, world.Bob); err != nil {
			return err
		}
		if _, err := d.check(ctx, n, false); err != nil {
			return err
		}
		if err := d.mergeAndApply(ctx, n); err != nil {
			return err
		}
	}
	// The governance team reviews the card: approved, it stays as it was
	// approved, and the next change to it asks for the review again.
	if err := w.SageMaker.UpdateModelCardStatus(world.GovernanceAccount, world.Region, "fraud-detector", "Approved"); err != nil {
		return err
	}
	d.say("\nGus (team:ml-governance) reviews the model card in the governance account and approves it.")
	w.Advance(Day)
	d.say("\n(25 hours later, v14 has soaked in staging.) Alice closes #%d and proposes v14 for prod instead:", prodPR)
	closed := "closed"
	if _, _, err := w.UserClient(world.Alice).PullRequests.Edit(ctx, world.Org, "ml-promotions", prodPR, &gogh.PullRequest{State: &closed}); err != nil {
		return err
	}
	prodPR, err = d.openPR(world.Alice, "promote-fraud-detector-14-prod", "Promote fraud-detector v14 to prod", "  prod:\n    version: 11\n", "  prod:\n    version: 14\n")
	if err != nil {
		return err
	}
	// Prod traffic grows: the same pull request lets autoscaling size the
	// fleet (a reconfiguration beside the promotion).
	if err := d.pushEdit("promote-fraud-detector-14-prod", world.Alice, prodFleet, prodFleet+prodScaling); err != nil {
		return err
	}
	d.say("Alice also turns on autoscaling for prod in #%d: %s", prodPR, strings.TrimSpace(prodScaling))
	for _, reviewer := range []string{world.Gina, world.Bob} {
		if err := d.review(prodPR, reviewer); err != nil {
			return err
		}
	}
	if _, err := d.check(ctx, prodPR, true); err != nil {
		return err
	}
	if err := d.mergeAndApply(ctx, prodPR); err != nil {
		return err
	}

	d.section(7, "The evidence record and the promotion history")
	if err := d.history(ctx); err != nil {
		return err
	}
	d.section(8, "The model card in the governance account")
	if err := d.cardStory(ctx); err != nil {
		return err
	}
	d.section(9, "What runs where, how it is configured, and what served when: modelpromote status, drift and history")
	return d.audit(ctx)
}

// prodFleet is fraud-detector's prod fleet in promotions/fraud-detector.yaml;
// prodScaling the autoscaling the story adds to it.
const (
	prodFleet   = "      instanceType: ml.m5.xlarge\n      instanceCount: 4\n"
	prodScaling = "      autoscaling: {minInstances: 2, maxInstances: 8, targetInvocationsPerInstance: 700, scaleInCooldownSeconds: 300, scaleOutCooldownSeconds: 60}\n"
)

// stdDev is the standard deviation of every seeded metric: what Model
// Monitor's bootstrap gives on a test set of some ten thousand rows, so
// that the reports tell a change within the noise from one beyond it.
const stdDev = 0.005

// Seed sets w up as the demo's story begins, and as `modelpromote emulator`
// serves it: fraud-detector versions 1–12 improving slowly, version 13
// fresh from training (good enough for staging, but its AUC regresses from
// what prod serves), every metric with a standard deviation; version 12
// live in staging and version 11 in prod, both registered in the central
// registry before. credit-risk runs v3 on a serverless endpoint in staging
// and v2 in prod, as promotions/credit-risk.yaml says.
func Seed(ctx context.Context, w *world.World) error {
	if err := w.SeedVersionsWithStdDev("fraud-detector", 12, stdDev); err != nil {
		return err
	}
	if _, err := w.SeedVersion(world.Version{Group: "fraud-detector", StdDev: stdDev,
		Metrics: map[string]float64{"auc": 0.84, "f1": 0.78, "precision": 0.80, "recall": 0.76, "accuracy": 0.82}}); err != nil {
		return err
	}
	if err := w.SeedVersionsWithStdDev("credit-risk-xgboost", 3, stdDev); err != nil {
		return err
	}
	deployments := []struct {
		stage, group, endpoint string
		version                int
	}{{"staging", "fraud-detector", "fraud-detector-staging", 12}, {"prod", "fraud-detector", "fraud-detector", 11},
		{"staging", "credit-risk-xgboost", "credit-risk-staging", 3}, {"prod", "credit-risk-xgboost", "credit-risk", 2}}
	if _, ok := w.Config.Environment("central"); ok {
		// What staging and prod run came through the central registry,
		// which still holds those copies: a stage sourced from it reads
		// the version it runs there (its regression baseline).
		deployments = append([]struct {
			stage, group, endpoint string
			version                int
		}{{"central", "fraud-detector", "", 11}, {"central", "fraud-detector", "", 12},
			{"central", "credit-risk-xgboost", "", 2}, {"central", "credit-risk-xgboost", "", 3}}, deployments...)
	}
	for _, dep := range deployments {
		if err := w.Deploy(ctx, dep.stage, dep.group, dep.version, dep.endpoint); err != nil {
			return err
		}
	}
	return nil
}

func (d *Demo) openPR(author, branch, title, from, to string) (int, error) {
	w := d.World
	if err := w.GitHub.CreateBranch(world.Repo, branch, "main"); err != nil {
		return 0, err
	}
	if err := d.pushEdit(branch, author, from, to); err != nil {
		return 0, err
	}
	n, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: title, Head: branch, Author: author})
	if err != nil {
		return 0, err
	}
	d.say("Pull request #%d %q by %s: promotions/fraud-detector.yaml sets %s", n, title, author, strings.Join(strings.Fields(strings.ReplaceAll(to, ":", "")), " "))
	return n, nil
}

func (d *Demo) pushEdit(branch, author, from, to string) error {
	w := d.World
	cur, ok := w.GitHub.File(world.Repo, branch, "promotions/fraud-detector.yaml")
	if !ok || !strings.Contains(cur, from) {
		return fmt.Errorf("promotions/fraud-detector.yaml on %s lacks %q", branch, from)
	}
	_, err := w.GitHub.Push(world.Repo, branch, ghemu.Change{Message: "Promote fraud-detector", Author: author,
		Files: map[string]string{"promotions/fraud-detector.yaml": strings.Replace(cur, from, to, 1)}})
	return err
}

func (d *Demo) review(pr int, reviewer string) error {
	if _, err := d.World.GitHub.Review(world.Repo, pr, reviewer, "APPROVE", "Looks good."); err != nil {
		return err
	}
	d.say("%s approves #%d.", reviewer, pr)
	return nil
}

// check runs the check; with show it prints the comment as GitHub shows it.
func (d *Demo) check(ctx context.Context, pr int, show bool) (*check.Result, error) {
	res, err := check.Run(ctx, check.Env{Repo: d.World.BotRepo(), AWS: d.World.BotAWS(), S3PathStyle: true, Report: true, Now: d.now, Version: d.opts.Version}, pr)
	if err != nil {
		return nil, err
	}
	d.say("Check on #%d: %s (check run: %s).", pr, res.Verdict, conclusion(res.Verdict))
	if show {
		d.say("\nThe comment on #%d, as reviewers see it:\n", pr)
		for _, c := range d.World.GitHub.Comments(world.Repo, pr) {
			if strings.HasPrefix(c.Body, report.CommentMarker) {
				// A terminal is not a markdown renderer: decode the
				// character references that keep names inert as markdown
				// (approval&#40;s&#41;, &lt;), as GitHub shows them.
				d.say("%s", indent(html.UnescapeString(c.Body)))
			}
		}
	}
	return res, nil
}

func conclusion(s plan.Status) string {
	switch s {
	case plan.StatusPass:
		return "success"
	case plan.StatusPending:
		return "action_required"
	}
	return "failure"
}

func (d *Demo) mergeAndApply(ctx context.Context, pr int) error {
	w := d.World
	sha, err := w.GitHub.Merge(world.Repo, pr, world.Pat, "merge")
	if err != nil {
		return err
	}
	d.say("Pat merges #%d (merge commit %s). Apply:", pr, gitsha.Short(sha))
	res, err := apply.Run(ctx, apply.Env{Repo: w.BotRepo(), AppID: w.GitHub.App().ID, AWS: w.BotAWS(), S3PathStyle: true, Now: d.now, Poll: 50 * time.Millisecond,
		Version: d.opts.Version, Progress: func(line string) { d.say("  %s", line) }}, pr)
	if err != nil {
		return err
	}
	for _, r := range res.Refused {
		d.say("  refused: %s", r)
	}
	for _, o := range res.Outcomes {
		d.say("  → %s/%s: %s %s", o.Model, o.Stage, o.State, o.Error)
	}
	if res.Failed() {
		return fmt.Errorf("apply of #%d failed", pr)
	}
	return d.cardLine(ctx)
}

// history prints the last evidence record and every record, oldest first.
func (d *Demo) history(ctx context.Context) error {
	w := d.World
	type entry struct {
		bucket, key string
		rec         apply.Record
	}
	var all []entry
	for _, env := range w.Config.Environments {
		client := s3.NewFromConfig(w.AdminAWS(env.Account), awsemu.PathStyle)
		out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(env.ArtifactBucket)})
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			if !strings.Contains(key, "/evidence/") {
				continue
			}
			obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.ArtifactBucket), Key: o.Key})
			if err != nil {
				return err
			}
			var rec apply.Record
			err = json.NewDecoder(obj.Body).Decode(&rec)
			obj.Body.Close()
			if err != nil {
				return err
			}
			all = append(all, entry{env.ArtifactBucket, key, rec})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].rec.FinishedAt.Before(all[j].rec.FinishedAt) })
	if len(all) == 0 {
		return fmt.Errorf("no evidence records")
	}
	last := all[len(all)-1]
	data, _ := json.MarshalIndent(last.rec, "", "  ")
	d.say("The evidence record of the prod promotion, s3://%s/%s:\n%s", last.bucket, last.key, indent(string(data)))
	d.say("\nPromotion history (what served where, from when, approved by whom):")
	d.say("  %-20s %-16s %-8s %-8s %-14s %-10s %s", "finished", "model", "stage", "version", "approved by", "outcome", "merge")
	for _, e := range all {
		var who []string
		for _, a := range e.rec.Approvals {
			who = append(who, a.Login)
		}
		d.say("  %-20s %-16s %-8s v%-7d %-14s %-10s %s", e.rec.FinishedAt.Format("2006-01-02 15:04:05"), e.rec.Model, e.rec.Stage,
			e.rec.ToVersion, strings.Join(who, ","), e.rec.Outcome, gitsha.Short(e.rec.PullRequest.MergeSHA))
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
