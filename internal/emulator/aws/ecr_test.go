package awsemu_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecrsdk "github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/ecr"
)

func TestECRRepositoryPoliciesDecideCrossAccountPulls(t *testing.T) {
	e := newEnv(t)
	svc := ecr.New(nil)
	e.srv.Mount(svc)
	digest := "sha256:" + strings.Repeat("ab", 32)
	if err := svc.PutImage(devAccount, "us-east-1", "fraud-inference", digest, "v13"); err != nil {
		t.Fatal(err)
	}
	image := devAccount + ".dkr.ecr.us-east-1.amazonaws.com/fraud-inference@" + digest

	if err := svc.CanPull(devAccount, "us-east-1", image); err != nil {
		t.Errorf("the owner cannot pull its own image: %v", err)
	}
	if err := svc.CanPull(prodAccount, "us-east-1", image); err == nil || !strings.Contains(err.Error(), "does not let account "+prodAccount) {
		t.Errorf("prod pulled without a repository policy: %v", err)
	}
	dev := ecrsdk.NewFromConfig(e.srv.Config(e.dev))
	prod := ecrsdk.NewFromConfig(e.srv.Config(e.prod))
	if _, err := dev.GetRepositoryPolicy(ctx(t), &ecrsdk.GetRepositoryPolicyInput{RepositoryName: aws.String("fraud-inference")}); apiCode(t, err) != "RepositoryPolicyNotFoundException" {
		t.Errorf("a repository without a policy: %v", err)
	}
	if _, err := prod.DescribeImages(ctx(t), &ecrsdk.DescribeImagesInput{RegistryId: aws.String(devAccount), RepositoryName: aws.String("fraud-inference")}); apiCode(t, err) != "AccessDeniedException" {
		t.Errorf("prod described dev's images without a policy: %v", err)
	}
	if _, err := prod.GetRepositoryPolicy(ctx(t), &ecrsdk.GetRepositoryPolicyInput{RegistryId: aws.String(devAccount), RepositoryName: aws.String("fraud-inference")}); apiCode(t, err) != "AccessDeniedException" {
		t.Errorf("prod read dev's repository policy without being allowed: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"ProdPulls","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodAccount + `:root"},` +
		`"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:DescribeImages"]}]}`
	if _, err := dev.SetRepositoryPolicy(ctx(t), &ecrsdk.SetRepositoryPolicyInput{RepositoryName: aws.String("fraud-inference"), PolicyText: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.CanPull(prodAccount, "us-east-1", image); err != nil {
		t.Errorf("prod cannot pull once the policy allows it: %v", err)
	}
	out, err := prod.DescribeImages(ctx(t), &ecrsdk.DescribeImagesInput{RegistryId: aws.String(devAccount), RepositoryName: aws.String("fraud-inference"),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(digest)}}})
	if err != nil || len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != digest || out.ImageDetails[0].ImageTags[0] != "v13" {
		t.Fatalf("describe images: %v %+v", err, out)
	}
	missing := "sha256:" + strings.Repeat("cd", 32)
	if _, err := prod.DescribeImages(ctx(t), &ecrsdk.DescribeImagesInput{RegistryId: aws.String(devAccount), RepositoryName: aws.String("fraud-inference"),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageDigest: aws.String(missing)}}}); apiCode(t, err) != "ImageNotFoundException" {
		t.Errorf("a digest that is not there: %v", err)
	}
	if err := svc.CanPull(prodAccount, "us-east-1", strings.Replace(image, digest, missing, 1)); err == nil {
		t.Error("prod may pull an image that does not exist")
	}
	// The AWS CLI reads the same back.
	run := awsCLI(t, e, e.dev)
	var got struct{ PolicyText string }
	if err := json.Unmarshal([]byte(run("ecr", "get-repository-policy", "--repository-name", "fraud-inference")), &got); err != nil {
		t.Fatal(err)
	}
	if got.PolicyText != policy {
		t.Errorf("aws ecr get-repository-policy: %q", got.PolicyText)
	}
}

// Tags are mutable by default: pushing another image with a tag moves the
// tag, and DescribeImages by that tag then answers the new digest; the old
// image stays, untagged. An IMMUTABLE repository refuses the push. The AWS
// CLI reads the images back by tag.
func TestECRTagsMoveInMutableRepositories(t *testing.T) {
	e := newEnv(t)
	svc := ecr.New(nil)
	e.srv.Mount(svc)
	first, second := "sha256:"+strings.Repeat("01", 32), "sha256:"+strings.Repeat("02", 32)
	if err := svc.PutImage(devAccount, "us-east-1", "team/model", first, "v1", "latest"); err != nil {
		t.Fatal(err)
	}
	dev := ecrsdk.NewFromConfig(e.srv.Config(e.dev))
	byTag := func(tag string) (string, error) {
		out, err := dev.DescribeImages(ctx(t), &ecrsdk.DescribeImagesInput{RepositoryName: aws.String("team/model"),
			ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}}})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ImageDetails[0].ImageDigest), nil
	}
	if d, err := byTag("v1"); err != nil || d != first {
		t.Fatalf("v1 = %s, %v", d, err)
	}
	if err := svc.PutImage(devAccount, "us-east-1", "team/model", second, "v1"); err != nil {
		t.Fatal(err)
	}
	if d, err := byTag("v1"); err != nil || d != second {
		t.Errorf("after the push v1 = %s, %v; want %s", d, err, second)
	}
	if d, err := byTag("latest"); err != nil || d != first {
		t.Errorf("latest = %s, %v; want it left on %s", d, err, first)
	}
	if _, err := byTag("v9"); apiCode(t, err) != "ImageNotFoundException" {
		t.Errorf("a tag nobody pushed: %v", err)
	}
	if _, err := dev.CreateRepository(ctx(t), &ecrsdk.CreateRepositoryInput{RepositoryName: aws.String("pinned"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutImage(devAccount, "us-east-1", "pinned", first, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutImage(devAccount, "us-east-1", "pinned", second, "v1"); err == nil || !strings.Contains(err.Error(), "ImageTagAlreadyExistsException") {
		t.Errorf("an immutable repository let a tag move: %v", err)
	}

	run := awsCLI(t, e, e.dev)
	var got struct {
		ImageDetails []struct {
			ImageDigest string
			ImageTags   []string
		}
	}
	if err := json.Unmarshal([]byte(run("ecr", "describe-images", "--repository-name", "team/model", "--image-ids", "imageTag=v1")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.ImageDetails) != 1 || got.ImageDetails[0].ImageDigest != second {
		t.Errorf("aws ecr describe-images --image-ids imageTag=v1: %+v", got)
	}
	repos, err := dev.DescribeRepositories(ctx(t), &ecrsdk.DescribeRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	mut := map[string]string{}
	for _, r := range repos.Repositories {
		mut[aws.ToString(r.RepositoryName)] = string(r.ImageTagMutability)
	}
	if mut["team/model"] != "MUTABLE" || mut["pinned"] != "IMMUTABLE" {
		t.Errorf("aws ecr describe-repositories: %v", mut)
	}
}
