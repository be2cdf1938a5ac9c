package registry_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/plan"
)

const (
	dev       = "111111111111"
	prod      = "333333333333"
	region    = "eu-west-1"
	prodKMS   = "arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"
	devBucket = "dev-ml-artifacts"
)

// accounts is the emulator with a dev (source) and a prod (target)
// account, each reached through the real SDK.
type accounts struct {
	sm        *smemu.Service
	dev, prod aws.Config
}

func start(t *testing.T) accounts {
	t.Helper()
	sm := smemu.New(smemu.Options{PackageDelay: time.Millisecond})
	srv, err := awsemu.New(awsemu.Options{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(sm)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close(); _ = srv.Close() })
	d, err := srv.AddAccount("dev", dev)
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.AddAccount("prod", prod)
	if err != nil {
		t.Fatal(err)
	}
	return accounts{sm: sm, dev: srv.Config(d), prod: srv.Config(p)}
}

// seed creates a Completed, Approved version in dev's group "fraud" that
// refers to S3 in every place the walk knows, and returns its version.
func (a accounts) seed(t *testing.T, ctx context.Context, model string) int {
	t.Helper()
	sm := sagemaker.NewFromConfig(a.dev)
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("fraud")}); err != nil && !strings.Contains(err.Error(), "already") {
		t.Fatal(err)
	}
	uri := func(k string) *string { return aws.String("s3://" + devBucket + "/" + k) }
	digest := aws.String("sha256:" + strings.Repeat("ab", 32))
	out, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String("fraud"),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		SamplePayloadUrl:      uri("payload/sample.tar.gz"),
		InferenceSpecification: &types.InferenceSpecification{
			Containers: []types.ModelPackageContainerDefinition{{
				Image:        aws.String("222222222222.dkr.ecr.eu-west-1.amazonaws.com/xgb@sha256:" + strings.Repeat("c3", 32)),
				ModelDataUrl: uri(model),
			}},
			SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
		},
		ModelMetrics: &types.ModelMetrics{
			ModelQuality: &types.ModelQuality{Statistics: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: uri("eval/statistics.json"), ContentDigest: digest}},
			Bias:         &types.Bias{Report: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: uri("clarify/bias.json")}},
		},
		DriftCheckBaselines: &types.DriftCheckBaselines{ModelQuality: &types.DriftCheckModelQuality{
			Constraints: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: uri("baseline/constraints.json")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := registry.New(a.dev, dev)
	for {
		p, err := src.ModelPackage(ctx, "fraud", registryVersion(aws.ToString(out.ModelPackageArn)))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status == "Completed" {
			return p.Version
		}
		time.Sleep(time.Millisecond)
	}
}

// registryVersion is the version a package ARN ends with.
func registryVersion(arn string) int {
	v, _ := strconv.Atoi(arn[strings.LastIndex(arn, "/")+1:])
	return v
}

// copyOf seeds a dev package and returns the source and target
// registries, the package, and where each of its objects is copied.
func (a accounts) copyOf(t *testing.T, ctx context.Context) (source, target *registry.Registry, pkg *plan.ModelPackage, copied map[string]string) {
	t.Helper()
	v := a.seed(t, ctx, "models/fraud/1/model.tar.gz")
	source, target = registry.New(a.dev, dev), registry.New(a.prod, prod)
	pkg, err := source.ModelPackage(ctx, "fraud", v)
	if err != nil {
		t.Fatal(err)
	}
	copied = map[string]string{}
	for _, o := range plan.CopyObjects(pkg, "prod-ml-artifacts", plan.ArtifactPrefix("fraud", v)) {
		copied[o.Source] = o.Target
	}
	return source, target, pkg, copied
}

// The package value lists every S3 object the package refers to, and the
// reports among them, from one walk.
func TestModelPackageCarriesEveryS3Reference(t *testing.T) {
	a := start(t)
	v := a.seed(t, t.Context(), "models/fraud/1/model.tar.gz")
	pkg, err := registry.New(a.dev, dev).ModelPackage(t.Context(), "fraud", v)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, o := range pkg.Objects {
		fields = append(fields, o.Field+"="+strings.TrimPrefix(o.URI, "s3://"+devBucket+"/"))
	}
	want := "InferenceSpecification.Containers[0].ModelDataUrl=models/fraud/1/model.tar.gz " +
		"ModelMetrics.ModelQuality.Statistics=eval/statistics.json ModelMetrics.Bias.Report=clarify/bias.json " +
		"DriftCheckBaselines.ModelQuality.Constraints=baseline/constraints.json SamplePayloadUrl=payload/sample.tar.gz"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("objects\n got %s\nwant %s", got, want)
	}
	var reports []string
	for _, r := range pkg.Reports {
		reports = append(reports, string(r.Kind)+"/"+r.Part)
	}
	// The combined bias report stands for both bias kinds.
	if got := strings.Join(reports, " "); got != "modelQuality/statistics biasPreTraining/report biasPostTraining/report" {
		t.Errorf("reports %s", got)
	}
}

// RegisterCopy registers the target's copy with every URI rewritten to
// the copies and the provenance, approves it, and adopts it on a rerun.
func TestRegisterCopyRewritesEveryURIAndAdoptsOnRerun(t *testing.T) {
	a, ctx := start(t), t.Context()
	source, target, pkg, copied := a.copyOf(t, ctx)
	req := registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied,
		Provenance: map[string]string{plan.ProvenanceSourceARN: pkg.ARN, plan.ProvenancePullRequest: "https://github.com/acme/ml/pull/7"}}
	first, err := target.RegisterCopy(ctx, source, req, time.Millisecond)
	if err != nil || first.Adopted {
		t.Fatalf("RegisterCopy = %+v, %v", first, err)
	}
	got, ok := a.sm.ModelPackage(prod, region, first.ARN)
	if !ok {
		t.Fatalf("no package %s in prod", first.ARN)
	}
	if got.ModelApprovalStatus != "Approved" || got.CustomerMetadataProperties[plan.ProvenanceSourceARN] != pkg.ARN {
		t.Errorf("target package %+v", got)
	}
	copy, err := target.ModelPackage(ctx, "fraud", registryVersion(first.ARN))
	if err != nil {
		t.Fatal(err)
	}
	if len(copy.Objects) != len(pkg.Objects) {
		t.Fatalf("copy refers to %d objects, source %d", len(copy.Objects), len(pkg.Objects))
	}
	for i, o := range copy.Objects {
		if o.URI != copied[pkg.Objects[i].URI] || o.Digest != pkg.Objects[i].Digest {
			t.Errorf("%s: %s (digest %q), want %s (digest %q)", o.Field, o.URI, o.Digest, copied[pkg.Objects[i].URI], pkg.Objects[i].Digest)
		}
	}

	again, err := target.RegisterCopy(ctx, source, req, time.Millisecond)
	if err != nil || !again.Adopted || again.ARN != first.ARN {
		t.Errorf("rerun = %+v, %v; want %s adopted", again, err, first.ARN)
	}
}

// A package registered from the same source with another image than the
// one the check bound (the source's tag, not the digest) is not adopted:
// the images are compared like the URIs.
func TestRegisterCopyDoesNotAdoptAPackageRunningAnotherImage(t *testing.T) {
	a, ctx := start(t), t.Context()
	source, target, pkg, copied := a.copyOf(t, ctx)
	req := registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied,
		Provenance: map[string]string{plan.ProvenanceSourceARN: pkg.ARN}}
	if _, err := target.RegisterCopy(ctx, source, req, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	img := pkg.Containers[0].Image
	req.Images = map[string]string{img: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/mirror/x@sha256:" + strings.Repeat("e5", 32)}
	found, err := target.FindCopy(ctx, source, req)
	if err == nil || !strings.Contains(err.Error(), "its containers run ["+img+"]") {
		t.Errorf("FindCopy = %q, %v; want the package refused for its image", found, err)
	}
}

// A URI the copy list lacks stops the copy before anything is created.
func TestRegisterCopyRefusesAnURIThatWasNotCopied(t *testing.T) {
	a, ctx := start(t), t.Context()
	source, target, pkg, copied := a.copyOf(t, ctx)
	for uri := range copied {
		if strings.Contains(uri, "payload") {
			delete(copied, uri)
		}
	}
	_, err := target.RegisterCopy(ctx, source, registry.Copy{SourceARN: pkg.ARN, TargetGroup: "fraud", TargetKMSKeyARN: prodKMS, Copied: copied}, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "payload/sample.tar.gz was not copied") {
		t.Fatalf("err = %v", err)
	}
	if n := len(a.sm.Snapshot(prod, region).ModelPackages); n != 0 {
		t.Errorf("%d packages created in prod", n)
	}
}

// Versions lists newest first and stops when asked.
func TestVersionsListsNewestFirst(t *testing.T) {
	a := start(t)
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		a.seed(t, ctx, "models/fraud/model.tar.gz")
	}
	var seen []int
	err := registry.New(a.dev, dev).Versions(ctx, "fraud", true, func(s registry.Summary) (bool, error) {
		seen = append(seen, s.Version)
		return len(seen) < 2, nil
	})
	if err != nil || len(seen) != 2 || seen[0] != 3 || seen[1] != 2 {
		t.Errorf("Versions saw %v, %v; want [3 2]", seen, err)
	}
}
