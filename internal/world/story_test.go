package world_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// The emulators' acceptance story, driven by hand through the real SDK
// and go-github clients. The GitHub emulator fails the test at cleanup if
// any request or response strayed from GitHub's OpenAPI description.
func TestEmulatorStoryByHand(t *testing.T) {
	ctx := t.Context()
	w, err := worldtest.New(t, world.Options{NoCrossAccountRead: true, EndpointDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	// 1. A dev account with an approved package, its artifacts, reports and
	// training job.
	if err := w.SeedVersions("fraud-detector", 1); err != nil {
		t.Fatal(err)
	}
	lin := w.Models["fraud-detector"][1]
	devSM := sagemaker.NewFromConfig(w.AdminAWS(world.DevAccount))
	pkg, err := devSM.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)})
	if err != nil || pkg.ModelApprovalStatus != smtypes.ModelApprovalStatusApproved || pkg.ModelMetrics == nil {
		t.Fatalf("dev package %+v: %v", pkg, err)
	}
	job, err := devSM.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String(lin.TrainingJob.TrainingJobName)})
	if err != nil || aws.ToString(job.ModelArtifacts.S3ModelArtifacts) != aws.ToString(pkg.InferenceSpecification.Containers[0].ModelDataUrl) {
		t.Fatalf("training job %+v: %v", job, err)
	}

	// 2. Assume a role into prod.
	prodEnv, _ := w.Config.Environment("prod")
	prodCfg := w.BotAWS()
	prodCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(w.BotAWS()), prodEnv.RoleARN,
		func(o *stscreds.AssumeRoleOptions) {
			o.ExternalID = aws.String(prodEnv.ExternalID)
			o.RoleSessionName = "story"
		}))
	id, err := sts.NewFromConfig(prodCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != world.ProdAccount {
		t.Fatalf("caller %+v: %v", id, err)
	}

	// 3. Copy an object across accounts: denied without a bucket policy,
	// allowed with one.
	prodS3 := s3.NewFromConfig(prodCfg, awsemu.PathStyle)
	model := aws.ToString(pkg.InferenceSpecification.Containers[0].ModelDataUrl)
	key := strings.TrimPrefix(model, "s3://"+world.DevBucket+"/")
	copyIn := &s3.CopyObjectInput{Bucket: aws.String(prodEnv.ArtifactBucket), Key: aws.String("story/model.tar.gz"),
		CopySource: aws.String(world.DevBucket + "/" + key)}
	if _, err := prodS3.CopyObject(ctx, copyIn); !awserr.IsAccessDenied(err) {
		t.Fatalf("cross-account copy without a policy: %v, want AccessDenied", err)
	}
	if err := w.AWS.S3().SetBucketPolicy(world.DevBucket, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, world.ProdAccount, world.DevBucket)); err != nil {
		t.Fatal(err)
	}
	if _, err := prodS3.CopyObject(ctx, copyIn); err != nil {
		t.Fatalf("copy with a policy: %v", err)
	}
	if got, _ := w.AWS.S3().SHA256(prodEnv.ArtifactBucket, "story/model.tar.gz"); got == "" {
		t.Fatal("copied object missing")
	}

	// 4. A model package, model, config and endpoint in prod. prod's
	// guardrails (world.ProdGuardrail) hold for people too: the group
	// needs the tags, and the package takes its group's.
	var prodTags []smtypes.Tag
	for k, v := range prodEnv.Tags {
		prodTags = append(prodTags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	sm := sagemaker.NewFromConfig(prodCfg)
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("fraud-detector"), Tags: prodTags}); err != nil {
		t.Fatal(err)
	}
	created, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{ModelPackageGroupName: aws.String("fraud-detector"),
		ModelApprovalStatus: smtypes.ModelApprovalStatusApproved,
		InferenceSpecification: &smtypes.InferenceSpecification{Containers: []smtypes.ModelPackageContainerDefinition{{
			Image: pkg.InferenceSpecification.Containers[0].Image, ModelDataUrl: aws.String("s3://" + prodEnv.ArtifactBucket + "/story/model.tar.gz")}},
			SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		d, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: created.ModelPackageArn})
		return err == nil && d.ModelPackageStatus == smtypes.ModelPackageStatusCompleted
	})
	deploy := func(name string) {
		t.Helper()
		if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String(name), ExecutionRoleArn: aws.String(prodEnv.ExecutionRoleARN),
			PrimaryContainer: &smtypes.ContainerDefinition{ModelPackageName: created.ModelPackageArn},
			// prod's guardrails (world.ProdGuardrail) hold for people too.
			VpcConfig:              &smtypes.VpcConfig{Subnets: prodEnv.VPC.Subnets, SecurityGroupIds: prodEnv.VPC.SecurityGroups},
			EnableNetworkIsolation: aws.Bool(true), Tags: prodTags}); err != nil {
			t.Fatal(err)
		}
		if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(name),
			ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(name),
				InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(2)}},
			KmsKeyId: aws.String(prodEnv.KMSKeyARN), Tags: prodTags}); err != nil {
			t.Fatal(err)
		}
	}
	deploy("story-a")
	if _, err := sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String("story"), EndpointConfigName: aws.String("story-a"), Tags: prodTags}); err != nil {
		t.Fatal(err)
	}
	endpoint := func() *sagemaker.DescribeEndpointOutput {
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("story")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	waitFor(t, func() bool { return endpoint().EndpointStatus == smtypes.EndpointStatusInService })

	// 5. An update whose rollout fails rolls back to the old config.
	deploy("story-b")
	w.SageMaker.InjectRolloutFault(world.ProdAccount, world.Region, "story", smemu.FaultRollback, "canary 5xx above threshold")
	if _, err := sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("story"), EndpointConfigName: aws.String("story-b")}); err != nil {
		t.Fatal(err)
	}
	// Polling can miss the short RollingBack phase; the emulator's history
	// cannot.
	waitFor(t, func() bool {
		e := endpoint()
		return e.EndpointStatus == smtypes.EndpointStatusInService && aws.ToString(e.FailureReason) != ""
	})
	if e := endpoint(); aws.ToString(e.EndpointConfigName) != "story-a" {
		t.Fatalf("after rollback: config %s, failure %q", aws.ToString(e.EndpointConfigName), aws.ToString(e.FailureReason))
	}
	ep, _ := w.SageMaker.Endpoint(world.ProdAccount, world.Region, "story")
	var states []string
	for _, ev := range ep.History {
		states = append(states, ev.EndpointStatus)
	}
	if !strings.Contains(strings.Join(states, ","), "Updating,RollingBack,InService") {
		t.Errorf("endpoint history %v, want Updating → RollingBack → InService", states)
	}

	// 6. A pull request with files, reviews and a comment, and its signed
	// webhook.
	const secret = "story-secret"
	got := make(chan *http.Request, 16)
	bodies := make(chan []byte, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := gogh.ValidatePayload(r, []byte(secret))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- r
		bodies <- body
	}))
	defer hook.Close()
	w.GitHub.AddWebhook(ghemu.Webhook{URL: hook.URL, Secret: secret, Events: []string{"pull_request"}})
	if err := w.GitHub.CreateBranch(world.Repo, "story", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "story", ghemu.Change{Message: "story", Author: world.Alice, Files: map[string]string{"notes/story.md": "hello"}}); err != nil {
		t.Fatal(err)
	}
	alice := w.UserClient(world.Alice)
	pr, _, err := alice.PullRequests.Create(ctx, world.Org, "ml-promotions", &gogh.NewPullRequest{Title: gogh.String("Story"), Head: gogh.String("story"), Base: gogh.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := alice.PullRequests.ListFiles(ctx, world.Org, "ml-promotions", pr.GetNumber(), nil)
	if err != nil || len(files) != 1 || files[0].GetFilename() != "notes/story.md" {
		t.Fatalf("files %v: %v", files, err)
	}
	if _, _, err := w.UserClient(world.Bob).PullRequests.CreateReview(ctx, world.Org, "ml-promotions", pr.GetNumber(), &gogh.PullRequestReviewRequest{Event: gogh.String("APPROVE")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.Issues.CreateComment(ctx, world.Org, "ml-promotions", pr.GetNumber(), &gogh.IssueComment{Body: gogh.String("thanks")}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	select {
	case r := <-got:
		body := <-bodies
		if r.Header.Get("X-GitHub-Event") != "pull_request" || r.Header.Get("X-GitHub-Delivery") == "" || !strings.Contains(string(body), `"action":"opened"`) {
			t.Errorf("delivery %v %s", r.Header, body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no signed webhook delivered")
	}
	reviews, _, _ := alice.PullRequests.ListReviews(ctx, world.Org, "ml-promotions", pr.GetNumber(), nil)
	if len(reviews) != 1 || reviews[0].GetState() != "APPROVED" {
		t.Errorf("reviews %v", reviews)
	}
}

func waitFor(t *testing.T, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
