package plan

import (
	"reflect"
	"strings"
	"testing"
)

func TestCopyObjectsListsEachObjectOnceWithItsDigest(t *testing.T) {
	hexA := strings.Repeat("ab", 32)
	pkg := &ModelPackage{Objects: []ObjectRef{
		{Field: "InferenceSpecification.Containers[0].ModelDataUrl", URI: "s3://dev/models/model.tar.gz"},
		{Field: "ModelMetrics.ModelQuality.Statistics", URI: "s3://dev/eval/statistics.json"},
		// The same object named twice: the second reference records the digest.
		{Field: "DriftCheckBaselines.ModelQuality.Statistics", URI: "s3://dev/eval/statistics.json", Digest: "sha256:" + strings.ToUpper(hexA)},
		{Field: "ModelMetrics.Bias.Report", URI: "s3://dev/clarify/bias.json", Digest: "md5:0123"},
	}}
	got := CopyObjects(pkg, "prod", "fraud/12/")
	want := []CopyObject{
		{Source: "s3://dev/models/model.tar.gz", Target: "s3://prod/" + TargetKey("fraud/12/", "s3://dev/models/model.tar.gz"),
			Fields: []string{"InferenceSpecification.Containers[0].ModelDataUrl"}},
		{Source: "s3://dev/eval/statistics.json", Target: "s3://prod/" + TargetKey("fraud/12/", "s3://dev/eval/statistics.json"), SHA256: hexA,
			Fields: []string{"ModelMetrics.ModelQuality.Statistics", "DriftCheckBaselines.ModelQuality.Statistics"}},
		{Source: "s3://dev/clarify/bias.json", Target: "s3://prod/" + TargetKey("fraud/12/", "s3://dev/clarify/bias.json"), SHA256: "md5:0123",
			Problem: `s3://dev/clarify/bias.json: ContentDigest "md5:0123" is not sha256:<hex>`, Fields: []string{"ModelMetrics.Bias.Report"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CopyObjects\n got %+v\nwant %+v", got, want)
	}
}

func TestTargetKeyStaysUnderThePrefix(t *testing.T) {
	for _, uri := range []string{"s3://dev/a/model.tar.gz", "s3://dev/x/../../etc/passwd"} {
		k := TargetKey("fraud/12/", uri)
		// fraud/12/objects/<hash>/<base name>: flat, whatever the source key.
		if !strings.HasPrefix(k, "fraud/12/objects/") || strings.Count(k, "/") != 4 || strings.Contains(k, "..") {
			t.Errorf("TargetKey(%s) = %s", uri, k)
		}
	}
	if TargetKey("p/", "s3://dev/a/model.tar.gz") == TargetKey("p/", "s3://dev/b/model.tar.gz") {
		t.Error("two sources with the same base name share a target")
	}
}
