package endpoints_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	cwemu "github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

const (
	account  = "222222222222"
	region   = "eu-west-1"
	role     = "arn:aws:iam::222222222222:role/SageMakerExecution"
	endpoint = "churn"
	alarm    = "churn-5xx"
)

// env is the emulated target account: SageMaker with two approved model
// packages, CloudWatch with one alarm in OK, and a Deployer using the real
// SDK over SigV4.
type env struct {
	srv *awsemu.Server
	cfg aws.Config // the account's credentials
	sm  *smemu.Service
	cw  *cwemu.Service
	// admin is a SageMaker client for setting up and looking behind the
	// Deployer's back.
	admin *sagemaker.Client
	d     *endpoints.Deployer
	// pkgs are package ARNs by version (1 and 2).
	pkgs map[int]string
}

// newEnv starts an emulator whose endpoint phases last delay.
func newEnv(t *testing.T, delay time.Duration) *env {
	t.Helper()
	cw := cwemu.New(cwemu.Options{})
	sm := smemu.New(smemu.Options{EndpointDelay: delay, PackageDelay: time.Millisecond, Alarms: cw})
	srv, err := awsemu.New(awsemu.Options{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(sm)
	srv.Mount(cw)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sm.Close()
		_ = srv.Close()
	})
	creds, err := srv.AddAccount("staging", account)
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config(creds)
	// The standard retryer, token bucket and all, with short backoffs so
	// that throttling tests stay fast.
	fast := func(o *sagemaker.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(retry.NewStandard(), 5*time.Millisecond)
	}
	e := &env{
		srv:   srv,
		cfg:   cfg,
		sm:    sm,
		cw:    cw,
		admin: sagemaker.NewFromConfig(cfg, fast),
		d: &endpoints.Deployer{
			SM:      sagemaker.NewFromConfig(cfg, fast),
			CW:      cloudwatch.NewFromConfig(cfg),
			Poll:    2 * time.Millisecond,
			Timeout: 10 * time.Second,
		},
		pkgs: map[int]string{},
	}
	cw.PutAlarm(account, region, cwemu.Alarm{AlarmName: alarm})
	if _, err := e.admin.CreateModelPackageGroup(ctx(t), &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(endpoint)}); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 2; v++ {
		out, err := e.admin.CreateModelPackage(ctx(t), &sagemaker.CreateModelPackageInput{
			ModelPackageGroupName: aws.String(endpoint),
			ModelApprovalStatus:   types.ModelApprovalStatusApproved,
			InferenceSpecification: &types.InferenceSpecification{
				Containers: []types.ModelPackageContainerDefinition{{
					Image:        aws.String(account + ".dkr.ecr.eu-west-1.amazonaws.com/xgboost@sha256:" + strings.Repeat("ab", 32)),
					ModelDataUrl: aws.String(fmt.Sprintf("s3://staging-artifacts/churn/%d/model.tar.gz", v)),
				}},
				SupportedContentTypes:      []string{"text/csv"},
				SupportedResponseMIMETypes: []string{"text/csv"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		e.pkgs[v] = aws.ToString(out.ModelPackageArn)
	}
	return e
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// request deploys package version v as deployment "v<v>-<sha>".
func (e *env) request(v int, sha string, r manifest.Rollout) endpoints.Request {
	return endpoints.Request{
		Endpoint:         manifest.Endpoint{Name: endpoint, InstanceType: "ml.m5.large", InstanceCount: 2, Rollout: r},
		PackageARN:       e.pkgs[v],
		ExecutionRoleARN: role,
		DeployID:         fmt.Sprintf("v%d-%s", v, sha),
		Tags:             map[string]string{"modelpromote:source-arn": fmt.Sprintf("arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/%d", v)},
	}
}

// deploy deploys and fails the test on error.
func (e *env) deploy(t *testing.T, r endpoints.Request) endpoints.Outcome {
	t.Helper()
	out, err := e.d.Deploy(ctx(t), r)
	if err != nil {
		t.Fatalf("deploy %s: %v (outcome %+v)", r.DeployID, err, out)
	}
	return out
}

// live deploys version 1 (creating the endpoint) and returns its config.
func (e *env) live(t *testing.T) string {
	t.Helper()
	return e.deploy(t, e.request(1, "aaaaaaa", manifest.Rollout{})).NewConfig
}

// endpoint returns the emulator's endpoint, History included.
func (e *env) endpoint(t *testing.T) smemu.Endpoint {
	t.Helper()
	ep, ok := e.sm.Endpoint(account, region, endpoint)
	if !ok {
		t.Fatal("endpoint does not exist")
	}
	return ep
}

// names lists the models and endpoint configs the account holds.
func (e *env) names() (models, configs []string) {
	snap := e.sm.Snapshot(account, region)
	for _, m := range snap.Models {
		models = append(models, m.ModelName)
	}
	for _, c := range snap.EndpointConfigs {
		configs = append(configs, c.EndpointConfigName)
	}
	return models, configs
}

// mutations counts the SageMaker calls that change state.
func (e *env) mutations() int {
	n := 0
	for k, v := range e.srv.Counts() {
		op, ok := strings.CutPrefix(k, "sagemaker:")
		if ok && (strings.HasPrefix(op, "Create") || strings.HasPrefix(op, "Update") || strings.HasPrefix(op, "Delete") || op == "AddTags") {
			n += v
		}
	}
	return n
}

// statuses lists the endpoint's History as "Status@config" entries.
func statuses(ep smemu.Endpoint) []string {
	var out []string
	for _, h := range ep.History {
		out = append(out, h.EndpointStatus+"@"+h.EndpointConfigName)
	}
	return out
}

func assertContains(t *testing.T, list []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(list, w) {
			t.Errorf("%v lacks %s", list, w)
		}
	}
}
