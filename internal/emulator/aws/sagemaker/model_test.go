package sagemaker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

func TestModelsAndEndpointConfigs(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	deployable(t, e, "churn-v1")

	m, err := e.prod.DescribeModel(c, &sm.DescribeModelInput{ModelName: aws.String("churn-v1")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(m.ExecutionRoleArn) != role || aws.ToString(m.PrimaryContainer.ModelDataUrl) != "s3://prod-models/churn-v1/model.tar.gz" {
		t.Errorf("model = %+v", m)
	}
	ec, err := e.prod.DescribeEndpointConfig(c, &sm.DescribeEndpointConfigInput{EndpointConfigName: aws.String("churn-v1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ec.ProductionVariants) != 1 || ec.ProductionVariants[0].InstanceType != types.ProductionVariantInstanceTypeMlM5Large {
		t.Errorf("config = %+v", ec)
	}

	tests := []struct {
		name    string
		call    func() error
		wantMsg string
	}{
		{"duplicate model", func() error {
			_, err := e.prod.CreateModel(c, &sm.CreateModelInput{ModelName: aws.String("CHURN-V1"), ExecutionRoleArn: aws.String(role), PrimaryContainer: &types.ContainerDefinition{Image: aws.String("i:1")}})
			return err
		}, `Cannot create already existing model "arn:aws:sagemaker:eu-west-1:222222222222:model/churn-v1".`},
		{"bad model name", func() error {
			_, err := e.prod.CreateModel(c, &sm.CreateModelInput{ModelName: aws.String("churn.v1"), PrimaryContainer: &types.ContainerDefinition{Image: aws.String("i:1")}})
			return err
		}, "Member must satisfy regular expression pattern"},
		{"role of another account", func() error {
			_, err := e.prod.CreateModel(c, &sm.CreateModelInput{ModelName: aws.String("x"), ExecutionRoleArn: aws.String("arn:aws:iam::111111111111:role/Dev"), PrimaryContainer: &types.ContainerDefinition{Image: aws.String("i:1")}})
			return err
		}, "Could not assume role arn:aws:iam::111111111111:role/Dev"},
		{"container without image", func() error {
			_, err := e.prod.CreateModel(c, &sm.CreateModelInput{ModelName: aws.String("x"), PrimaryContainer: &types.ContainerDefinition{ModelDataUrl: aws.String("s3://b/m.tar.gz")}})
			return err
		}, "image' failed to satisfy constraint: Member must not be null"},
		{"duplicate config", func() error {
			_, err := e.prod.CreateEndpointConfig(c, &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String("churn-v1"), ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("a"), ModelName: aws.String("churn-v1"), InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}})
			return err
		}, `Cannot create already existing endpoint configuration "arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/churn-v1".`},
		{"config with missing model", func() error {
			_, err := e.prod.CreateEndpointConfig(c, &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String("v2"), ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("a"), ModelName: aws.String("nope"), InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}})
			return err
		}, `Could not find model "arn:aws:sagemaker:eu-west-1:222222222222:model/nope".`},
		{"config name too long", func() error {
			_, err := e.prod.CreateEndpointConfig(c, &sm.CreateEndpointConfigInput{EndpointConfigName: aws.String(strings.Repeat("c", 64)), ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("a"), ModelName: aws.String("churn-v1"), InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}})
			return err
		}, "length less than or equal to 63"},
		{"describe missing model", func() error {
			_, err := e.prod.DescribeModel(c, &sm.DescribeModelInput{ModelName: aws.String("nope")})
			return err
		}, `Could not find model "arn:aws:sagemaker:eu-west-1:222222222222:model/nope".`},
		{"describe missing config", func() error {
			_, err := e.prod.DescribeEndpointConfig(c, &sm.DescribeEndpointConfigInput{EndpointConfigName: aws.String("nope")})
			return err
		}, `Could not find endpoint configuration "arn:aws:sagemaker:eu-west-1:222222222222:endpoint-config/nope".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := apiError(t, tt.call(), "ValidationException"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
		})
	}

	if _, err := e.prod.DeleteEndpointConfig(c, &sm.DeleteEndpointConfigInput{EndpointConfigName: aws.String("churn-v1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.DeleteModel(c, &sm.DeleteModelInput{ModelName: aws.String("churn-v1")}); err != nil {
		t.Fatal(err)
	}
	snap := e.sm.Snapshot(prodAccount, region)
	if len(snap.Models) != 0 || len(snap.EndpointConfigs) != 0 {
		t.Errorf("after deletes: %d models, %d configs", len(snap.Models), len(snap.EndpointConfigs))
	}
	_, err = e.prod.DeleteModel(c, &sm.DeleteModelInput{ModelName: aws.String("churn-v1")})
	apiError(t, err, "ValidationException")
}

func TestCreateModelFromModelPackage(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	out, err := e.prod.CreateModelPackage(c, packageInput("churn"))
	if err != nil {
		t.Fatal(err)
	}
	in := &sm.CreateModelInput{ModelName: aws.String("from-pkg"), ExecutionRoleArn: aws.String(role), PrimaryContainer: &types.ContainerDefinition{ModelPackageName: out.ModelPackageArn}}
	_, err = e.prod.CreateModel(c, in)
	if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, "must be Approved") {
		t.Errorf("unapproved package: %q", msg)
	}
	if _, err := e.prod.UpdateModelPackage(c, &sm.UpdateModelPackageInput{ModelPackageArn: out.ModelPackageArn, ModelApprovalStatus: types.ModelApprovalStatusApproved}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.CreateModel(c, in); err != nil {
		t.Errorf("approved package: %v", err)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	deployable(t, e, "v1")
	arn := aws.String("arn:aws:sagemaker:eu-west-1:222222222222:model/v1")
	if _, err := e.prod.AddTags(c, &sm.AddTagsInput{ResourceArn: arn, Tags: []types.Tag{
		{Key: aws.String("modelpromote:source"), Value: aws.String("arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3")},
		{Key: aws.String("pr"), Value: aws.String("42")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.AddTags(c, &sm.AddTagsInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("pr"), Value: aws.String("43")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.DeleteTags(c, &sm.DeleteTagsInput{ResourceArn: arn, TagKeys: []string{"modelpromote:source"}}); err != nil {
		t.Fatal(err)
	}
	l, err := e.prod.ListTags(c, &sm.ListTagsInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tags) != 1 || aws.ToString(l.Tags[0].Key) != "pr" || aws.ToString(l.Tags[0].Value) != "43" {
		t.Errorf("tags = %+v", l.Tags)
	}
	if got := e.sm.Tags(prodAccount, region, *arn); len(got) != 1 {
		t.Errorf("inspected tags = %+v", got)
	}
	_, err = e.prod.AddTags(c, &sm.AddTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:eu-west-1:222222222222:model/nope"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	apiError(t, err, "ValidationException")
	_, err = e.prod.AddTags(c, &sm.AddTagsInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	apiError(t, err, "ValidationException")
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")})
	}
	_, err = e.prod.AddTags(c, &sm.AddTagsInput{ResourceArn: arn, Tags: many})
	var limit *types.ResourceLimitExceeded
	if msg := apiError(t, err, "ResourceLimitExceeded"); !strings.Contains(msg, "at most 50 tags") {
		t.Errorf("message = %q", msg)
	}
	if !errorsAs(err, &limit) || aws.ToString(limit.Message) == "" {
		t.Errorf("error %T is not a typed ResourceLimitExceeded with its message", err)
	}
}

func TestCreateModelChecksImageAccess(t *testing.T) {
	cw := cloudwatch.New(cloudwatch.Options{})
	svc := sagemaker.New(sagemaker.Options{Alarms: cw, ImageAccess: func(account, region, image string) error {
		if !strings.HasPrefix(image, account+".dkr.ecr.") {
			return errors.New("the repository policy does not allow this account to pull")
		}
		return nil
	}})
	e := newEnvWith(t, svc, cw)
	_, err := e.prod.CreateModel(ctx(t), &sm.CreateModelInput{ModelName: aws.String("m"), ExecutionRoleArn: aws.String(role),
		PrimaryContainer: &types.ContainerDefinition{Image: aws.String("111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:1")}})
	if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, "repository policy") {
		t.Errorf("message = %q", msg)
	}
	deployable(t, e, "ok") // an image of the prod account itself
}

// Sharing instead of copying: the target account may create a model from
// the dev account's package only once the group's policy allows it
// sagemaker:CreateModel on the version, as "Deploy a Model Version from a
// Different Account" in the SageMaker developer guide has it.
func TestCreateModelFromSharedPackage(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	lin, err := e.sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{})
	if err != nil {
		t.Fatal(err)
	}
	in := &sm.CreateModelInput{ModelName: aws.String("shared"), ExecutionRoleArn: aws.String(role), PrimaryContainer: &types.ContainerDefinition{ModelPackageName: aws.String(lin.Package.ModelPackageArn)}}
	_, err = e.prod.CreateModel(c, in)
	if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "no resource-based policy allows") {
		t.Errorf("message = %q", msg)
	}
	put := func(policy string) {
		t.Helper()
		if _, err := e.dev.PutModelPackageGroupPolicy(c, &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName), ResourcePolicy: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::333333333333:root"]},"Action":"sagemaker:*","Resource":"*"}]}`)
	_, err = e.prod.CreateModel(c, in)
	apiError(t, err, "AccessDeniedException")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["sagemaker:DescribeModelPackage","sagemaker:ListModelPackages","sagemaker:CreateModel"],"Resource":"arn:aws:sagemaker:eu-west-1:111111111111:model-package/*"}]}`
	if _, err := e.dev.PutModelPackageGroupPolicy(c, &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName), ResourcePolicy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.prod.CreateModel(c, in); err != nil {
		t.Errorf("with the policy: %v", err)
	}
	d, err := e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)})
	if err != nil || aws.ToString(d.ModelPackageArn) != lin.Package.ModelPackageArn {
		t.Errorf("cross-account describe: %v", err)
	}
}
