package awsemu_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
)

// awsCLI runs the AWS CLI against the emulator with creds from the
// environment only, and returns its standard output. Without the CLI the
// test is skipped, unless CI is set (.ci/run installs awscli).
func awsCLI(t *testing.T, e *env, creds aws.Credentials) func(args ...string) string {
	t.Helper()
	run := awsCLIEnv(t, e, creds)
	return func(args ...string) string {
		t.Helper()
		stdout, _ := run(args...)
		return stdout
	}
}

// awsCLIEnv is awsCLI with extra environment variables, returning standard
// output and standard error.
func awsCLIEnv(t *testing.T, e *env, creds aws.Credentials, extraEnv ...string) func(args ...string) (string, string) {
	t.Helper()
	run := awsCLIRun(t, e, creds, extraEnv...)
	return func(args ...string) (string, string) {
		t.Helper()
		stdout, stderr, err := run(args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return stdout, stderr
	}
}

// awsCLIRun is awsCLIEnv returning the command's error too, for commands
// that are meant to fail.
func awsCLIRun(t *testing.T, e *env, creds aws.Credentials, extraEnv ...string) func(args ...string) (string, string, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not installed (CI is set): apt-get install -y awscli")
		}
		t.Skip("aws CLI not installed")
	}
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	if err := os.WriteFile(cfg, []byte("[default]\ns3 =\n    addressing_style = path\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", e.srv.URL(), "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = []string{
			"HOME=" + home, "PATH=" + os.Getenv("PATH"),
			"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
			"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
			"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
		}
		if creds.SessionToken != "" {
			cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds.SessionToken)
		}
		cmd.Env = append(cmd.Env, extraEnv...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		defer func() { t.Logf("aws %s: %s", strings.Join(args, " "), time.Since(start)) }()
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
}

func TestAWSCLI(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	run := awsCLI(t, e, e.dev)

	var id struct{ Account, Arn string }
	if err := json.Unmarshal([]byte(run("sts", "get-caller-identity")), &id); err != nil {
		t.Fatal(err)
	}
	if id.Account != devAccount || id.Arn != "arn:aws:iam::"+devAccount+":user/admin" {
		t.Errorf("identity %+v", id)
	}

	dir := t.TempDir()
	small := []byte("evaluation report\n")
	large := make([]byte, 9<<20) // over the CLI's 8 MiB multipart threshold
	if _, err := rand.Read(large); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"report.json": small, "model.tar.gz": large} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		run("s3", "cp", path, "s3://dev-models/models/v1/"+name)
		assertContent(t, e, "dev-models", "models/v1/"+name, data)
	}
	for _, k := range []string{"report.json", "model.tar.gz"} {
		o, _ := e.srv.S3().Object("dev-models", "models/v1/"+k)
		t.Logf("%s: etag %s checksum %s %s %s", k, o.ETag, o.ChecksumAlgorithm, o.ChecksumType, o.Checksum)
	}
	if o, _ := e.srv.S3().Object("dev-models", "models/v1/model.tar.gz"); o.Parts < 2 {
		t.Errorf("large upload not multipart: %+v", o)
	}

	ls := run("s3", "ls", "s3://dev-models/models/v1/")
	if !strings.Contains(ls, "report.json") || !strings.Contains(ls, "model.tar.gz") {
		t.Errorf("ls:\n%s", ls)
	}
	var head struct {
		ContentLength int64
		ETag          string
	}
	if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", "dev-models", "--key", "models/v1/report.json")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ContentLength != int64(len(small)) || head.ETag != `"`+md5hex(small)+`"` {
		t.Errorf("head-object %+v", head)
	}
	out := filepath.Join(dir, "download.tar.gz")
	run("s3", "cp", "s3://dev-models/models/v1/model.tar.gz", out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, large) {
		t.Errorf("download differs (%d bytes, %v)", len(got), err)
	}
}

// What a newcomer reads with the AWS CLI from a kept demo: model cards,
// pipelines and the rollback alarms. CloudWatch is read over the protocol
// this CLI prefers (AWS JSON 1.0 for a recent botocore) and, with the
// service model pinned to it, over the AWS query protocol older CLIs use.
func TestAWSCLIReadsSageMakerAndCloudWatch(t *testing.T) {
	e := newEnv(t)
	cw := cloudwatch.New(cloudwatch.Options{})
	sm := sagemaker.New(sagemaker.Options{Alarms: cw})
	t.Cleanup(sm.Close)
	e.srv.Mount(sm)
	e.srv.Mount(cw)
	const region = "us-east-1" // awsCLI's
	sm.SeedModelCard(devAccount, region, sagemaker.ModelCard{ModelCardName: "fraud-detector", ModelCardStatus: "Approved"})
	sm.SeedPipelineExecution(devAccount, region, "fraud-detector-pipeline", sagemaker.PipelineExecution{})
	for _, name := range []string{"fraud-detector-5xx", "fraud-detector-latency-p99", "churn-5xx"} {
		cw.PutAlarm(devAccount, region, cloudwatch.Alarm{AlarmName: name, Threshold: 1,
			Dimensions: []cloudwatch.Dimension{{Name: "EndpointName", Value: "fraud-detector"}}})
	}
	if err := cw.SetAlarmState(devAccount, region, "fraud-detector-latency-p99", cloudwatch.StateAlarm, "Threshold Crossed"); err != nil {
		t.Fatal(err)
	}
	run := awsCLI(t, e, e.dev)

	var cards struct {
		ModelCardSummaries []struct{ ModelCardName, ModelCardStatus string }
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "list-model-cards")), &cards); err != nil {
		t.Fatal(err)
	}
	if len(cards.ModelCardSummaries) != 1 || cards.ModelCardSummaries[0].ModelCardName != "fraud-detector" || cards.ModelCardSummaries[0].ModelCardStatus != "Approved" {
		t.Errorf("list-model-cards: %+v", cards)
	}
	var pipelines struct {
		PipelineSummaries []struct{ PipelineName, PipelineArn string }
	}
	if err := json.Unmarshal([]byte(run("sagemaker", "list-pipelines")), &pipelines); err != nil {
		t.Fatal(err)
	}
	if len(pipelines.PipelineSummaries) != 1 || pipelines.PipelineSummaries[0].PipelineName != "fraud-detector-pipeline" {
		t.Errorf("list-pipelines: %+v", pipelines)
	}

	type alarms struct {
		MetricAlarms []struct {
			AlarmName, StateValue string
			Threshold             float64
			Dimensions            []struct{ Name, Value string }
			// As the wire had it: the CLI's default cli_timestamp_format
			// leaves it alone.
			StateUpdatedTimestamp json.RawMessage
		}
	}
	decode := func(t *testing.T, out string) alarms {
		t.Helper()
		var got alarms
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return got
	}
	t.Run("preferred protocol", func(t *testing.T) {
		// One alarm a page: MaxRecords and NextToken cross the wire too.
		out := run("cloudwatch", "describe-alarms", "--alarm-name-prefix", "fraud-detector-", "--page-size", "1")
		got := decode(t, out)
		if len(got.MetricAlarms) != 2 || got.MetricAlarms[0].AlarmName != "fraud-detector-5xx" || got.MetricAlarms[1].StateValue != "ALARM" ||
			got.MetricAlarms[0].Threshold != 1 || len(got.MetricAlarms[0].Dimensions) != 1 || len(got.MetricAlarms[0].StateUpdatedTimestamp) == 0 {
			t.Errorf("describe-alarms: %s", out)
		}
	})
	t.Run("query protocol", func(t *testing.T) {
		run := awsCLIEnv(t, e, e.dev, "AWS_DATA_PATH="+queryOnlyCloudWatchModel(t))
		out, stderr := run("--debug", "cloudwatch", "describe-alarms", "--alarm-names", "churn-5xx", "fraud-detector-latency-p99", "--state-value", "OK")
		if !strings.Contains(stderr, "application/x-www-form-urlencoded") {
			t.Fatalf("the CLI did not send the query protocol:\n%s", stderr)
		}
		if got := decode(t, out); len(got.MetricAlarms) != 1 || got.MetricAlarms[0].AlarmName != "churn-5xx" ||
			len(got.MetricAlarms[0].Dimensions) != 1 || len(got.MetricAlarms[0].StateUpdatedTimestamp) == 0 {
			t.Errorf("describe-alarms by names, in state OK: %s", out)
		}
		out, _ = run("cloudwatch", "describe-alarms", "--alarm-name-prefix", "fraud-detector-", "--page-size", "1")
		if got := decode(t, out); len(got.MetricAlarms) != 2 || got.MetricAlarms[1].StateValue != "ALARM" {
			t.Errorf("describe-alarms by prefix, a page at a time: %s", out)
		}
	})
}

// queryOnlyCloudWatchModel writes the AWS CLI's own CloudWatch service
// model, restricted to the AWS query protocol, where AWS_DATA_PATH makes the
// CLI prefer it, and returns that directory.
func queryOnlyCloudWatchModel(t *testing.T) string {
	t.Helper()
	const script = `import json, sys, botocore.session
m = botocore.session.get_session().get_service_data("cloudwatch")
m["metadata"]["protocol"] = "query"
m["metadata"]["protocols"] = ["query"]
json.dump(m, sys.stdout)`
	out, err := exec.Command("python3", "-c", script).Output()
	if err != nil {
		t.Fatalf("read the AWS CLI's CloudWatch model with python3 and botocore: %v", err)
	}
	var meta struct{ Metadata struct{ APIVersion string } }
	if err := json.Unmarshal(out, &meta); err != nil || meta.Metadata.APIVersion == "" {
		t.Fatalf("CloudWatch model: %v", err)
	}
	dir := t.TempDir()
	versionDir := filepath.Join(dir, "cloudwatch", meta.Metadata.APIVersion)
	if err := os.MkdirAll(versionDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(versionDir, "service-2.json"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The policy that shares a model package group is what the AWS CLI puts,
// reads back and deletes, and the other account's CLI lists and describes
// the group's versions by ARN only while it is in force.
func TestAWSCLISharesAModelPackageGroup(t *testing.T) {
	e := newEnv(t)
	sm := sagemaker.New(sagemaker.Options{})
	t.Cleanup(sm.Close)
	e.srv.Mount(sm)
	const region = "us-east-1" // awsCLI's
	lin, err := sm.SeedDevPackage(devAccount, region, sagemaker.DevPackage{Group: "churn"})
	if err != nil {
		t.Fatal(err)
	}
	dev, prod := awsCLI(t, e, e.dev), awsCLIEnv(t, e, e.prod)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Prod","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + prodAccount + `:root"},` +
		`"Action":["sagemaker:DescribeModelPackage","sagemaker:ListModelPackages","sagemaker:DescribeModelPackageGroup"],` +
		`"Resource":["` + lin.Group.ModelPackageGroupArn + `","arn:aws:sagemaker:` + region + `:` + devAccount + `:model-package/churn/*"]}]}`
	var put struct{ ModelPackageGroupArn string }
	if err := json.Unmarshal([]byte(dev("sagemaker", "put-model-package-group-policy", "--model-package-group-name", "churn", "--resource-policy", policy)), &put); err != nil {
		t.Fatal(err)
	}
	if put.ModelPackageGroupArn != lin.Group.ModelPackageGroupArn {
		t.Errorf("put-model-package-group-policy answered %q", put.ModelPackageGroupArn)
	}
	var got struct{ ResourcePolicy string }
	if err := json.Unmarshal([]byte(dev("sagemaker", "get-model-package-group-policy", "--model-package-group-name", "churn")), &got); err != nil {
		t.Fatal(err)
	}
	if got.ResourcePolicy != policy {
		t.Errorf("get-model-package-group-policy = %q, want %q", got.ResourcePolicy, policy)
	}
	var list struct {
		ModelPackageSummaryList []struct{ ModelPackageArn string }
	}
	out, _ := prod("sagemaker", "list-model-packages", "--model-package-group-name", lin.Group.ModelPackageGroupArn)
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.ModelPackageSummaryList) != 1 || list.ModelPackageSummaryList[0].ModelPackageArn != lin.Package.ModelPackageArn {
		t.Errorf("the prod account's list-model-packages by ARN = %s", out)
	}
	var d struct{ ModelPackageArn, ModelApprovalStatus string }
	out, _ = prod("sagemaker", "describe-model-package", "--model-package-name", lin.Package.ModelPackageArn)
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.ModelPackageArn != lin.Package.ModelPackageArn {
		t.Errorf("the prod account's describe-model-package by ARN = %s (%v)", out, err)
	}

	dev("sagemaker", "delete-model-package-group-policy", "--model-package-group-name", "churn")
	if p := sm.Snapshot(devAccount, region).ModelPackageGroups[0].ResourcePolicy; p != "" {
		t.Errorf("policy after delete-model-package-group-policy = %q", p)
	}
	_, stderr, err := awsCLIRun(t, e, e.prod)("sagemaker", "list-model-packages", "--model-package-group-name", lin.Group.ModelPackageGroupArn)
	if err == nil || !strings.Contains(stderr, "AccessDeniedException") {
		t.Errorf("the prod account's list after the policy was deleted: %s", stderr)
	}
}
