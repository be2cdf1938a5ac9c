package s3

import "testing"

func TestPolicyEvaluation(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"ProdRead","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root"]},
	   "Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/models/*"]},
	  {"Sid":"Promoter","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:role/promoter"},
	   "Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
	  {"Sid":"NoSecrets","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/models/secret*"}]}`
	p, err := parsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	b := &bucket{Bucket: Bucket{Name: "b", Owner: "111111111111"}, policy: p}
	tests := []struct {
		name, account, arn, action, resource string
		want                                 bool
	}{
		{"owner", "111111111111", "arn:aws:iam::111111111111:user/admin", "s3:PutObject", "arn:aws:s3:::b/x", true},
		{"owner denied explicitly", "111111111111", "arn:aws:iam::111111111111:user/admin", "s3:GetObject", "arn:aws:s3:::b/models/secret.txt", false},
		{"account read", "222222222222", "arn:aws:iam::222222222222:user/u", "s3:GetObject", "arn:aws:s3:::b/models/m.tar.gz", true},
		{"account list", "222222222222", "arn:aws:sts::222222222222:assumed-role/any/s", "s3:ListBucket", "arn:aws:s3:::b", true},
		{"account outside prefix", "222222222222", "arn:aws:iam::222222222222:user/u", "s3:GetObject", "arn:aws:s3:::b/reports/r", false},
		{"account write", "222222222222", "arn:aws:iam::222222222222:user/u", "s3:PutObject", "arn:aws:s3:::b/models/m", false},
		{"role session, wildcard action", "333333333333", "arn:aws:sts::333333333333:assumed-role/promoter/pr-1", "s3:PutObject", "arn:aws:s3:::b/x", true},
		{"other role of that account", "333333333333", "arn:aws:sts::333333333333:assumed-role/reader/pr-1", "s3:GetObject", "arn:aws:s3:::b/x", false},
		{"stranger", "444444444444", "arn:aws:iam::444444444444:user/u", "s3:GetObject", "arn:aws:s3:::b/models/m", false},
	}
	for _, tc := range tests {
		if got := b.allowed(tc.account, tc.arn, tc.action, tc.resource); got != tc.want {
			t.Errorf("%s: allowed = %v", tc.name, got)
		}
	}
}
