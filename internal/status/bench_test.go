package status_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/status"
	"github.com/modelpromote/modelpromote/internal/world"
)

// awsLatency is the emulated latency of every AWS call.
const awsLatency = 50 * time.Millisecond

// criticalPath is the longest chain of dependent calls in status, with
// cold credentials: AssumeRole (the environment's read role) →
// DescribeEndpoint → DescribeEndpointConfig → DescribeModel →
// DescribeModelPackage (its provenance names the record) → GetObject (the
// record). Every stage's chain is independent of the others'.
func criticalPath() time.Duration { return 6 * awsLatency }

var benchStages = []string{"qa", "staging", "prod"}

// benchWorld has models × 3 stages live, each deployed by an apply that
// left its provenance and evidence record.
func benchWorld(b *testing.B, models int) (*world.World, *manifest.Config, map[string]*manifest.ModelDoc) {
	w, err := world.New(world.Options{EndpointDelay: time.Millisecond, PackageDelay: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	cfg := *w.Config
	staging, _ := cfg.Environment("staging")
	qa := staging
	qa.Name, qa.ArtifactBucket = "qa", "acme-ml-artifacts-qa"
	if err := w.AWS.S3().CreateBucket(qa.ArtifactBucket, qa.Account); err != nil {
		b.Fatal(err)
	}
	cfg.Environments = append([]manifest.Environment{qa}, cfg.Environments...)

	docs := map[string]*manifest.ModelDoc{}
	type job struct {
		model string
		env   manifest.Environment
	}
	var jobs []job
	for i := 0; i < models; i++ {
		name := fmt.Sprintf("model-%03d", i)
		yaml := fmt.Sprintf("version: 1\nmodel: %s\nmodelPackageGroup: %s\nstages:\n", name, name)
		for _, s := range benchStages {
			yaml += fmt.Sprintf("  %s:\n    version: 1\n    endpoint:\n      name: %s-%s\n      instanceType: ml.m5.large\n      instanceCount: 1\n", s, name, s)
			env, _ := cfg.Environment(s)
			jobs = append(jobs, job{name, env})
		}
		doc, ps := manifest.ParseModel("promotions/"+name+".yaml", []byte(yaml))
		if len(ps) > 0 {
			b.Fatal(ps)
		}
		docs[name] = doc
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = deployed(b.Context(), w, j.env, j.model)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return w, &cfg, docs
}

// deployed leaves what an apply of version 1 leaves: a target package
// with provenance, a model, a config, the endpoint InService, the record.
func deployed(ctx context.Context, w *world.World, env manifest.Environment, model string) error {
	sm := sagemaker.NewFromConfig(w.AdminAWS(env.Account))
	group := model + "-" + env.Name // groups are per account; keep them apart
	merge := fmt.Sprintf("%040x", len(model)*7919+len(env.Name))
	source := fmt.Sprintf("arn:aws:sagemaker:%s:%s:model-package/%s/1", world.Region, world.DevAccount, model)
	recordKey := apply.RecordKey(model, 1, merge)
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)}); err != nil {
		return err
	}
	pkg, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String(group), ModelApprovalStatus: smtypes.ModelApprovalStatusApproved,
		InferenceSpecification: &smtypes.InferenceSpecification{
			Containers:                 []smtypes.ModelPackageContainerDefinition{{Image: aws.String("111111111111.dkr.ecr.eu-west-1.amazonaws.com/x@sha256:" + fmt.Sprintf("%064x", 1)), ModelDataUrl: aws.String("s3://" + env.ArtifactBucket + "/" + model + "/1/model.tar.gz")}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"}},
		CustomerMetadataProperties: map[string]string{plan.ProvenanceSourceARN: source, plan.ProvenanceMergeSHA: merge,
			plan.ProvenanceApprovers: "bob", plan.ProvenanceEvidence: "s3://" + env.ArtifactBucket + "/" + recordKey},
	})
	if err != nil {
		return err
	}
	name := model + "-" + env.Name
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String(name), ExecutionRoleArn: aws.String(env.ExecutionRoleARN),
		PrimaryContainer: &smtypes.ContainerDefinition{ModelPackageName: pkg.ModelPackageArn}}); err != nil {
		return err
	}
	if _, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(name),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(name),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}}); err != nil {
		return err
	}
	if _, err := sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(name), EndpointConfigName: aws.String(name)}); err != nil {
		return err
	}
	rec := fmt.Sprintf(`{"schemaVersion":1,"model":%q,"stage":%q,"toVersion":1,"pullRequest":{"number":1,"mergeSha":%q},"outcome":"success"}`, model, env.Name, merge)
	_, err = artifacts.Client(w.AdminAWS(env.Account), true).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.ArtifactBucket),
		Key: aws.String(recordKey), Body: bytes.NewReader([]byte(rec))})
	return err
}

// BenchmarkStatus reads 200 models × 3 stages with 50 ms per AWS call, at
// several bounds of stages in flight per account, and reports the wall
// time as a multiple of the longest chain of dependent calls (1.0 is the
// floor) and the AWS calls per run (5 per stage and one AssumeRole per
// environment: they grow with stages, not history). qa and staging share
// an account, so at a bound of c that account's 400 stages take at least
// 400/c × 5 calls × 50 ms; above that, a loaded 2-core machine's CPU
// (signing and serving 3,000 requests) is the limit.
//
//	go test -run XXX -bench Status -benchtime 1x ./internal/status
func BenchmarkStatus(b *testing.B) {
	const models = 200
	w, cfg, docs := benchWorld(b, models)
	for _, c := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("models=%d/stages=3/concurrency=%d", models, c), func(b *testing.B) {
			defer w.AWS.InjectFault(awsemu.Fault{Latency: awsLatency})()
			w.AWS.ResetRequests()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				// Fresh accounts: cold credentials and clients each run.
				readers := accounts.New(accounts.Options{Base: w.BotAWS()}).Readers()
				t := status.Collect(b.Context(), status.Sources{Stages: endpoints.NewStages(readers),
					Records: &artifacts.Evidence{Configs: readers, PathStyle: true}, Concurrency: c}, cfg, docs)
				for _, r := range t.Rows {
					if r.Error != "" || r.ServedVersion != 1 || r.LastPromotion == nil || r.LastPromotion.EvidenceError != "" || r.LastPromotion.Outcome != "success" {
						b.Fatalf("%s/%s: %+v", r.Model, r.Stage, r)
					}
				}
				if len(t.Rows) != models*len(benchStages) {
					b.Fatalf("%d rows", len(t.Rows))
				}
			}
			wall := time.Since(start) / time.Duration(b.N)
			b.StopTimer()
			b.ReportMetric(wall.Seconds(), "wall-s/op")
			b.ReportMetric(wall.Seconds()/criticalPath().Seconds(), "x-critical-path")
			b.ReportMetric(float64(len(w.AWS.Requests()))/float64(b.N), "aws-calls/op")
		})
	}
}
