package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/dashboard"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The demo is the first thing a newcomer runs: it must tell the whole
// story and leave the world in the state the story describes.
func TestDemoPlaysTheWholeStory(t *testing.T) {
	var out bytes.Buffer
	d, err := Run(t.Context(), Options{Out: &out, EndpointDelay: 5 * time.Millisecond, Version: "test"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer d.Close()
	text := out.String()
	for _, want := range []string{
		"1. Alice promotes fraud-detector v13 into the central model registry", "Check on #1: pass", "**Registry only**",
		"fraud-detector/central: success",
		"Model card fraud-detector in the governance account: version 1, Draft",
		"where it runs: central v13 registered, deploying nothing (account 444444444444, eu-west-1)",
		"2. Alice opens", "Check on #2: pending", "Check on #2: pass", "source: central's registry (account 444444444444)",
		"fraud-detector/staging: success",
		"evaluation_details: v13 model quality, v13 post-training bias, v13 explainability",
		"regression", "needs 2 approval(s)",
		"fraud-detector/prod: success",
		"Model card fraud-detector in the governance account: version 7, PendingReview",
		"evaluation_details: v14 model quality, v14 data quality, v14 post-training bias, v14 explainability",
		"Promotion history",
		"8. The model card in the governance account", "Gus approved version 5.",
		"purpose_of_model: Flag card transactions for manual fraud review.",
		"binary_classification_metrics: accuracy 0.86, auc 0.88, f1 0.81, precision 0.84, recall 0.8",
		"from the copy in central's registry (account",
		"$ modelpromote status", "$ modelpromote history --model fraud-detector --stage prod --at ",
		"fraud-detector in prod served v14", "Objects re-read: ", "not write-once",
		"$ modelpromote dashboard", "Dashboard opened: ",
		"Alice also turns on autoscaling for prod",
		"fraud-detector/prod: endpoint fraud-detector in account 333333333333, as its account says",
		"autoscaling: 2–8 instances tracking 700 invocations per instance per minute",
		"dataCapture: 20% of input and output to s3://acme-ml-artifacts-prod/fraud-detector/data-capture/fraud-detector",
		"networkIsolation: on", "serverless: 2048 MB, up to 10 concurrent",
		"$ modelpromote drift",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the story lacks %q", want)
		}
	}
	// A terminal is not a markdown renderer: no character references.
	for _, entity := range []string{"&#40;", "&lt;", "&gt;", "&amp;", "&#"} {
		if strings.Contains(text, entity) {
			t.Errorf("the story shows %q to the terminal", entity)
		}
	}
	// The dashboard issue is the App's, with every stage's row.
	var dashboards []ghemu.Issue
	for _, is := range d.World.GitHub.Issues(world.Repo) {
		if is.Author == d.World.GitHub.App().BotLogin && strings.HasPrefix(is.Body, dashboard.Marker) {
			dashboards = append(dashboards, is)
		}
	}
	if len(dashboards) != 1 || !strings.Contains(dashboards[0].Body, "| fraud-detector | prod | v14 | v14 | InService") {
		t.Errorf("dashboards %+v", dashboards)
	}
	for stage, want := range map[string]int{"staging": 14, "prod": 14} {
		env, _ := d.World.Config.Environment(stage)
		name := map[string]string{"staging": "fraud-detector-staging", "prod": "fraud-detector"}[stage]
		s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(d.World.AdminAWS(env.Account)), name)
		if err != nil || s == nil || s.SourceVersion != want {
			t.Errorf("%s serves %+v (%v), want v%d", stage, s, err, want)
		}
	}

	// Prod runs with every enterprise setting, autoscaling registered by
	// the apply of #4; credit-risk runs serverless in staging.
	if lo, hi, ok := d.World.Autoscaling.Registered(world.ProdAccount, world.Region, "fraud-detector", "AllTraffic"); !ok || lo != 2 || hi != 8 {
		t.Errorf("prod autoscaling registered %v %d–%d, want 2–8", ok, lo, hi)
	}
	staging := d.World.SageMaker.Snapshot(world.StagingAccount, world.Region)
	ep, _ := d.World.SageMaker.Endpoint(world.StagingAccount, world.Region, "credit-risk-staging")
	for _, c := range staging.EndpointConfigs {
		if c.EndpointConfigName == ep.EndpointConfigName && (len(c.ProductionVariants) != 1 || c.ProductionVariants[0].ServerlessConfig == nil || c.ProductionVariants[0].InstanceType != "") {
			t.Errorf("credit-risk-staging serves %+v, want one serverless variant", c.ProductionVariants)
		}
	}
	if ep.EndpointConfigName == "" {
		t.Error("credit-risk-staging does not exist")
	}
	// The central registry holds the copies staging and prod took: the
	// packages they registered name them as what they came through.
	centralCopies := map[string]int{}
	for _, p := range d.World.SageMaker.Snapshot(world.CentralAccount, world.Region).ModelPackages {
		centralCopies[p.ModelPackageArn] = 1
	}
	for _, account := range []string{world.StagingAccount, world.ProdAccount} {
		via := ""
		for _, p := range d.World.SageMaker.Snapshot(account, world.Region).ModelPackages {
			if p.CustomerMetadataProperties[plan.ProvenanceSourceARN] == world.PackageARN("fraud-detector", 14) {
				via = p.CustomerMetadataProperties[plan.ProvenanceVia]
			}
		}
		if centralCopies[via] == 0 {
			t.Errorf("account %s's v14 came through %q, not a copy in the central registry %v", account, via, centralCopies)
		}
	}
	// The governance account's card, as apply left it: a version per
	// apply, every stage, the evaluation of v14 from the reports read.
	cards := d.World.SageMaker.ModelCardVersions(world.GovernanceAccount, world.Region, "fraud-detector")
	if len(cards) != 7 || cards[4].ModelCardStatus != "Approved" || cards[6].ModelCardStatus != "PendingReview" {
		t.Fatalf("card versions %+v", cards)
	}
	last := cards[6].Content
	if got := strings.Join(registry.CardStages(last), ","); got != "central,prod,staging" {
		t.Errorf("the card records stages %s", got)
	}
	if err := smemu.CheckModelCardContent(last); err != nil {
		t.Errorf("the card's content is not in the schema: %v", err)
	}
	for _, want := range []string{`"name":"v14 model quality"`, `"name":"v14 data quality"`, `"name":"auc","type":"number","value":0.88`, `"risk_rating":"Medium"`} {
		if !strings.Contains(last, want) {
			t.Errorf("the card lacks %s: %s", want, last)
		}
	}
	if strings.Contains(last, `"name":"v13 `) {
		t.Errorf("the card keeps the evaluation of v13, which no stage runs: %s", last)
	}

	// The read-back commands name what is there.
	for _, want := range []string{"describe-endpoint --endpoint-name fraud-detector", "application-autoscaling describe-scalable-targets", "credit-risk-staging", "list-tags",
		"aws_as ml-shared sagemaker list-model-packages", "aws_as governance sagemaker describe-model-card --model-card-name fraud-detector", "list-model-card-versions"} {
		if !strings.Contains(strings.Join(ReadBack(), "\n"), want) {
			t.Errorf("ReadBack lacks %q", want)
		}
	}

	// Metrics carry standard deviations, so the Noise column says something.
	if strings.Contains(text, "| unknown |") || !strings.Contains(text, "within 1σ") || !strings.Contains(text, "**significant**") {
		t.Error("the evaluation tables' Noise column does not tell changes within the noise from significant ones")
	}

	// The inference image is the model's own, in a repository of the dev
	// registry that holds its digest.
	pkg := d.World.Models["fraud-detector"][14].Package
	image := pkg.InferenceSpecification.Containers[0].Image
	repo, digest, _ := strings.Cut(strings.TrimPrefix(image, world.DevAccount+".dkr.ecr."+world.Region+".amazonaws.com/"), "@")
	if repo != "fraud-detector-inference" {
		t.Errorf("image %s, want repository fraud-detector-inference", image)
	}
	images, err := ecr.NewFromConfig(d.World.AdminAWS(world.DevAccount)).DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String(repo)})
	if err != nil || len(images.ImageDetails) != 1 || aws.ToString(images.ImageDetails[0].ImageDigest) != digest {
		t.Errorf("ECR repository %s holds %+v (%v), want the image %s", repo, images, err, digest)
	}

	// The story ends at the real present on the one clock the emulators
	// share, so a check or apply run against the kept emulators with the
	// real clock judges soak times as the story did: v14 went live in
	// staging a day before prod, not seconds ago.
	if skew := time.Since(d.World.Now()); skew < -time.Minute || skew > time.Minute {
		t.Errorf("the world's clock is %s off the real one after the story", skew)
	}
	res, err := check.Run(t.Context(), check.Env{Repo: d.World.BotRepo(), AWS: d.World.BotAWS(), S3PathStyle: true}, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Plan.Findings {
		if strings.Contains(f.Message, "soak") {
			t.Errorf("checked with the real clock after the demo: %s", f.Message)
		}
	}

	if t.Failed() {
		t.Log(text)
	}
}
