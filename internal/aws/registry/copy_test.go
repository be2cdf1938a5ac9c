package registry

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

const (
	devAccount = "111111111111"
	devBucket  = "dev-ml-artifacts"
	devKMS     = "arn:aws:kms:eu-west-1:111111111111:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
)

func devURI(key string) *string { return aws.String("s3://" + devBucket + "/" + key) }

// devPackage is a source description as DescribeModelPackage returns it,
// with a dev URI in every place SageMaker has one.
func devPackage() *sagemaker.DescribeModelPackageOutput {
	src := func(key string) *types.MetricsSource {
		return &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: devURI(key), ContentDigest: aws.String("sha256:" + strings.Repeat("ab", 32))}
	}
	return &sagemaker.DescribeModelPackageOutput{
		ModelPackageArn:         aws.String("arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/12"),
		ModelPackageName:        aws.String("fraud"),
		ModelPackageGroupName:   aws.String("fraud"),
		ModelPackageVersion:     aws.Int32(12),
		ModelPackageDescription: aws.String("XGBoost fraud model"),
		ModelPackageStatus:      types.ModelPackageStatusCompleted,
		ModelApprovalStatus:     types.ModelApprovalStatusApproved,
		CreationTime:            aws.Time(time.Unix(1700000000, 0)),
		Domain:                  aws.String("MACHINE_LEARNING"),
		Task:                    aws.String("CLASSIFICATION"),
		SamplePayloadUrl:        devURI("payload/sample.tar.gz"),
		InferenceSpecification: &types.InferenceSpecification{
			Containers: []types.ModelPackageContainerDefinition{{
				Image:         aws.String("222222222222.dkr.ecr.eu-west-1.amazonaws.com/xgb@sha256:" + strings.Repeat("c3", 32)),
				ImageDigest:   aws.String("sha256:" + strings.Repeat("c3", 32)),
				ModelDataUrl:  devURI("models/fraud/12/model.tar.gz"),
				ModelDataETag: aws.String("\"etag-from-dev\""),
				Environment:   map[string]string{"SAGEMAKER_PROGRAM": "inference.py"},
				AdditionalS3DataSource: &types.AdditionalS3DataSource{S3DataType: types.AdditionalS3DataSourceDataTypeS3object,
					S3Uri: devURI("extra/vocab.txt"), ETag: aws.String("\"x\"")},
			}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
		ModelMetrics: &types.ModelMetrics{
			ModelQuality:     &types.ModelQuality{Statistics: src("eval/statistics.json"), Constraints: src("eval/constraints.json")},
			ModelDataQuality: &types.ModelDataQuality{Statistics: src("dq/statistics.json")},
			Bias:             &types.Bias{PostTrainingReport: src("clarify/bias/analysis.json")},
			Explainability:   &types.Explainability{Report: src("clarify/shap/analysis.json")},
		},
		DriftCheckBaselines: &types.DriftCheckBaselines{
			ModelQuality: &types.DriftCheckModelQuality{Statistics: src("baseline/mq-statistics.json")},
			Bias:         &types.DriftCheckBias{ConfigFile: &types.FileSource{S3Uri: devURI("baseline/bias-config.json")}},
		},
		MetadataProperties:         &types.MetadataProperties{CommitId: aws.String("abc123"), Repository: aws.String("https://github.com/acme/fraud"), GeneratedBy: aws.String("arn:aws:sagemaker:eu-west-1:111111111111:pipeline/fraud/execution/x1")},
		CustomerMetadataProperties: map[string]string{"team": "fraud-ml"},
		SecurityConfig:             &types.ModelPackageSecurityConfig{KmsKeyId: aws.String(devKMS)},
		ModelCard:                  &types.ModelPackageModelCard{ModelCardContent: aws.String(`{"model_overview":{"model_description":"fraud"}}`), ModelCardStatus: types.ModelCardStatusApproved},
	}
}

func targetRewrite(uri string) (string, error) {
	key, ok := strings.CutPrefix(uri, "s3://"+devBucket+"/")
	if !ok {
		return "", fmt.Errorf("no copy of %s", uri)
	}
	return "s3://prod-artifacts/fraud/12/objects/" + key, nil
}

func request() CopyRequest {
	src := devPackage()
	return CopyRequest{
		Source: src, TargetGroup: "fraud", TargetKMSKeyARN: "arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff",
		Rewrite:     targetRewrite,
		Provenance:  map[string]string{"modelpromote:source-arn": aws.ToString(src.ModelPackageArn)},
		ClientToken: ClientToken(aws.ToString(src.ModelPackageArn), "fraud"),
		Forbidden:   []string{devAccount, devBucket, devKMS},
	}
}

func TestCopyInputLeavesNothingOfTheSourceAccount(t *testing.T) {
	in, err := CopyInput(request())
	if err != nil {
		t.Fatal(err)
	}
	clean := *in
	clean.CustomerMetadataProperties = nil
	data, _ := json.Marshal(clean)
	for _, bad := range []string{devAccount, devBucket, devKMS, "etag-from-dev", "\"x\""} {
		if strings.Contains(string(data), bad) {
			t.Errorf("request still contains %q:\n%s", bad, data)
		}
	}
	if in.ModelPackageName != nil || in.Tags != nil {
		t.Error("a versioned package must not send ModelPackageName or Tags")
	}
	if got := aws.ToString(in.InferenceSpecification.Containers[0].ModelDataUrl); got != "s3://prod-artifacts/fraud/12/objects/models/fraud/12/model.tar.gz" {
		t.Errorf("model data = %s", got)
	}
	if in.ModelMetrics.ModelQuality.Statistics.ContentDigest == nil || aws.ToString(in.ModelMetrics.Explainability.Report.S3Uri) != "s3://prod-artifacts/fraud/12/objects/clarify/shap/analysis.json" {
		t.Errorf("metrics not copied with their digests: %+v", in.ModelMetrics)
	}
	if aws.ToString(in.DriftCheckBaselines.Bias.ConfigFile.S3Uri) != "s3://prod-artifacts/fraud/12/objects/baseline/bias-config.json" {
		t.Error("drift baselines not rewritten")
	}
	if aws.ToString(in.MetadataProperties.CommitId) != "abc123" || in.CustomerMetadataProperties["team"] != "fraud-ml" {
		t.Error("metadata not carried over")
	}
	if in.MetadataProperties.GeneratedBy != nil || in.CustomerMetadataProperties["modelpromote:source-generated-by"] != "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/fraud/execution/x1" {
		t.Error("GeneratedBy must move to provenance")
	}
	if aws.ToString(in.SecurityConfig.KmsKeyId) != request().TargetKMSKeyARN {
		t.Error("target package must be encrypted with the target key")
	}
	if in.ModelApprovalStatus != types.ModelApprovalStatusPendingManualApproval {
		t.Error("the package is approved only once Completed")
	}
	if in.ModelCard == nil || in.ModelCard.ModelCardStatus != types.ModelCardStatusApproved {
		t.Error("model card not copied")
	}
}

func TestCopyInputRefusesAnUnmappedURI(t *testing.T) {
	req := request()
	req.Source.SamplePayloadUrl = aws.String("s3://somewhere-else/payload.json")
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), "somewhere-else") {
		t.Fatalf("err = %v", err)
	}
}

func TestCopyInputRefusesAForbiddenLeftover(t *testing.T) {
	req := request()
	// A source environment variable naming the dev bucket would slip past
	// the URI rewrite; the final scan catches it.
	req.Source.InferenceSpecification.Containers[0].Environment["DATA"] = "s3://" + devBucket + "/x"
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), devBucket) {
		t.Fatalf("err = %v", err)
	}
}

func TestCopyInputAllowsAnImageInTheSourceAccountsRegistry(t *testing.T) {
	req := request()
	img := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgb@sha256:" + strings.Repeat("c3", 32)
	req.Source.InferenceSpecification.Containers[0].Image = aws.String(img)
	in, err := CopyInput(req)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.InferenceSpecification.Containers[0].Image) != img {
		t.Error("image must be referenced as it is")
	}
}

func TestCopyInputMetadataLimits(t *testing.T) {
	req := request()
	for i := 0; i < 50; i++ {
		req.Source.CustomerMetadataProperties[fmt.Sprintf("k%d", i)] = "v"
	}
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), "allows 50") {
		t.Fatalf("err = %v", err)
	}
	req = request()
	req.Provenance["modelpromote:approvers"] = strings.Repeat("a", 257)
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), "longer than 256") {
		t.Fatalf("err = %v", err)
	}
}

func TestCopyInputRefusesMetadataSageMakerWouldRefuse(t *testing.T) {
	req := request()
	req.Provenance["modelpromote:approvers"] = "bob,gina"
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), "characters SageMaker refuses") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientTokenIsDeterministicAndShaped(t *testing.T) {
	a := ClientToken("arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/12", "fraud")
	b := ClientToken("arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/12", "fraud")
	c := ClientToken("arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud/13", "fraud")
	if a != b || a == c || len(a) != 36 || a[14] != '5' {
		t.Fatalf("tokens %s %s %s", a, b, c)
	}
}

// With Images, every container image becomes what the check bound (here a
// mirror's reference by digest), additional inference specifications
// included; an image the map lacks stops the copy.
func TestCopyInputPinsImagesToWhatTheCheckBound(t *testing.T) {
	req := request()
	src := aws.ToString(req.Source.InferenceSpecification.Containers[0].Image)
	extra := "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgb-gpu:1.7"
	req.Source.AdditionalInferenceSpecifications = []types.AdditionalInferenceSpecificationDefinition{{Name: aws.String("gpu"),
		Containers: []types.ModelPackageContainerDefinition{{Image: aws.String(extra)}}}}
	mirror := "333333333333.dkr.ecr.eu-west-1.amazonaws.com/mirror/xgb@sha256:" + strings.Repeat("c3", 32)
	mirrorGPU := "333333333333.dkr.ecr.eu-west-1.amazonaws.com/mirror/xgb-gpu@sha256:" + strings.Repeat("d4", 32)
	req.Images = map[string]string{src: mirror, extra: mirrorGPU}
	in, err := CopyInput(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(in.InferenceSpecification.Containers[0].Image); got != mirror {
		t.Errorf("image %s, want %s", got, mirror)
	}
	if got := aws.ToString(in.AdditionalInferenceSpecifications[0].Containers[0].Image); got != mirrorGPU {
		t.Errorf("additional image %s, want %s", got, mirrorGPU)
	}
	if aws.ToString(req.Source.InferenceSpecification.Containers[0].Image) != src {
		t.Error("the source description was changed")
	}
	delete(req.Images, extra)
	if _, err := CopyInput(req); err == nil || !strings.Contains(err.Error(), "image "+extra+" of the source package was not checked") {
		t.Errorf("an unmapped image: %v", err)
	}
}
