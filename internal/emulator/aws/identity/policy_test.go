package identity

import "testing"

// A model package group policy as the SageMaker developer guide writes it
// (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram-discover.html):
// the group and its versions, read-only actions, one account.
func TestPolicyEvaluate(t *testing.T) {
	const (
		group = "arn:aws:sagemaker:eu-west-1:444444444444:model-package-group/churn"
		pkg   = "arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn/3"
	)
	p, err := ParsePolicy(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Staging","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","333333333333"]},
	   "Action":["sagemaker:DescribeModelPackage","sagemaker:ListModelPackages","sagemaker:DescribeModelPackageGroup"],
	   "Resource":["` + group + `","arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn/*"]},
	  {"Sid":"NotThatOne","Effect":"Deny","Principal":"*","Action":"sagemaker:*","Resource":"arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn/13"},
	  {"Sid":"Deployer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::555555555555:role/deploy"},"Action":"SageMaker:Describe*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, account, arn, action, resource string
		want                                 Decision
	}{
		{"account root names the account", "222222222222", "arn:aws:sts::222222222222:assumed-role/modelpromote-read/pr-1", "sagemaker:DescribeModelPackage", pkg, Allow},
		{"bare account ID", "333333333333", "arn:aws:iam::333333333333:user/u", "sagemaker:ListModelPackages", group, Allow},
		{"action not granted", "222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:UpdateModelPackage", pkg, ImplicitDeny},
		{"CreateModel not granted", "222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:CreateModel", pkg, ImplicitDeny},
		{"other group", "222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:DescribeModelPackage", "arn:aws:sagemaker:eu-west-1:444444444444:model-package/fraud/1", ImplicitDeny},
		{"group name is a prefix of another", "222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:ListModelPackages", group + "-v2", ImplicitDeny},
		{"explicit deny beats allow", "222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:DescribeModelPackage", "arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn/13", ExplicitDeny},
		{"action case-insensitive, role session", "555555555555", "arn:aws:sts::555555555555:assumed-role/deploy/pr-9", "sagemaker:DescribeModelPackage", pkg, Allow},
		{"another role of that account", "555555555555", "arn:aws:sts::555555555555:assumed-role/read/pr-9", "sagemaker:DescribeModelPackage", pkg, ImplicitDeny},
		{"stranger", "666666666666", "arn:aws:iam::666666666666:user/u", "sagemaker:DescribeModelPackage", pkg, ImplicitDeny},
	}
	for _, tc := range tests {
		if got := p.Evaluate(tc.account, tc.arn, tc.action, tc.resource); got != tc.want {
			t.Errorf("%s: Evaluate = %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *Policy
	if none.Evaluate("222222222222", "arn:aws:iam::222222222222:user/u", "sagemaker:DescribeModelPackage", pkg) != ImplicitDeny {
		t.Error("no policy allowed a request")
	}
}

func TestParsePolicyRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     `{`,
		"no statement": `{"Statement":[]}`,
		"bad effect":   `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"sagemaker:*","Resource":"*"}}`,
		"condition":    `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sagemaker:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`,
		"no resource":  `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sagemaker:*"}}`,
	} {
		if _, err := ParsePolicy(doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
