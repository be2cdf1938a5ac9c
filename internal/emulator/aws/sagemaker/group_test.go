package sagemaker_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func TestModelPackageGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	out, err := e.prod.CreateModelPackageGroup(c, &sm.CreateModelPackageGroupInput{
		ModelPackageGroupName:        aws.String("Churn-Model"),
		ModelPackageGroupDescription: aws.String("churn"),
		Tags:                         []types.Tag{{Key: aws.String("team"), Value: aws.String("ml")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn-model"
	if got := aws.ToString(out.ModelPackageGroupArn); got != wantARN {
		t.Errorf("ARN = %s, want %s", got, wantARN)
	}
	d, err := e.prod.DescribeModelPackageGroup(c, &sm.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String("churn-model")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.ModelPackageGroupName) != "Churn-Model" || d.ModelPackageGroupStatus != types.ModelPackageGroupStatusCompleted || d.CreationTime == nil {
		t.Errorf("describe = %+v", d)
	}
	l, err := e.prod.ListModelPackageGroups(c, &sm.ListModelPackageGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.ModelPackageGroupSummaryList) != 1 {
		t.Errorf("list = %+v", l.ModelPackageGroupSummaryList)
	}
	if _, err := e.prod.PutModelPackageGroupPolicy(c, &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String("Churn-Model"), ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sagemaker:ListModelPackages","Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}

	snap := e.sm.Snapshot(prodAccount, region)
	if len(snap.ModelPackageGroups) != 1 || snap.ModelPackageGroups[0].ResourcePolicy == "" {
		t.Errorf("snapshot groups = %+v", snap.ModelPackageGroups)
	}
	if tags := snap.Tags[wantARN]; len(tags) != 1 || tags[0].Key != "team" {
		t.Errorf("tags = %+v", tags)
	}
	if len(e.sm.Snapshot(devAccount, region).ModelPackageGroups) != 0 {
		t.Error("the group leaked into another account")
	}

	tests := []struct {
		name, group, wantMsg string
	}{
		{"duplicate", "churn-model", "already exists"},
		{"bad name", "churn_model", "failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"too long", strings.Repeat("a", 64), "length less than or equal to 63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.prod.CreateModelPackageGroup(c, &sm.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(tt.group)})
			if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
	_, err = e.prod.DescribeModelPackageGroup(c, &sm.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String("missing")})
	if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, "model-package-group/missing does not exist") {
		t.Errorf("message = %q", msg)
	}
}
