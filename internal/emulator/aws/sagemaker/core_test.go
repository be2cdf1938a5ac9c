package sagemaker_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// Mounted on the real emulator core: signed requests reach the right
// account, and the core's faults come back in SageMaker's and CloudWatch's
// own error formats.
func TestMountedOnEmulatorCore(t *testing.T) {
	srv, err := awsemu.New(awsemu.Options{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cw := cloudwatch.New(cloudwatch.Options{Now: srv.Now})
	svc := sagemaker.New(sagemaker.Options{Alarms: cw, Now: srv.Now})
	t.Cleanup(svc.Close)
	srv.Mount(svc)
	srv.Mount(cw)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	devCreds, err := srv.AddAccount("dev", devAccount)
	if err != nil {
		t.Fatal(err)
	}
	prodCreds, err := srv.AddAccount("prod", prodAccount)
	if err != nil {
		t.Fatal(err)
	}
	dev := sm.NewFromConfig(srv.Config(devCreds))
	prod := sm.NewFromConfig(srv.Config(prodCreds), func(o *sm.Options) { o.RetryMaxAttempts = 1 })

	lin, err := svc.SeedDevPackage(devAccount, region, sagemaker.DevPackage{})
	if err != nil {
		t.Fatal(err)
	}
	c := ctx(t)
	if _, err := dev.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)}); err != nil {
		t.Fatalf("dev reads its package: %v", err)
	}
	_, err = prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(lin.Package.ModelPackageArn)})
	apiError(t, err, "AccessDeniedException")

	remove := srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "ListEndpoints", Throttle: 1})
	_, err = prod.ListEndpoints(c, &sm.ListEndpointsInput{})
	apiError(t, err, "ThrottlingException")
	remove()

	cw.PutAlarm(prodAccount, region, cloudwatch.Alarm{AlarmName: "churn-5xx"})
	alarms := cwsdk.NewFromConfig(srv.Config(prodCreds), func(o *cwsdk.Options) { o.RetryMaxAttempts = 1 })
	out, err := alarms.DescribeAlarms(c, &cwsdk.DescribeAlarmsInput{AlarmNamePrefix: aws.String("churn")})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms through the core: %+v, %v", out, err)
	}
	if ts := out.MetricAlarms[0].StateUpdatedTimestamp; ts == nil || time.Since(*ts) > time.Minute {
		t.Errorf("StateUpdatedTimestamp = %v", ts)
	}
	srv.InjectFault(awsemu.Fault{Service: "monitoring", AccessDenied: true})
	_, err = alarms.DescribeAlarms(c, &cwsdk.DescribeAlarmsInput{})
	if msg := apiError(t, err, "AccessDenied"); msg == "" {
		t.Error("AccessDenied without a message")
	}
}
