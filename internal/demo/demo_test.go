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
	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/dashboard"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
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
		"1. Alice opens", "Check on #1: pending", "Check on #1: pass",
		"fraud-detector/staging: success",
		"regression", "needs 2 approval(s)",
		"fraud-detector/prod: success",
		"Promotion history",
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
	// The read-back commands name what is there.
	for _, want := range []string{"describe-endpoint --endpoint-name fraud-detector", "application-autoscaling describe-scalable-targets", "credit-risk-staging", "list-tags"} {
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
	res, err := check.Run(t.Context(), check.Env{Repo: d.World.BotRepo(), AWS: d.World.BotAWS(), S3PathStyle: true}, 4)
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
