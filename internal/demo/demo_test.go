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
