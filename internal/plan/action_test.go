package plan

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Each action says in one line what its step does, from its own inputs:
// the text reviewers read on the pull request.
func TestActionSummaries(t *testing.T) {
	p := promotionPlan(t, toProd)
	want := []string{
		"assume arn:aws:iam::333333333333:role/modelpromote-deploy in account 333333333333",
		"copy the model data and reports of fraud-detector version 12 from account 111111111111 to s3://acme-ml-artifacts-prod/fraud-detector/12/",
		"register fraud-detector version 12 in model package group fraud-detector of account 333333333333 (or adopt the package already registered from it)" +
			"; group tags CostCenter=4711, DataClassification=confidential, Team=fraud",
		// The example's prod is a guarded account and fraud-detector captures data there.
		"create or update endpoint fraud-detector: 4 × ml.m5.xlarge, capturing input and output of 20% of requests, rollout canary 25%, 600s bake, rollback on fraud-detector-5xx, fraud-detector-latency-p99" +
			"; VPC subnet-0a1b2c3d4e5f60718, subnet-1b2c3d4e5f6071829 (sg-0123456789abcdef0); network isolation" +
			"; data capture to s3://acme-ml-artifacts-prod/fraud-detector/data-capture/fraud-detector; tags CostCenter=4711, DataClassification=confidential, Team=fraud",
		"write the evidence record to s3://acme-ml-artifacts-prod/fraud-detector/12/evidence/",
	}
	actions := p.ActionsFor(fraud, toProd)
	if len(actions) != len(want) {
		t.Fatalf("%d actions, want %d", len(actions), len(want))
	}
	for i, a := range actions {
		if got := a.Summary(); got != want[i] {
			t.Errorf("%s:\n got %s\nwant %s", a.Head().Kind, got, want[i])
		}
	}
	d := &Deploy{Endpoint: actions[3].(*Deploy).Endpoint, New: true}
	if got := d.Summary(); !strings.HasPrefix(got, "create (or update, if it already exists) endpoint fraud-detector: ") {
		t.Errorf("first deployment: %s", got)
	}
}

// The check binds what only the source registry says: the package every
// step works from and the objects the copy takes, each to its target.
func TestCheckBindsThePackageAndItsObjects(t *testing.T) {
	w := newWorld()
	pkg := w.pkg(13)
	pkg.Objects = []ObjectRef{
		{Field: "InferenceSpecification.Containers[0].ModelDataUrl", URI: pkg.Containers[0].ModelDataURL},
		{Field: "ModelMetrics.ModelQuality.Statistics", URI: pkg.Reports[0].S3URI, Digest: pkg.Reports[0].Digest},
	}
	p := promotionPlan(t, toStaging)
	if c := p.ActionsFor(fraud, toStaging)[1].(*CopyArtifacts); c.SourcePackageARN != "" || c.Objects != nil {
		t.Fatalf("an offline plan bound %+v", c)
	}
	p.CheckAWS(context.Background(), p.Config, w.sources())
	actions := p.ActionsFor(fraud, toStaging)
	c, r, d := actions[1].(*CopyArtifacts), actions[2].(*RegisterPackage), actions[3].(*Deploy)
	if c.SourcePackageARN != packageARN(13) || r.SourcePackageARN != packageARN(13) || d.SourcePackageARN != packageARN(13) {
		t.Errorf("bound copy %q, register %q, deploy %q", c.SourcePackageARN, r.SourcePackageARN, d.SourcePackageARN)
	}
	if len(c.Objects) != 2 || c.Objects[1].SHA256 != pkg.Reports[0].Digest[len("sha256:"):] ||
		c.Objects[0].Target != "s3://"+c.Bucket+"/"+TargetKey(c.Prefix, pkg.Containers[0].ModelDataURL) {
		t.Errorf("objects %+v", c.Objects)
	}
}

// A package the check could not read leaves the actions unbound: apply
// refuses to copy or register from them.
func TestCheckLeavesActionsUnboundWithoutThePackage(t *testing.T) {
	w := newWorld()
	w.reg.broken[fraud+"/13"] = errors.New("AccessDenied")
	p := promotionPlan(t, toStaging)
	p.CheckAWS(context.Background(), p.Config, w.sources())
	for _, a := range p.ActionsFor(fraud, toStaging) {
		switch a := a.(type) {
		case *CopyArtifacts:
			if a.SourcePackageARN != "" || a.Objects != nil {
				t.Errorf("copy bound: %+v", a)
			}
		case *RegisterPackage:
			if a.SourcePackageARN != "" {
				t.Errorf("register bound: %+v", a)
			}
		}
	}
}

// An action's JSON has its head, its inputs and its summary.
func TestActionJSONCarriesItsInputsAndSummary(t *testing.T) {
	a := promotionPlan(t, toProd).ActionsFor(fraud, toProd)[4]
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	want := map[string]any{"kind": "record-evidence", "model": fraud, "stage": toProd, "account": "333333333333",
		"bucket": "acme-ml-artifacts-prod", "prefix": "fraud-detector/12/evidence/", "kmsKeyArn": a.(*RecordEvidence).KMSKeyARN, "summary": a.Summary()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON %s", data)
	}
}
