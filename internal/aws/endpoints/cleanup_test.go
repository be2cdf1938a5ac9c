package endpoints_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

func TestCleanupKeepsCurrentAndPreviousAndOnlyTouchesOurs(t *testing.T) {
	e := newEnv(t, 2*time.Millisecond)
	var ours []string // in deployment order
	for i, sha := range []string{"1111111", "2222222", "3333333", "4444444"} {
		ours = append(ours, e.deploy(t, e.request(1+i%2, sha, manifest.Rollout{})).NewConfig)
	}
	// Not ours: a hand-made config whose name starts like ours, and
	// another endpoint's config that modelpromote made.
	manual := "churn-manual"
	if _, err := e.admin.CreateModel(ctx(t), &sagemaker.CreateModelInput{ModelName: aws.String(manual), ExecutionRoleArn: aws.String(role),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: aws.String(e.pkgs[1])}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.CreateEndpointConfig(ctx(t), &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(manual),
		ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(manual),
			InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}}); err != nil {
		t.Fatal(err)
	}
	sibling := e.request(1, "5555555", manifest.Rollout{})
	sibling.Endpoint.Name = "churn-shadow"
	siblingName := e.deploy(t, sibling).NewConfig
	// A failed attempt after the current config: a rerun would adopt it.
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultRollback, "")
	failed, err := e.d.Deploy(ctx(t), e.request(2, "6666666", manifest.Rollout{}))
	if !failed.RolledBack {
		t.Fatalf("setup: want a rollback, got %v", err)
	}

	if err := e.d.Cleanup(ctx(t), endpoint, 2); err != nil {
		t.Fatal(err)
	}
	models, configs := e.names()
	want := []string{ours[2], ours[3], manual, siblingName, failed.NewConfig}
	for _, got := range [][]string{models, configs} {
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("left %v, want %v", got, want)
		}
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != ours[3] {
		t.Errorf("serving %s", ep.EndpointConfigName)
	}

	// Cleaning up again deletes nothing more.
	before := e.mutations()
	if err := e.d.Cleanup(ctx(t), endpoint, 2); err != nil {
		t.Fatal(err)
	}
	if n := e.mutations(); n != before {
		t.Errorf("second cleanup made %d changes", n-before)
	}
}

func TestCleanupRefusesAnEndpointThatIsNotSettled(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	e.live(t)
	e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{}))
	e.sm.InjectRolloutFault(account, region, endpoint, smemu.FaultStuck, "")
	if _, err := e.admin.UpdateEndpoint(ctx(t), &sagemaker.UpdateEndpointInput{EndpointName: aws.String(endpoint),
		EndpointConfigName: aws.String(endpoints.ResourceName(endpoint, "v1-aaaaaaa"))}); err != nil {
		t.Fatal(err)
	}
	before := e.mutations()
	if err := e.d.Cleanup(ctx(t), endpoint, 1); err == nil {
		t.Fatal("cleanup of an updating endpoint succeeded")
	}
	if n := e.mutations(); n != before {
		t.Errorf("%d changes", n-before)
	}
}
