// Package world builds a complete emulated world for modelpromote: the AWS
// emulator with a dev (source) account, staging and prod accounts and a
// tools account the bot runs as, with the roles, buckets, alarms and models
// the example promotions repository names; and the GitHub emulator with an
// organization, its teams and the promotions repository. Scenario tests and
// `modelpromote demo` stand on it.
package world

import (
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/ecr"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/promotions"
)

// The world's accounts and names, matching promotions/modelpromote.yaml.
const (
	Region         = "eu-west-1"
	DevAccount     = "111111111111"
	StagingAccount = "222222222222"
	ProdAccount    = "333333333333"
	ToolsAccount   = "999999999999" // where modelpromote itself runs
	DevBucket      = "acme-ml-dev-artifacts"
	Org            = "acme"
	Repo           = "acme/ml-promotions"
)

// The people of the world and their teams.
const (
	Alice = "alice" // data scientist: opens promotions
	Bob   = "bob"   // ML lead (team:ml-leads)
	Gina  = "gina"  // model governance (team:ml-governance)
	Gus   = "gus"   // model governance (team:ml-governance)
	Pat   = "pat"   // platform engineer (team:ml-platform)
	Sam   = "sam"   // site reliability engineer (team:sre): break-glass approver
)

// Options tune a world.
type Options struct {
	// EndpointDelay is each endpoint phase's length (default 20ms).
	EndpointDelay time.Duration
	// PackageDelay is a new package's time to Completed (default 20ms).
	PackageDelay time.Duration
	// DataDir keeps S3 bytes (default a temporary directory).
	DataDir string
	// NoCrossAccountRead leaves the dev bucket without a policy, so target
	// roles cannot read it and copies must stream.
	NoCrossAccountRead bool
	// Central adds the central model registry: an ML shared-services
	// account (CentralAccount) whose registry-only stage "central" comes
	// before staging (world/central.go).
	Central bool
	// SharedRegistry (with Central) makes the central registry shared: the
	// central stage is `sharedRegistry: true`, and the stages sourced from
	// it read its groups by ARN with their own roles. The groups' policies
	// are the test's to put (as central's platform team would).
	SharedRegistry bool
	// Governance adds the governance account (GovernanceAccount), with
	// the model-card role, and `governance` in the configuration
	// (world/governance.go).
	Governance bool
	// ClockOffset sets the world's clock this far from the wall clock; a
	// negative one starts a story in the past (see Now and Advance).
	ClockOffset time.Duration
}

// World is the emulated world.
type World struct {
	AWS        *awsemu.Server
	SageMaker  *sagemaker.Service
	CloudWatch *cloudwatch.Service
	// Autoscaling is Application Auto Scaling, wired to SageMaker as the
	// real services are.
	Autoscaling *autoscaling.Service
	// ECR holds container images and the repository policies that say
	// which accounts may pull them.
	ECR    *ecr.Service
	GitHub *ghemu.Emulator

	// Bot is modelpromote's own AWS identity, in the tools account.
	Bot aws.Credentials
	// Admin holds each account's own credentials, for seeding and asserts.
	Admin map[string]aws.Credentials
	// Tokens are GitHub tokens by login; BotToken is the App's
	// installation token.
	Tokens   map[string]string
	BotToken string
	// Config is the example configuration.
	Config *manifest.Config
	// configYAML is the configuration file the repository holds (the
	// example's, or its central-registry variant).
	configYAML string
	// Models holds what SeedVersion registered: group → version → lineage.
	Models map[string]map[int]sagemaker.DevLineage

	closers []func()
}

// New builds a world; call Close when done. Tests use worldtest.New, which
// closes it at the test's end and fails the test on any GitHub request that
// did not match GitHub's OpenAPI description.
func New(opts Options) (*World, error) {
	w := &World{Admin: map[string]aws.Credentials{}, Tokens: map[string]string{}, Models: map[string]map[int]sagemaker.DevLineage{}}
	if err := w.startAWS(opts); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.startGitHub(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Close stops the emulators.
func (w *World) Close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
	w.closers = nil
}

// Now is the world's one clock, which every emulator's timestamps follow
// (S3's LastModified, an endpoint's LastModifiedTime, a review's
// submitted_at, …): the wall clock moved by Options.ClockOffset and Advance.
// Whatever judges the world's state by time (a check's soak time, say)
// should read it.
func (w *World) Now() time.Time { return w.AWS.Now() }

// Advance moves the world's clock; see Now.
func (w *World) Advance(d time.Duration) { w.AWS.Advance(d) }

func (w *World) startAWS(opts Options) error {
	srv, err := awsemu.New(awsemu.Options{Region: Region, DataDir: opts.DataDir})
	if err != nil {
		return err
	}
	w.AWS = srv
	srv.Advance(opts.ClockOffset)
	w.CloudWatch = cloudwatch.New(cloudwatch.Options{Now: srv.Now})
	w.ECR = ecr.New(srv.Now)
	w.SageMaker = sagemaker.New(sagemaker.Options{Alarms: w.CloudWatch, EndpointDelay: opts.EndpointDelay, PackageDelay: opts.PackageDelay, Now: srv.Now,
		ImageAccess: w.ECR.CanPull})
	w.closers = append(w.closers, w.SageMaker.Close)
	srv.Mount(w.SageMaker)
	srv.Mount(w.CloudWatch)
	w.Autoscaling = autoscaling.New(autoscaling.Options{Variants: w.SageMaker, Now: srv.Now})
	w.SageMaker.SetScaling(w.Autoscaling)
	srv.Mount(w.Autoscaling)
	srv.Mount(w.ECR)
	w.SageMaker.SetGuardrail(ProdAccount, ProdGuardrail)
	if err := srv.Start(); err != nil {
		return err
	}
	w.closers = append(w.closers, func() { _ = srv.Close() })

	accounts := []struct{ name, id string }{{"dev", DevAccount}, {"staging", StagingAccount}, {"prod", ProdAccount}, {"tools", ToolsAccount}}
	if opts.Central {
		accounts = append(accounts, struct{ name, id string }{"ml-shared", CentralAccount})
	}
	if opts.Governance {
		accounts = append(accounts, struct{ name, id string }{"governance", GovernanceAccount})
	}
	for _, a := range accounts {
		creds, err := srv.AddAccount(a.name, a.id)
		if err != nil {
			return err
		}
		w.Admin[a.id] = creds
	}
	bot, err := srv.AddUser(ToolsAccount, "modelpromote")
	if err != nil {
		return err
	}
	w.Bot = bot

	cfg, text, err := exampleConfig(opts)
	if err != nil {
		return err
	}
	w.Config, w.configYAML = cfg, text
	if err := srv.AddRole(awsemu.Role{Account: DevAccount, Name: "modelpromote-read", Trust: []string{ToolsAccount},
		ExternalID: cfg.Source.ExternalID, AllowSourceIdentity: true}); err != nil {
		return err
	}
	if err := srv.S3().CreateBucket(DevBucket, DevAccount); err != nil {
		return err
	}
	if g := cfg.Governance; g != nil {
		if err := srv.AddRole(awsemu.Role{Account: g.Account, Name: GovernanceRole, Trust: []string{ToolsAccount},
			ExternalID: g.ExternalID, AllowSourceIdentity: true}); err != nil {
			return err
		}
	}
	var readers []string
	for _, env := range cfg.Environments {
		if err := srv.AddRole(awsemu.Role{Account: env.Account, Name: "modelpromote-deploy", Trust: []string{ToolsAccount},
			ExternalID: env.ExternalID, AllowSourceIdentity: true}); err != nil {
			return err
		}
		if env.ReadRoleARN != "" {
			name := env.ReadRoleARN[strings.LastIndex(env.ReadRoleARN, "/")+1:]
			if err := srv.AddRole(awsemu.Role{Account: env.Account, Name: name, Trust: []string{ToolsAccount},
				ExternalID: env.ExternalID, AllowSourceIdentity: true}); err != nil {
				return err
			}
		}
		if err := srv.S3().CreateBucket(env.ArtifactBucket, env.Account); err != nil {
			return err
		}
		readers = append(readers, fmt.Sprintf("%q", "arn:aws:iam::"+env.Account+":root"))
	}
	if opts.Central && !opts.NoCrossAccountRead {
		if err := srv.S3().SetBucketPolicy(CentralBucket, centralBucketPolicy()); err != nil {
			return err
		}
	}
	if !opts.NoCrossAccountRead {
		policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TargetsRead","Effect":"Allow","Principal":{"AWS":[%s]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
			strings.Join(readers, ","), DevBucket, DevBucket)
		if err := srv.S3().SetBucketPolicy(DevBucket, policy); err != nil {
			return err
		}
	}
	return w.seedAlarms()
}

// seedAlarms creates every rollback alarm the example manifests name, in
// OK state, in the accounts of the stages that use them.
func (w *World) seedAlarms() error {
	entries, err := fs.ReadDir(promotions.Files, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == manifest.ConfigFile {
			continue
		}
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		m, ps := manifest.ParseModel("promotions/"+e.Name(), data)
		if len(ps) > 0 {
			return ps
		}
		for stage, s := range m.Stages {
			env, _ := w.Config.Environment(stage)
			for _, alarm := range s.Endpoint.Rollout.Alarms {
				w.CloudWatch.PutAlarm(env.Account, env.Region, cloudwatch.Alarm{AlarmName: alarm, Namespace: "AWS/SageMaker",
					MetricName: "Invocation5XXErrors", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1,
					ComparisonOperator: "GreaterThanOrEqualToThreshold", StateValue: "OK"})
			}
		}
	}
	return nil
}

func (w *World) startGitHub() error {
	gh, err := ghemu.New(ghemu.WithClock(w.AWS.Now))
	if err != nil {
		return err
	}
	w.GitHub = gh
	w.closers = append(w.closers, gh.Close)
	w.GitHub.CreateOrg(Org)
	for _, u := range []string{Alice, Bob, Gina, Gus, Pat, Sam} {
		w.Tokens[u] = w.GitHub.CreateUser(u)
	}
	files := map[string]string{"README.md": "# ML promotions\n\nPromotions of Acme's models. See promotions/.\n"}
	entries, err := fs.ReadDir(promotions.Files, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		files["promotions/"+e.Name()] = string(data)
		if e.Name() == manifest.ConfigFile {
			files["promotions/"+e.Name()] = w.configYAML
		}
	}
	if _, err := w.GitHub.CreateRepo(Repo, files); err != nil {
		return err
	}
	for user, teams := range map[string][]string{Bob: {"ml-leads"}, Gina: {"ml-governance"}, Gus: {"ml-governance"}, Pat: {"ml-platform"}, Sam: {"sre"}} {
		for _, team := range teams {
			if err := w.GitHub.AddTeamMember(Org, team, user, "member", "active"); err != nil {
				return err
			}
		}
	}
	for _, u := range []string{Alice, Bob, Gina, Gus, Pat, Sam} {
		if err := w.GitHub.SetPermission(Repo, u, "write"); err != nil {
			return err
		}
	}
	tok, err := w.GitHub.InstallationToken(w.GitHub.Install(Org))
	if err != nil {
		return err
	}
	w.BotToken = tok
	return nil
}

// BotRepo is the GitHub adapter for the promotions repository, acting as
// the App's installation.
func (w *World) BotRepo() *github.Repo {
	gh, err := github.NewClient(w.GitHub.URL(), w.BotToken, w.GitHub.HTTPClient().Transport)
	if err != nil {
		panic(err) // the emulator's URL always parses
	}
	return github.NewRepo(gh, Org, "ml-promotions")
}

// UserClient is a go-github client acting as login.
func (w *World) UserClient(login string) *gogh.Client { return w.GitHub.Client(w.Tokens[login]) }

// BotAWS is the AWS configuration modelpromote runs with.
func (w *World) BotAWS() aws.Config { return w.AWS.Config(w.Bot) }

// AdminAWS is an account's own configuration, for seeding and asserting.
func (w *World) AdminAWS(account string) aws.Config { return w.AWS.Config(w.Admin[account]) }

// HTTPClient returns a plain HTTP client for the emulators.
func (w *World) HTTPClient() *http.Client { return w.GitHub.HTTPClient() }

// Version describes one model version to register in the dev account.
type Version struct {
	Group string
	// Metrics are binary classification metrics by short name ("auc",
	// "recall", …); StdDev is their standard deviation (NaN for "NaN").
	Metrics map[string]float64
	StdDev  float64
	// Bias maps bias metric paths to values (e.g. "bias.post_training.DI").
	Bias map[string]float64
	// SHAP maps features to global SHAP values.
	SHAP map[string]float64
	// Approval is the registry approval status (default Approved).
	Approval string
	// Image is the inference image (default: the group's image, by
	// digest). The first version of a group pushes its image to the dev
	// registry; later ones leave pushing to the caller (ECR.PutImage).
	Image string
}

// SeedVersion registers the next version of v.Group in the dev account
// with its lineage, reports and artifacts, and returns its version number.
func (w *World) SeedVersion(v Version) (int, error) {
	if v.Metrics == nil {
		v.Metrics = map[string]float64{"auc": 0.91, "f1": 0.84, "precision": 0.86, "recall": 0.82, "accuracy": 0.88}
	}
	if v.Bias == nil {
		v.Bias = map[string]float64{"bias.pre_training.CI": 0.02, "bias.post_training.DI": 0.94, "bias.post_training.DPPL": 0.03}
	}
	if v.SHAP == nil {
		v.SHAP = map[string]float64{"amount": 0.31, "merchant_risk": 0.22, "hour": 0.17, "country": 0.09}
	}
	stdDev := v.StdDev
	lin, err := w.SageMaker.SeedDevPackage(DevAccount, Region, sagemaker.DevPackage{
		Group:                  v.Group,
		Bucket:                 DevBucket,
		ApprovalStatus:         v.Approval,
		Image:                  v.Image,
		Repository:             "https://github.com/acme/" + v.Group,
		ModelQualityStatistics: evidence.SampleModelQuality(evidence.BinaryClassification, v.Metrics, stdDev),
		Bias:                   evidence.SampleClarify(v.Bias, nil),
		Explainability:         evidence.SampleClarify(nil, v.SHAP),
	})
	if err != nil {
		return 0, err
	}
	for uri, data := range lin.Objects {
		u, err := artifacts.ParseURI(uri)
		if err != nil {
			return 0, err
		}
		if err := w.AWS.S3().PutObject(u.Bucket, u.Key, data); err != nil {
			return 0, err
		}
	}
	version := int(lin.Package.ModelPackageVersion)
	if w.Models[v.Group] == nil {
		w.Models[v.Group] = map[int]sagemaker.DevLineage{}
		if err := w.seedImage(lin.Package.InferenceSpecification.Containers[0].Image); err != nil {
			return 0, err
		}
		w.SageMaker.SeedModelCard(DevAccount, Region, sagemaker.ModelCard{ModelCardName: v.Group, ModelCardStatus: "Approved",
			Content: string(evidence.SampleModelCard(v.Group, evidence.RiskMedium, v.Metrics))})
	}
	w.Models[v.Group][version] = lin
	return version, nil
}

// seedImage pushes a dev package's inference image (ACCOUNT.dkr.ecr.REGION.
// amazonaws.com/REPOSITORY@sha256:…) to the dev account's registry, with a
// repository policy that lets the stages' accounts pull it, as SageMaker
// needs to run it there.
func (w *World) seedImage(image string) error {
	_, ref, _ := strings.Cut(image, ".amazonaws.com/")
	repo, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return fmt.Errorf("seed image %s: not an ECR image pinned by digest", image)
	}
	if err := w.ECR.PutImage(DevAccount, Region, repo, digest, "latest"); err != nil {
		return err
	}
	var pullers []string
	for _, env := range w.Config.Environments {
		pullers = append(pullers, fmt.Sprintf("%q", "arn:aws:iam::"+env.Account+":root"))
	}
	return w.ECR.SetPolicy(DevAccount, Region, repo, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"StagesPull","Effect":"Allow","Principal":{"AWS":[%s]},"Action":[%s]}]}`,
		strings.Join(pullers, ","), `"ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"`))
}

// SeedVersions registers versions 1..n of group with slowly improving
// metrics, so that version k's AUC is 0.80 + 0.005·k, without standard
// deviations ("NaN", as Model Monitor writes a metric it could not
// bootstrap).
func (w *World) SeedVersions(group string, n int) error {
	return w.SeedVersionsWithStdDev(group, n, math.NaN())
}

// SeedVersionsWithStdDev is SeedVersions with every metric's standard
// deviation set, so that reports can tell a change within the noise from
// one beyond it.
func (w *World) SeedVersionsWithStdDev(group string, n int, stdDev float64) error {
	for k := 1; k <= n; k++ {
		auc := 0.80 + 0.005*float64(k)
		got, err := w.SeedVersion(Version{Group: group, StdDev: stdDev, Metrics: map[string]float64{
			"auc": auc, "f1": auc - 0.07, "precision": auc - 0.05, "recall": auc - 0.09, "accuracy": auc - 0.03}})
		if err != nil {
			return err
		}
		if got != k {
			return fmt.Errorf("seeded %s version %d, want %d (seed versions in order)", group, got, k)
		}
	}
	return nil
}

// PackageARN is the ARN of a dev package version.
func PackageARN(group string, version int) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:model-package/%s/%d", Region, DevAccount, group, version)
}

// exampleConfig is the example configuration, with the central registry
// when opts ask for it, parsed and as text.
func exampleConfig(opts Options) (*manifest.Config, string, error) {
	data, err := fs.ReadFile(promotions.Files, manifest.ConfigFile)
	if err != nil {
		return nil, "", err
	}
	text := string(data)
	if opts.Central {
		if text, err = withCentral(text, opts.SharedRegistry); err != nil {
			return nil, "", err
		}
	}
	if opts.Governance {
		text += governanceConfig
	}
	doc, ps := manifest.ParseConfig("promotions/"+manifest.ConfigFile, []byte(text))
	if len(ps) > 0 {
		return nil, "", ps
	}
	return doc.Config, text, nil
}
