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
	svc.PutImage(devAccount, "us-east-1", "fraud-inference", digest, "v13")
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
