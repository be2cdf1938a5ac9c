package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Someone turns fraud-detector's data capture in prod off by hand, as the
// console does it (a copy of the serving endpoint config without
// DataCaptureConfig, and UpdateEndpoint), through the SDK. `drift` reports
// it: the stage, the setting and both values, in text and in JSON that
// validates against its schema.
func TestDriftReportsDataCaptureTurnedOffByHand(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	fraudProd := func(out string) []plan.Drift {
		t.Helper()
		var r struct{ Drift []plan.Drift }
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		var got []plan.Drift
		for _, d := range r.Drift {
			if d.Model == "fraud-detector" && d.Stage == "prod" {
				got = append(got, d)
			}
		}
		return got
	}
	_, out, _ := h.run(t, "drift", "--root", "../..", "--output", "json")
	if got := fraudProd(out); len(got) != 0 {
		t.Fatalf("before: fraud-detector/prod drifted: %+v", got)
	}

	sm := sagemaker.NewFromConfig(h.w.AdminAWS(world.ProdAccount))
	ep, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("fraud-detector")})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := sm.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: ep.EndpointConfigName})
	if err != nil || cur.DataCaptureConfig == nil {
		t.Fatalf("the serving config %+v captures nothing before: %v", cur, err)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: cur.EndpointConfigArn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String("fraud-detector-no-capture"),
		ProductionVariants: cur.ProductionVariants, KmsKeyId: cur.KmsKeyId, Tags: tags.Tags}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("fraud-detector"), EndpointConfigName: aws.String("fraud-detector-no-capture")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		d, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("fraud-detector")})
		if err == nil && d.EndpointStatus == types.EndpointStatusInService && aws.ToString(d.EndpointConfigName) == "fraud-detector-no-capture" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the update by hand did not finish: %+v %v", d, err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	const wantManifest = "20% of input and output to s3://acme-ml-artifacts-prod/fraud-detector/data-capture/fraud-detector, key arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"
	code, out, _ := h.run(t, "drift", "--root", "../..", "--output", "json")
	validJSON(t, "drift.schema.json", out)
	got := fraudProd(out)
	if code != ExitFail || len(got) != 1 || got[0].Serving != 11 || len(got[0].Settings) != 1 {
		t.Fatalf("exit %d, fraud-detector/prod: %+v", code, got)
	}
	if s := got[0].Settings[0]; s.Setting != "dataCapture" || s.Manifest != wantManifest || s.Account != "off" {
		t.Errorf("setting drift %+v", s)
	}
	code, out, _ = h.run(t, "drift", "--root", "../..")
	if want := "fraud-detector/prod: dataCapture of endpoint fraud-detector changed outside modelpromote: the manifests say " + wantManifest + ", the account has off"; code != ExitFail || !strings.Contains(out, want) {
		t.Errorf("exit %d, text lacks %q:\n%s", code, want, out)
	}
}
