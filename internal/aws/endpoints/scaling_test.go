package endpoints_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	asemu "github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// A journal of a registration taken down by an earlier deployment that
// cannot be read is the only copy of that registration: the deployment
// stops before changing anything, and says what to do.
func TestUnreadableScalingJournalStopsTheDeployment(t *testing.T) {
	e := newEnv(t, 2*time.Millisecond)
	as := asemu.New(asemu.Options{Variants: e.sm})
	e.sm.SetScaling(as)
	e.srv.Mount(as)
	e.d.AAS = applicationautoscaling.NewFromConfig(e.cfg)
	old := e.live(t)
	if _, err := e.d.AAS.RegisterScalableTarget(ctx(t), &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/" + endpoint + "/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
		MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	ep := e.endpoint(t)
	if _, err := e.admin.AddTags(ctx(t), &sagemaker.AddTagsInput{ResourceArn: aws.String(ep.EndpointArn),
		Tags: []types.Tag{{Key: aws.String(endpoints.JournalTag + ":0"), Value: aws.String("bm90IGpzb24=")}}}); err != nil {
		t.Fatal(err)
	}
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	r.Endpoint.InstanceType = "ml.m5.xlarge"
	_, err := e.d.Deploy(ctx(t), r)
	if err == nil || !strings.Contains(err.Error(), "cannot be read") || !strings.Contains(err.Error(), "put the scaling back by hand") {
		t.Fatalf("deploy over an unreadable journal: %v", err)
	}
	if got := e.endpoint(t).EndpointConfigName; got != old {
		t.Errorf("the endpoint moved to %s", got)
	}
	if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok || lo != 2 || hi != 4 {
		t.Errorf("the registration was touched: %v %d–%d", ok, lo, hi)
	}
}

// A journal beside a live registration is a leftover (or planted): it is
// not applied, only cleared.
func TestJournalBesideALiveRegistrationIsOnlyCleared(t *testing.T) {
	e := newEnv(t, 2*time.Millisecond)
	as := asemu.New(asemu.Options{Variants: e.sm})
	e.sm.SetScaling(as)
	e.srv.Mount(as)
	e.d.AAS = applicationautoscaling.NewFromConfig(e.cfg)
	e.live(t)
	if _, err := e.d.AAS.RegisterScalableTarget(ctx(t), &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ResourceId: aws.String("endpoint/" + endpoint + "/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
		MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	planted := base64.StdEncoding.EncodeToString([]byte(`{"resource":"endpoint/` + endpoint + `/variant/AllTraffic","min":50,"max":100}`))
	arn := e.endpoint(t).EndpointArn
	if _, err := e.admin.AddTags(ctx(t), &sagemaker.AddTagsInput{ResourceArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String(endpoints.JournalTag + ":0"), Value: aws.String(planted)}}}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"ml.m5.large", "ml.m5.xlarge"} { // a model-only update, then a type change
		r := e.request(2, "bbbbbbb", manifest.Rollout{})
		r.DeployID += strings.ReplaceAll(typ, ".", "")
		r.Endpoint.InstanceType = typ
		e.deploy(t, r)
		if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok || lo != 2 || hi != 4 {
			t.Errorf("%s: registration %v %d–%d, want 2–4 as it was", typ, ok, lo, hi)
		}
		for _, tag := range e.sm.Tags(account, region, arn) {
			if strings.HasPrefix(tag.Key, endpoints.JournalTag) {
				t.Errorf("%s: journal tag %s left", typ, tag.Key)
			}
		}
	}
}
