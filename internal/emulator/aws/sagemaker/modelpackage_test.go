package sagemaker_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func createGroup(t *testing.T, c *sm.Client, name string) {
	t.Helper()
	if _, err := c.CreateModelPackageGroup(ctx(t), &sm.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func metrics(bucket string) *types.ModelMetrics {
	src := func(key string) *types.MetricsSource {
		return &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String("s3://" + bucket + "/" + key), ContentDigest: aws.String("sha256:" + strings.Repeat("ab", 32))}
	}
	return &types.ModelMetrics{
		ModelQuality:     &types.ModelQuality{Statistics: src("eval/statistics.json"), Constraints: src("eval/constraints.json")},
		ModelDataQuality: &types.ModelDataQuality{Statistics: src("dq/statistics.json"), Constraints: src("dq/constraints.json")},
		Bias:             &types.Bias{Report: src("bias/analysis.json"), PreTrainingReport: src("bias/pre.json"), PostTrainingReport: src("bias/post.json")},
		Explainability:   &types.Explainability{Report: src("explain/analysis.json")},
	}
}

func packageInput(group string) *sm.CreateModelPackageInput {
	return &sm.CreateModelPackageInput{
		ModelPackageGroupName:   aws.String(group),
		ModelPackageDescription: aws.String("churn v1"),
		InferenceSpecification: &types.InferenceSpecification{
			Containers: []types.ModelPackageContainerDefinition{{
				Image:        aws.String("222222222222.dkr.ecr.eu-west-1.amazonaws.com/churn@sha256:" + strings.Repeat("0", 64)),
				ModelDataUrl: aws.String("s3://prod-models/churn/model.tar.gz"),
				Environment:  map[string]string{"SAGEMAKER_PROGRAM": "inference.py"},
			}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
		ModelMetrics: metrics("prod-models"),
		DriftCheckBaselines: &types.DriftCheckBaselines{
			ModelQuality: &types.DriftCheckModelQuality{Statistics: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String("s3://prod-models/drift/statistics.json"), ContentDigest: aws.String("sha256:" + strings.Repeat("cd", 32))}},
			Bias:         &types.DriftCheckBias{ConfigFile: &types.FileSource{S3Uri: aws.String("s3://prod-models/drift/bias-config.json"), ContentType: aws.String("application/json")}},
		},
		MetadataProperties: &types.MetadataProperties{
			GeneratedBy: aws.String("arn:aws:sagemaker:eu-west-1:111111111111:pipeline/churn/execution/abc"),
			CommitId:    aws.String("4f3c2a1b"),
			Repository:  aws.String("https://github.com/acme/churn"),
			ProjectId:   aws.String("p-123"),
		},
		CustomerMetadataProperties: map[string]string{"modelpromote:source": "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3"},
		Domain:                     aws.String("MACHINE_LEARNING"),
		Task:                       aws.String("CLASSIFICATION"),
		SamplePayloadUrl:           aws.String("s3://prod-models/samples/payload.tar.gz"),
		SourceUri:                  aws.String("arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3"),
		ModelCard:                  &types.ModelPackageModelCard{ModelCardContent: aws.String(`{"model_overview":{"model_description":"churn"}}`), ModelCardStatus: types.ModelCardStatusDraft},
	}
}

func TestCreateModelPackageStoresEverythingAndCompletes(t *testing.T) {
	e := newEnvDelay(t, 300*time.Millisecond)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	in := packageInput("churn")
	out, err := e.prod.CreateModelPackage(c, in)
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ModelPackageArn)
	if want := "arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/1"; arn != want {
		t.Fatalf("ARN = %s, want %s", arn, want)
	}

	// Registration is asynchronous: the first describe is not Completed.
	d, err := e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelPackageStatus == types.ModelPackageStatusCompleted {
		t.Fatal("package Completed at once; callers would never need to poll")
	}
	seen := map[types.ModelPackageStatus]bool{}
	eventually(t, "package Completed", func() bool {
		d, err = e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		seen[d.ModelPackageStatus] = true
		return d.ModelPackageStatus == types.ModelPackageStatusCompleted
	})
	if d.ModelApprovalStatus != types.ModelApprovalStatusPendingManualApproval {
		t.Errorf("approval = %s, want the default PendingManualApproval", d.ModelApprovalStatus)
	}
	if aws.ToInt32(d.ModelPackageVersion) != 1 || aws.ToString(d.ModelPackageGroupName) != "churn" || aws.ToString(d.ModelPackageName) != "churn" {
		t.Errorf("version/group/name = %v/%v/%v", aws.ToInt32(d.ModelPackageVersion), aws.ToString(d.ModelPackageGroupName), aws.ToString(d.ModelPackageName))
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"ModelMetrics", d.ModelMetrics, in.ModelMetrics},
		{"DriftCheckBaselines", d.DriftCheckBaselines, in.DriftCheckBaselines},
		{"MetadataProperties", d.MetadataProperties, in.MetadataProperties},
		{"InferenceSpecification", d.InferenceSpecification, in.InferenceSpecification},
		{"CustomerMetadataProperties", d.CustomerMetadataProperties, in.CustomerMetadataProperties},
		{"ModelCard", d.ModelCard, in.ModelCard},
		{"Domain", d.Domain, in.Domain},
		{"Task", d.Task, in.Task},
		{"SamplePayloadUrl", d.SamplePayloadUrl, in.SamplePayloadUrl},
		{"SourceUri", d.SourceUri, in.SourceUri},
		{"ModelPackageDescription", d.ModelPackageDescription, in.ModelPackageDescription},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %+v, want %+v", f.name, f.got, f.want)
		}
	}

	// Also by "group/version", and the emulator's own view agrees.
	if _, err := e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: aws.String("churn/1")}); err != nil {
		t.Errorf("describe by group/version: %v", err)
	}
	p, ok := e.sm.ModelPackage(prodAccount, region, arn)
	if !ok || p.ModelMetrics.Bias.PostTrainingReport.S3Uri != "s3://prod-models/bias/post.json" || p.ClientToken == "" {
		t.Errorf("inspected package = %+v", p)
	}
}

func TestCreateModelPackageRejects(t *testing.T) {
	e := newEnv(t)
	createGroup(t, e.prod, "churn")
	manyEntries := map[string]string{}
	for i := range 51 {
		manyEntries[fmt.Sprintf("k%d", i)] = "v"
	}
	containers := func(n int) []types.ModelPackageContainerDefinition {
		out := make([]types.ModelPackageContainerDefinition, n)
		for i := range out {
			out[i] = types.ModelPackageContainerDefinition{Image: aws.String("img:1")}
		}
		return out
	}
	tests := []struct {
		name    string
		edit    func(*sm.CreateModelPackageInput)
		wantMsg string
	}{
		{"tags with group", func(in *sm.CreateModelPackageInput) {
			in.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
		}, "Tags cannot be set on a versioned model package"},
		{"name with group", func(in *sm.CreateModelPackageInput) { in.ModelPackageName = aws.String("churn") }, "Both ModelPackageName and ModelPackageGroupName are provided"},
		{"neither name nor group", func(in *sm.CreateModelPackageInput) { in.ModelPackageGroupName = nil }, "Missing ARN."},
		{"missing group", func(in *sm.CreateModelPackageInput) { in.ModelPackageGroupName = aws.String("nope") }, "model-package-group/nope does not exist"},
		{"16 containers", func(in *sm.CreateModelPackageInput) { in.InferenceSpecification.Containers = containers(16) }, "less than or equal to 15"},
		{"container without image", func(in *sm.CreateModelPackageInput) {
			in.InferenceSpecification.Containers = []types.ModelPackageContainerDefinition{{ModelDataUrl: aws.String("s3://b/m.tar.gz")}}
		}, "containers.1.member.image' failed to satisfy constraint: Member must not be null"},
		{"51 metadata entries", func(in *sm.CreateModelPackageInput) { in.CustomerMetadataProperties = manyEntries }, "less than or equal to 50"},
		{"metadata key of 129", func(in *sm.CreateModelPackageInput) {
			in.CustomerMetadataProperties = map[string]string{strings.Repeat("k", 129): "v"}
		}, "less than or equal to 128"},
		{"metadata value of 257", func(in *sm.CreateModelPackageInput) {
			in.CustomerMetadataProperties = map[string]string{"k": strings.Repeat("v", 257)}
		}, "less than or equal to 256"},
		{"GeneratedBy of 1025", func(in *sm.CreateModelPackageInput) {
			in.MetadataProperties.GeneratedBy = aws.String(strings.Repeat("g", 1025))
		}, "metadataProperties.generatedBy"},
		{"CommitId of 1025", func(in *sm.CreateModelPackageInput) {
			in.MetadataProperties.CommitId = aws.String(strings.Repeat("c", 1025))
		}, "metadataProperties.commitId"},
		{"client token too long", func(in *sm.CreateModelPackageInput) { in.ClientToken = aws.String(strings.Repeat("t", 37)) }, "clientToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := packageInput("churn")
			tt.edit(in)
			_, err := e.prod.CreateModelPackage(ctx(t), in)
			if msg := apiError(t, err, "ValidationException"); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
	// The SDK refuses an empty Containers list itself; the service too.
	if code, msg := rawCall(t, e.url, "CreateModelPackage", `{"ModelPackageGroupName":"churn","InferenceSpecification":{"Containers":[]}}`); code != "ValidationException" || !strings.Contains(msg, "inferenceSpecification.containers") {
		t.Errorf("empty containers: %s: %s", code, msg)
	}
	if n := len(e.sm.Snapshot(prodAccount, region).ModelPackages); n != 0 {
		t.Errorf("%d packages created by rejected requests", n)
	}
	// The limits themselves are allowed.
	in := packageInput("churn")
	in.CustomerMetadataProperties = map[string]string{strings.Repeat("k", 128): strings.Repeat("v", 256)}
	in.MetadataProperties.GeneratedBy = aws.String(strings.Repeat("g", 1024))
	in.InferenceSpecification.Containers = containers(15)
	if _, err := e.prod.CreateModelPackage(ctx(t), in); err != nil {
		t.Errorf("package at the limits: %v", err)
	}
}

func TestCreateModelPackageClientTokenIsIdempotent(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	createGroup(t, e.prod, "other")
	create := func(group, token string) string {
		t.Helper()
		in := packageInput(group)
		if token != "" {
			in.ClientToken = aws.String(token)
		}
		out, err := e.prod.CreateModelPackage(c, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ModelPackageArn)
	}
	const token = "6f1c5e2a-4b7d-5c3e-9a8f-0d1e2f3a4b5c"
	first := create("churn", token)
	if again := create("churn", token); again != first {
		t.Errorf("same token and group gave %s, want %s", again, first)
	}
	if other := create("other", token); other != "arn:aws:sagemaker:eu-west-1:222222222222:model-package/other/1" {
		t.Errorf("same token in another group = %s", other)
	}
	// The SDK's automatic token differs on every call: a new version each time.
	if v2 := create("churn", ""); !strings.HasSuffix(v2, "/churn/2") {
		t.Errorf("second package without token = %s, want version 2", v2)
	}
	l, err := e.prod.ListModelPackages(c, &sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn")})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.ModelPackageSummaryList) != 2 {
		t.Errorf("churn has %d packages, want 2", len(l.ModelPackageSummaryList))
	}
}

func TestDescribeModelPackageNotFound(t *testing.T) {
	e := newEnv(t)
	arn := "arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/7"
	_, err := e.prod.DescribeModelPackage(ctx(t), &sm.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if msg := apiError(t, err, "ValidationException"); msg != "Could not find model package with name "+arn+"." {
		t.Errorf("message = %q", msg)
	}
}

func TestListModelPackagesFiltersSortsAndPaginates(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	createGroup(t, e.prod, "fraud")
	for i := range 5 {
		in := packageInput("churn")
		if i%2 == 0 {
			in.ModelApprovalStatus = types.ModelApprovalStatusApproved
		}
		if _, err := e.prod.CreateModelPackage(c, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.prod.CreateModelPackage(c, packageInput("fraud")); err != nil {
		t.Fatal(err)
	}

	versions := func(in *sm.ListModelPackagesInput) []int32 {
		t.Helper()
		var out []int32
		p := sm.NewListModelPackagesPaginator(e.prod, in)
		for p.HasMorePages() {
			page, err := p.NextPage(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.ModelPackageSummaryList) > 2 {
				t.Fatalf("page of %d, MaxResults 2", len(page.ModelPackageSummaryList))
			}
			for _, s := range page.ModelPackageSummaryList {
				out = append(out, aws.ToInt32(s.ModelPackageVersion))
			}
		}
		return out
	}
	tests := []struct {
		name string
		in   sm.ListModelPackagesInput
		want []int32
	}{
		{"group", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn")}, []int32{1, 2, 3, 4, 5}},
		{"group by ARN", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn")}, []int32{1, 2, 3, 4, 5}},
		{"approved", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn"), ModelApprovalStatus: types.ModelApprovalStatusApproved}, []int32{1, 3, 5}},
		{"newest first", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("churn"), SortBy: types.ModelPackageSortByCreationTime, SortOrder: types.SortOrderDescending}, []int32{5, 4, 3, 2, 1}},
		{"all versioned", sm.ListModelPackagesInput{ModelPackageType: types.ModelPackageTypeVersioned, SortBy: types.ModelPackageSortByName}, []int32{1, 2, 3, 4, 5, 1}},
		{"unversioned by default", sm.ListModelPackagesInput{}, nil},
		{"created after an hour ago", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("fraud"), CreationTimeAfter: aws.Time(time.Now().Add(-time.Hour))}, []int32{1}},
		{"created before an hour ago", sm.ListModelPackagesInput{ModelPackageGroupName: aws.String("fraud"), CreationTimeBefore: aws.Time(time.Now().Add(-time.Hour))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.MaxResults = aws.Int32(2)
			if got := versions(&in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("versions = %v, want %v", got, tt.want)
			}
		})
	}
	_, err := e.prod.ListModelPackages(c, &sm.ListModelPackagesInput{NextToken: aws.String("garbage")})
	apiError(t, err, "ValidationException")
}

func TestUpdateModelPackage(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	in := packageInput("churn")
	in.CustomerMetadataProperties = map[string]string{"keep": "1", "drop": "2"}
	out, err := e.prod.CreateModelPackage(c, in)
	if err != nil {
		t.Fatal(err)
	}
	arn := out.ModelPackageArn
	if _, err := e.prod.UpdateModelPackage(c, &sm.UpdateModelPackageInput{
		ModelPackageArn:                    arn,
		ModelApprovalStatus:                types.ModelApprovalStatusApproved,
		ApprovalDescription:                aws.String("promoted by modelpromote"),
		CustomerMetadataProperties:         map[string]string{"added": "3"},
		CustomerMetadataPropertiesToRemove: []string{"drop"},
	}); err != nil {
		t.Fatal(err)
	}
	d, err := e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: arn})
	if err != nil {
		t.Fatal(err)
	}
	if d.ModelApprovalStatus != types.ModelApprovalStatusApproved || aws.ToString(d.ApprovalDescription) != "promoted by modelpromote" || d.LastModifiedTime == nil {
		t.Errorf("after update: %s %q %v", d.ModelApprovalStatus, aws.ToString(d.ApprovalDescription), d.LastModifiedTime)
	}
	if want := map[string]string{"keep": "1", "added": "3"}; !reflect.DeepEqual(d.CustomerMetadataProperties, want) {
		t.Errorf("metadata = %v, want %v", d.CustomerMetadataProperties, want)
	}

	// Going over 50 entries through updates is refused too.
	many := map[string]string{}
	for i := range 49 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = e.prod.UpdateModelPackage(c, &sm.UpdateModelPackageInput{ModelPackageArn: arn, CustomerMetadataProperties: many})
	apiError(t, err, "ValidationException")

	_, err = e.prod.UpdateModelPackage(c, &sm.UpdateModelPackageInput{ModelPackageArn: aws.String(aws.ToString(arn) + "0")})
	apiError(t, err, "ValidationException")

	// ModelMetrics, MetadataProperties and DriftCheckBaselines are set at
	// creation or never. The SDK has no such members on UpdateModelPackage,
	// so send the request by hand.
	for _, member := range []string{"ModelMetrics", "MetadataProperties", "DriftCheckBaselines"} {
		t.Run(member, func(t *testing.T) {
			body := fmt.Sprintf(`{"ModelPackageArn":%q,%q:{}}`, aws.ToString(arn), member)
			code, msg := rawCall(t, e.url, "UpdateModelPackage", body)
			if code != "ValidationException" || !strings.Contains(msg, member+" cannot be updated") {
				t.Errorf("got %s: %s", code, msg)
			}
		})
	}
	p, _ := e.sm.ModelPackage(prodAccount, region, aws.ToString(arn))
	if !reflect.DeepEqual(p.ModelMetrics.ModelQuality.Statistics.S3Uri, "s3://prod-models/eval/statistics.json") {
		t.Errorf("metrics changed: %+v", p.ModelMetrics)
	}
}

// rawCall sends a hand-made JSON 1.1 request as the prod account and
// returns the error code and message.
func rawCall(t *testing.T, url, op, body string) (code, message string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("X-Amz-Target", "SageMaker."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDPROD000000000000/20261122/eu-west-1/sagemaker/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string
	}
	if err := jsonUnmarshal(b, &e); err != nil {
		t.Fatalf("%s: %s", err, b)
	}
	return e.Type, e.Message
}

func TestFailNextPackage(t *testing.T) {
	e := newEnv(t)
	c := ctx(t)
	createGroup(t, e.prod, "churn")
	e.sm.FailNextPackage(prodAccount, region, "churn", "Image could not be pulled")
	out, err := e.prod.CreateModelPackage(c, packageInput("churn"))
	if err != nil {
		t.Fatal(err)
	}
	var d *sm.DescribeModelPackageOutput
	eventually(t, "package settled", func() bool {
		d, err = e.prod.DescribeModelPackage(c, &sm.DescribeModelPackageInput{ModelPackageName: out.ModelPackageArn})
		return err == nil && d.ModelPackageStatus != types.ModelPackageStatusPending && d.ModelPackageStatus != types.ModelPackageStatusInProgress
	})
	if d.ModelPackageStatus != types.ModelPackageStatusFailed || len(d.ModelPackageStatusDetails.ValidationStatuses) != 1 ||
		aws.ToString(d.ModelPackageStatusDetails.ValidationStatuses[0].FailureReason) != "Image could not be pulled" {
		t.Errorf("package = %s %+v", d.ModelPackageStatus, d.ModelPackageStatusDetails)
	}
}

// Concurrent registrations in one group get distinct, gapless versions.
func TestConcurrentCreateModelPackageVersions(t *testing.T) {
	e := newEnv(t)
	createGroup(t, e.prod, "churn")
	const n = 20
	arns := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.prod.CreateModelPackage(ctx(t), packageInput("churn"))
			if err != nil {
				t.Error(err)
				return
			}
			arns <- aws.ToString(out.ModelPackageArn)
		}()
	}
	wg.Wait()
	close(arns)
	seen := map[string]bool{}
	for arn := range arns {
		seen[arn] = true
	}
	for v := 1; v <= n; v++ {
		if arn := fmt.Sprintf("arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/%d", v); !seen[arn] {
			t.Errorf("version %d missing", v)
		}
	}
}
