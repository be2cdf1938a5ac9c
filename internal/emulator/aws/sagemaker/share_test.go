package sagemaker_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// A central registry shared by a model package group policy: the other
// account reads the group and its versions by ARN only while the policy
// grants it the action on that resource, and the owner reads the policy
// back and deletes it.
func TestModelPackageGroupPolicySharesReads(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	lin, err := e.sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{}); err != nil { // version 2
		t.Fatal(err)
	}
	group, version := lin.Group.ModelPackageGroupArn, lin.Package.ModelPackageArn
	prodReads := func() []error {
		var errs []error
		l, err := e.prod.ListModelPackages(c, &sm.ListModelPackagesInput{ModelPackageGroupName: aws.String(group), ModelPackageType: types.ModelPackageTypeVersioned})
		if err == nil && len(l.ModelPackageSummaryList) != 2 {
			t.Errorf("cross-account list = %+v, want the owner's 2 versions", l.ModelPackageSummaryList)
		}
		errs = append(errs, err)
		d, err := e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(version)})
		if err == nil && aws.ToString(d.ModelPackageArn) != version {
			t.Errorf("cross-account describe = %s", aws.ToString(d.ModelPackageArn))
		}
		errs = append(errs, err)
		g, err := e.prod.DescribeModelPackageGroup(c, &sm.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
		if err == nil && aws.ToString(g.ModelPackageGroupArn) != group {
			t.Errorf("cross-account describe group = %s", aws.ToString(g.ModelPackageGroupArn))
		}
		return append(errs, err)
	}
	denied := func(when string) {
		t.Helper()
		for _, err := range prodReads() {
			if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "is not authorized to perform: sagemaker:") {
				t.Errorf("%s: message = %q", when, msg)
			}
		}
	}
	denied("without a policy")
	// The prod account's own group of that name is not the dev account's.
	if l, err := e.prod.ListModelPackages(c, &sm.ListModelPackagesInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName)}); err != nil || len(l.ModelPackageSummaryList) != 0 {
		t.Errorf("prod's own group by name: %v, %+v", err, l)
	}

	put := func(policy string) error {
		_, err := e.dev.PutModelPackageGroupPolicy(c, &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName), ResourcePolicy: aws.String(policy)})
		return err
	}
	statement := func(principal, actions, resources string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"Share","Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":` + actions + `,"Resource":` + resources + `}]}`
	}
	const (
		reads    = `["sagemaker:DescribeModelPackage","sagemaker:ListModelPackages","sagemaker:DescribeModelPackageGroup"]`
		versions = `"arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/*"`
	)
	// The developer guide's policy, but for another account: still denied.
	if err := put(statement(`"arn:aws:iam::333333333333:root"`, reads, `["`+group+`",`+versions+`]`)); err != nil {
		t.Fatal(err)
	}
	denied("shared with another account")
	// The versions but not the group: listing (on the group) is denied,
	// describing a version is allowed.
	if err := put(statement(`"arn:aws:iam::222222222222:root"`, reads, versions)); err != nil {
		t.Fatal(err)
	}
	errs := prodReads()
	apiError(t, errs[0], "AccessDeniedException")
	if errs[1] != nil {
		t.Errorf("describe with the versions shared: %v", errs[1])
	}
	apiError(t, errs[2], "AccessDeniedException")

	shared := statement(`"arn:aws:iam::222222222222:root"`, reads, `["`+group+`",`+versions+`]`)
	if err := put(shared); err != nil {
		t.Fatal(err)
	}
	for i, err := range prodReads() {
		if err != nil {
			t.Errorf("read %d with the policy: %v", i, err)
		}
	}
	// Reading is not deploying, nor writing.
	_, err = e.prod.CreateModel(c, &sm.CreateModelInput{ModelName: aws.String("m"), ExecutionRoleArn: aws.String(role),
		PrimaryContainer: &types.ContainerDefinition{ModelPackageName: aws.String(version)}})
	apiError(t, err, "AccessDeniedException")
	_, err = e.prod.PutModelPackageGroupPolicy(c, &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(group), ResourcePolicy: aws.String(shared)})
	apiError(t, err, "AccessDeniedException")

	got, err := e.dev.GetModelPackageGroupPolicy(c, &sm.GetModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName)})
	if err != nil || aws.ToString(got.ResourcePolicy) != shared {
		t.Errorf("get policy = %v, %v", got, err)
	}
	if snap := e.sm.Snapshot(devAccount, region); snap.ModelPackageGroups[0].ResourcePolicy != shared {
		t.Errorf("snapshot policy = %q", snap.ModelPackageGroups[0].ResourcePolicy)
	}
	// An explicit Deny on one version beats the Allow.
	withDeny := strings.TrimSuffix(shared, `]}`) + `,{"Effect":"Deny","Principal":"*","Action":"sagemaker:*","Resource":"` + version + `"}]}`
	if err := put(withDeny); err != nil {
		t.Fatal(err)
	}
	_, err = e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(version)})
	if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "explicit deny") {
		t.Errorf("message = %q", msg)
	}

	for name, bad := range map[string]string{
		"not a policy": `{"Version":"2012-10-17"}`,
		"not JSON":     `{`,
		"too long":     strings.Repeat(" ", 20481),
	} {
		if msg := apiError(t, put(bad), "ValidationException"); msg == "" {
			t.Errorf("%s: no message", name)
		}
	}
	if got, _ := e.dev.GetModelPackageGroupPolicy(c, &sm.GetModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(group)}); aws.ToString(got.ResourcePolicy) != withDeny {
		t.Error("a refused policy replaced the one in force")
	}

	if _, err := e.dev.DeleteModelPackageGroupPolicy(c, &sm.DeleteModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName)}); err != nil {
		t.Fatal(err)
	}
	denied("after the policy was deleted")
	_, err = e.dev.GetModelPackageGroupPolicy(c, &sm.GetModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(lin.Group.ModelPackageGroupName)})
	if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, "no resource policy") {
		t.Errorf("get a deleted policy: %q", msg)
	}
	// A group that does not exist in the other account is refused as a
	// group that is not shared.
	_, err = e.prod.ListModelPackages(c, &sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/nope")})
	apiError(t, err, "AccessDeniedException")
}
