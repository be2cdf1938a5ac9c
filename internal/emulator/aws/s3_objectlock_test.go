package awsemu_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A bucket created with Object Lock and a COMPLIANCE default rule gives
// each new object a retention nobody can shorten, and refuses to delete it;
// a bucket without Object Lock answers as S3 does.
func TestObjectLockCompliance(t *testing.T) {
	e := newEnv(t)
	c := e.s3(e.dev, noRetries)
	cx := ctx(t)
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("evidence"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("evidence")})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("lock configuration of a new locked bucket: %+v, %v", got, err)
	}
	if _, err := c.PutObjectLockConfiguration(cx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("evidence"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(30)}}}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"evidence", "plain"} {
		if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("r/1.json"), Body: bytes.NewReader([]byte(`{}`))}); err != nil {
			t.Fatal(err)
		}
	}
	ret, err := c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("evidence"), Key: aws.String("r/1.json")})
	if err != nil {
		t.Fatal(err)
	}
	if ret.Retention.Mode != types.ObjectLockRetentionModeCompliance || time.Until(aws.ToTime(ret.Retention.RetainUntilDate)) < 29*24*time.Hour {
		t.Errorf("retention %+v", ret.Retention)
	}
	if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("evidence"), Key: aws.String("r/1.json")}); apiCode(t, err) != "AccessDenied" {
		t.Errorf("delete of a retained object: %v", err)
	}
	if _, err := c.PutObjectRetention(cx, &s3.PutObjectRetentionInput{Bucket: aws.String("evidence"), Key: aws.String("r/1.json"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}}); apiCode(t, err) != "AccessDenied" {
		t.Errorf("shortening a compliance retention: %v", err)
	}
	if _, err := c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("plain")}); apiCode(t, err) != "ObjectLockConfigurationNotFoundError" {
		t.Errorf("lock configuration of a plain bucket: %v", err)
	}
	if _, err := c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("plain"), Key: aws.String("r/1.json")}); apiCode(t, err) != "InvalidRequest" {
		t.Errorf("retention in a plain bucket: %v", err)
	}
	if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("r/1.json")}); err != nil {
		t.Errorf("delete in a plain bucket: %v", err)
	}
	if _, err := c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("evidence")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3(e.prod, noRetries).GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("evidence")}); apiCode(t, err) != "AccessDenied" {
		t.Errorf("another account read the lock configuration: %v", err)
	}

	// The AWS CLI reads both back.
	run := awsCLI(t, e, e.dev)
	var cfg struct {
		ObjectLockConfiguration struct {
			ObjectLockEnabled string
			Rule              struct {
				DefaultRetention struct {
					Mode string
					Days int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(run("s3api", "get-object-lock-configuration", "--bucket", "evidence")), &cfg); err != nil {
		t.Fatal(err)
	}
	if d := cfg.ObjectLockConfiguration.Rule.DefaultRetention; cfg.ObjectLockConfiguration.ObjectLockEnabled != "Enabled" || d.Mode != "COMPLIANCE" || d.Days != 30 {
		t.Errorf("aws s3api get-object-lock-configuration: %+v", cfg)
	}
	out := run("s3api", "get-object-retention", "--bucket", "evidence", "--key", "r/1.json")
	if !strings.Contains(out, `"Mode": "COMPLIANCE"`) || !strings.Contains(out, "RetainUntilDate") {
		t.Errorf("aws s3api get-object-retention: %s", out)
	}
}

// A PutObject may set its own retention, but only in a bucket with Object
// Lock; GOVERNANCE retention yields to x-amz-bypass-governance-retention.
func TestObjectLockOnPut(t *testing.T) {
	e := newEnv(t)
	c := e.s3(e.dev, noRetries)
	cx := ctx(t)
	for _, b := range []struct {
		name string
		lock bool
	}{{"locked", true}, {"plain", false}} {
		if _, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String(b.name), ObjectLockEnabledForBucket: aws.Bool(b.lock)}); err != nil {
			t.Fatal(err)
		}
	}
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	put := func(bucket string, mode types.ObjectLockMode) error {
		_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
			ObjectLockMode: mode, ObjectLockRetainUntilDate: aws.Time(until)})
		return err
	}
	if err := put("plain", types.ObjectLockModeCompliance); apiCode(t, err) != "InvalidRequest" {
		t.Errorf("retention in a bucket without Object Lock: %v", err)
	}
	if err := put("locked", types.ObjectLockModeGovernance); err != nil {
		t.Fatal(err)
	}
	ret, err := c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String("k")})
	if err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeGovernance || !aws.ToTime(ret.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("retention %+v, %v", ret, err)
	}
	shorter := &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until.Add(-time.Hour))}
	if _, err := c.PutObjectRetention(cx, &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String("k"), Retention: shorter}); apiCode(t, err) != "AccessDenied" {
		t.Errorf("shortening governance without bypass: %v", err)
	}
	if _, err := c.PutObjectRetention(cx, &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: aws.String("k"), Retention: shorter,
		BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Errorf("shortening governance with bypass: %v", err)
	}
}
