package apply_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// sourceImage is fraud-detector's inference image in the dev registry, by
// digest, and its repository and digest.
func sourceImage(t *testing.T, w *world.World) (image, repo, digest string) {
	t.Helper()
	image = w.Models["fraud-detector"][13].Package.InferenceSpecification.Containers[0].Image
	ref, ok := plan.ParseImage(image)
	if !ok || ref.Digest == "" {
		t.Fatalf("fraud-detector 13 runs %s, not an ECR image by digest", image)
	}
	return image, ref.Repository, ref.Digest
}

// onlyProdPulls narrows the dev repository's policy to prod's account, so
// that staging cannot pull from dev.
func onlyProdPulls(t *testing.T, w *world.World, repo string) {
	t.Helper()
	if err := w.ECR.SetPolicy(world.DevAccount, world.Region, repo, `{"Version":"2012-10-17","Statement":[{"Sid":"ProdPulls","Effect":"Allow",`+
		`"Principal":{"AWS":"arn:aws:iam::`+world.ProdAccount+`:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}`); err != nil {
		t.Fatal(err)
	}
}

// With an imageMirror on staging, the check finds the same digest in the
// mirror (staging's own registry) and apply registers and deploys the
// mirror's reference by digest, although staging may not pull from dev.
func TestMirroredImageIsDeployedByDigest(t *testing.T) {
	w := newWorld(t, world.Options{})
	image, repo, digest := sourceImage(t, w)
	onlyProdPulls(t, w, repo)
	mirror := world.StagingAccount + ".dkr.ecr." + world.Region + ".amazonaws.com/mirror"
	cfg, _ := w.GitHub.File(world.Repo, "main", "promotions/modelpromote.yaml")
	role := "executionRoleArn: arn:aws:iam::" + world.StagingAccount + ":role/sagemaker-execution\n"
	if !strings.Contains(cfg, role) {
		t.Fatalf("staging's execution role not found in modelpromote.yaml")
	}
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "mirror staging's images", Author: world.Pat,
		Files: map[string]string{"promotions/modelpromote.yaml": strings.Replace(cfg, role, role+"    imageMirror: "+mirror+"\n", 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := w.ECR.PutImage(world.StagingAccount, world.Region, "mirror/"+repo, digest, "mirrored"); err != nil {
		t.Fatal(err)
	}

	n := mergedPR(t, w, stagingChange)
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	want := mirror + "/" + repo + "@" + digest
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if len(rec.Images) != 1 || rec.Images[0].Image != want || rec.Images[0].Source != image || rec.Images[0].Digest != digest {
		t.Errorf("the evidence record's images %+v, want %s from %s", rec.Images, want, image)
	}
	sm := sagemaker.NewFromConfig(w.AWS.Config(w.Admin[world.StagingAccount]))
	model, err := sm.DescribeModel(t.Context(), &sagemaker.DescribeModelInput{ModelName: aws.String(rec.Endpoint.Model)})
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := sm.DescribeModelPackage(t.Context(), &sagemaker.DescribeModelPackageInput{ModelPackageName: model.PrimaryContainer.ModelPackageName})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(pkg.InferenceSpecification.Containers[0].Image); got != want {
		t.Errorf("the deployed model's package runs %s, want the mirror's %s (source %s)", got, want, image)
	}
	if s := serving(t, w, "staging", "fraud-detector-staging"); s.SourceVersion != 13 || s.EndpointStatus != "InService" {
		t.Errorf("staging serves %+v", s)
	}
	said := false
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		said = said || strings.Contains(strings.ReplaceAll(c.Body, "\u200d", ""), want) // the comment breaks @ mentions
	}
	if !said {
		t.Errorf("the pull request's comment does not show the deployed image %s", want)
	}
}

// Without a mirror, apply deploys the source image by digest; when the dev
// repository's policy does not let staging pull, the check says so on the
// pull request and nothing is applied.
func TestUnpullableImageIsCaughtByTheCheck(t *testing.T) {
	w := newWorld(t, world.Options{})
	image, repo, _ := sourceImage(t, w)
	onlyProdPulls(t, w, repo)
	before := w.SageMaker.Snapshot(world.StagingAccount, world.Region)

	n := openPR(t, w, stagingChange)
	if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
		t.Fatal(err)
	}
	res := checkPR(t, w, n)
	if res.Verdict == plan.StatusPass {
		t.Fatal("the check passed an image staging cannot pull")
	}
	reason := "account " + world.StagingAccount + " (staging) cannot pull image " + image
	found := false
	for _, f := range res.Plan.Findings {
		found = found || f.Gate == plan.GateLineage && f.Severity == plan.SeverityError && strings.Contains(f.Message, reason)
	}
	if !found {
		t.Errorf("no lineage finding saying %q: %+v", reason, res.Plan.Findings)
	}
	said := false
	for _, c := range w.GitHub.Comments(world.Repo, n) {
		said = said || strings.Contains(c.Body, "cannot pull image")
	}
	if !said {
		t.Error("the pull request's comment does not say the image cannot be pulled")
	}
	after := w.SageMaker.Snapshot(world.StagingAccount, world.Region)
	if len(after.Models) != len(before.Models) || len(after.ModelPackages) != len(before.ModelPackages) || len(after.EndpointConfigs) != len(before.EndpointConfigs) {
		t.Errorf("staging changed: %d→%d models, %d→%d packages", len(before.Models), len(after.Models), len(before.ModelPackages), len(after.ModelPackages))
	}
}
