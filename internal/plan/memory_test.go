package plan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// In-memory sources for the gates' domain tests. They are plain data
// stores: what exists is in their maps, and a key in broken makes every
// read of that thing fail with the error given, as an unreachable or
// forbidden resource would. Scenario tests cross the same interfaces with
// the real SDK adapters against the emulators.

// memRegistry is a source registry: packages by "group/version",
// pipeline executions by ARN, training jobs by name and by ARN, model cards
// by name.
type memRegistry struct {
	packages  map[string]*ModelPackage
	pipelines map[string]*PipelineExecution
	jobs      map[string]*TrainingJob
	cards     map[string]*ModelCard
	broken    map[string]error
}

func lookup[T any](m map[string]*T, broken map[string]error, key string) (*T, error) {
	if err := broken[key]; err != nil {
		return nil, err
	}
	v, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return v, nil
}

func (r *memRegistry) ModelPackage(_ context.Context, group string, version int) (*ModelPackage, error) {
	return lookup(r.packages, r.broken, fmt.Sprintf("%s/%d", group, version))
}

func (r *memRegistry) PipelineExecution(_ context.Context, arn string) (*PipelineExecution, error) {
	return lookup(r.pipelines, r.broken, arn)
}

func (r *memRegistry) TrainingJob(_ context.Context, nameOrARN string) (*TrainingJob, error) {
	return lookup(r.jobs, r.broken, nameOrARN)
}

func (r *memRegistry) ModelCard(_ context.Context, name string) (*ModelCard, error) {
	return lookup(r.cards, r.broken, name)
}

// memObject is one S3 object.
type memObject struct {
	data     []byte
	modified time.Time
}

// memObjects is a set of S3 objects by URI.
type memObjects struct {
	objects map[string]memObject
	broken  map[string]error
}

func (o *memObjects) Stat(_ context.Context, uri string) (ObjectInfo, error) {
	if err := o.broken[uri]; err != nil {
		return ObjectInfo{}, err
	}
	obj, ok := o.objects[uri]
	if !ok {
		return ObjectInfo{}, fmt.Errorf("%s: %w", uri, ErrNotFound)
	}
	return ObjectInfo{URI: uri, Size: int64(len(obj.data)), LastModified: obj.modified}, nil
}

func (o *memObjects) Open(ctx context.Context, uri string) (io.ReadCloser, ObjectInfo, error) {
	info, err := o.Stat(ctx, uri)
	if err != nil {
		return nil, info, err
	}
	return io.NopCloser(bytes.NewReader(o.objects[uri].data)), info, nil
}

// memStages is what the target environments serve, by "stage/endpoint".
// An endpoint missing from the map does not exist.
type memStages struct {
	serving map[string]*Serving
	broken  map[string]error
	// registered is what registry-only stages hold, by
	// "stage/source package ARN".
	registered map[string]*Live
}

func (s *memStages) Registered(_ context.Context, env manifest.Environment, _, sourceARN string) (*Live, error) {
	key := env.Name + "/" + sourceARN
	if err := s.broken[key]; err != nil {
		return nil, err
	}
	if l, ok := s.registered[key]; ok {
		c := *l
		return &c, nil
	}
	return nil, nil
}

func (s *memStages) Serving(_ context.Context, env manifest.Environment, endpoint string) (*Serving, error) {
	key := env.Name + "/" + endpoint
	if err := s.broken[key]; err != nil {
		return nil, err
	}
	if sv, ok := s.serving[key]; ok {
		c := *sv
		return &c, nil
	}
	return nil, nil
}

// memImages is Amazon ECR: images by "registry/region/repository" →
// digest → tags, and repository policies by "registry/region/repository".
// A key in broken makes every read of that repository fail.
type memImages struct {
	repos    map[string]map[string][]string
	policies map[string]string
	broken   map[string]error
}

func repoKey(r ImageRef) string { return r.Registry + "/" + r.Region + "/" + r.Repository }

func (m *memImages) Digest(_ context.Context, _ *manifest.Environment, r ImageRef) (string, error) {
	if err := m.broken[repoKey(r)]; err != nil {
		return "", err
	}
	imgs, ok := m.repos[repoKey(r)]
	if !ok {
		return "", fmt.Errorf("repository %s: %w", r.Repository, ErrNotFound)
	}
	tag := r.Tag
	if tag == "" && r.Digest == "" {
		tag = "latest"
	}
	for d, tags := range imgs {
		if (r.Digest == "" || d == r.Digest) && (r.Digest != "" || slices.Contains(tags, tag)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%s: %w", r, ErrNotFound)
}

func (m *memImages) RepositoryPolicy(_ context.Context, _ *manifest.Environment, r ImageRef) (string, error) {
	if err := m.broken[repoKey(r)]; err != nil {
		return "", err
	}
	p, ok := m.policies[repoKey(r)]
	if !ok {
		return "", fmt.Errorf("policy of %s: %w", r.Repository, ErrNotFound)
	}
	return p, nil
}

// put pushes an image: a tag another image holds moves to it.
func (m *memImages) put(r ImageRef, digest string, tags ...string) {
	imgs := m.repos[repoKey(r)]
	if imgs == nil {
		imgs = map[string][]string{}
		m.repos[repoKey(r)] = imgs
	}
	for d := range imgs {
		imgs[d] = slices.DeleteFunc(imgs[d], func(t string) bool { return slices.Contains(tags, t) })
	}
	imgs[digest] = append(imgs[digest], tags...)
}

// stagesPull is the source repository's policy of the gate tests' world:
// staging's and prod's accounts may pull.
const stagesPull = `{"Version":"2012-10-17","Statement":[{"Sid":"StagesPull","Effect":"Allow",
 "Principal":{"AWS":["arn:aws:iam::222222222222:root","arn:aws:iam::333333333333:root"]},
 "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"]}]}`

// The world the gate tests start from: the example promotions repository
// (fraud-detector runs version 12 in staging and 11 in prod) with a source
// account holding versions 11, 12 and 13 of fraud-detector, each produced by
// a succeeded pipeline and carrying every report, and target accounts
// serving what the manifests say. Every gate passes for promoting 13 into
// staging, or 12 into prod; each case breaks one thing.
const (
	srcAccount = "111111111111"
	srcRegion  = "eu-west-1"
	fraud      = "fraud-detector"
	devBucket  = "s3://ml-artifacts-dev/fraud-detector"
	headSHA    = "2222222222222222222222222222222222222222"
	oldSHA     = "3333333333333333333333333333333333333333"
	goodImage  = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/xgboost@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// worldNow is the clock of every gate test.
var worldNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type world struct {
	reg    *memRegistry
	objs   *memObjects
	stages *memStages
	images *memImages
	// deployed are the evidence records serve left, as apply writes them.
	deployed []PastDeployment
	// maxReportBytes is Sources.MaxReportBytes.
	maxReportBytes int64
}

// versionMetrics are the model quality and bias metrics of each version:
// 12 is a little better than 11, 13 a little better than 12.
var versionMetrics = map[int]struct{ auc, recall, di float64 }{
	11: {0.900, 0.720, 0.95},
	12: {0.905, 0.730, 0.97},
	13: {0.910, 0.735, 0.98},
}

func newWorld() *world {
	w := &world{
		reg: &memRegistry{packages: map[string]*ModelPackage{}, pipelines: map[string]*PipelineExecution{},
			jobs: map[string]*TrainingJob{}, cards: map[string]*ModelCard{}, broken: map[string]error{}},
		objs:   &memObjects{objects: map[string]memObject{}, broken: map[string]error{}},
		stages: &memStages{serving: map[string]*Serving{}, broken: map[string]error{}},
		images: &memImages{repos: map[string]map[string][]string{}, policies: map[string]string{}, broken: map[string]error{}},
	}
	img, _ := ParseImage(goodImage)
	w.images.put(img, img.Digest, "latest")
	w.images.policies[repoKey(img)] = stagesPull
	for v, m := range versionMetrics {
		w.addVersion(v, qualityReport(m.auc, m.recall, 0.004), m.di)
	}
	w.reg.cards[fraud] = &ModelCard{Name: fraud, Version: 3, Status: "Approved", UpdatedAt: worldNow.Add(-72 * time.Hour),
		Content: evidence.SampleModelCard(fraud, "Medium", map[string]float64{"auc": 0.905})}
	w.serve("staging", "fraud-detector-staging", 12, worldNow.Add(-48*time.Hour))
	w.serve("prod", fraud, 11, worldNow.Add(-30*24*time.Hour))
	return w
}

func (w *world) sources() Sources {
	return Sources{Source: manifest.Source{Account: srcAccount, Region: srcRegion}, Reg: w.reg, Objects: w.objs, Stages: w.stages, Images: w.images,
		History: memHistory{records: w.deployed, objs: w.objs}, Now: func() time.Time { return worldNow }, MaxReportBytes: w.maxReportBytes}
}

func sourceARN(resource string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s", srcRegion, srcAccount, resource)
}

func packageARN(v int) string { return sourceARN(fmt.Sprintf("model-package/%s/%d", fraud, v)) }
func pipelineARN(v int) string {
	return sourceARN(fmt.Sprintf("pipeline/fraud-training/execution/exec%d", v))
}
func jobName(v int) string            { return fmt.Sprintf("fraud-train-%d", v) }
func jobARN(v int) string             { return sourceARN("training-job/" + jobName(v)) }
func artifact(v int, p string) string { return fmt.Sprintf("%s/%d/%s", devBucket, v, p) }

// qualityReport is a binary classification statistics report.
func qualityReport(auc, recall, stdDev float64) []byte {
	return evidence.SampleModelQuality(evidence.BinaryClassification,
		map[string]float64{"auc": auc, "recall": recall, "accuracy": 0.96, "precision": 0.5, "f1": 0.6}, stdDev)
}

// dataStatistics is a data quality statistics report whose one feature
// has the given minimum.
func dataStatistics(min float64) []byte {
	return evidence.SampleDataStatistics(evidence.DataStatistics{ItemCount: evidence.Num(2000), Features: []evidence.FeatureStatistics{{
		Name: "amount", InferredType: "Fractional", Present: evidence.Num(2000), Missing: evidence.Num(0),
		Numerical: &evidence.NumericalStatistics{Mean: evidence.Num(52), Sum: evidence.Num(104000), StdDev: evidence.Num(20), Min: evidence.Num(min), Max: evidence.Num(900)},
	}}})
}

// addVersion registers version v of fraud-detector: its pipeline execution
// and training job, its model data, and its reports with their digests.
func (w *world) addVersion(v int, quality []byte, di float64) {
	modelData := artifact(v, "model.tar.gz")
	pkg := &ModelPackage{
		ARN: packageARN(v), Group: fraud, Version: v, Status: "Completed", ApprovalStatus: "Approved",
		CreatedAt:  worldNow.Add(-time.Duration(20-v) * 24 * time.Hour),
		Containers: []Container{{Image: goodImage, ModelDataURL: modelData}},
		CommitID:   "9f1c2e7", Repository: "https://github.com/acme/fraud-model", GeneratedBy: pipelineARN(v),
		ModelCardName: fraud,
	}
	w.reg.packages[fmt.Sprintf("%s/%d", fraud, v)] = pkg
	w.reg.pipelines[pipelineARN(v)] = &PipelineExecution{ARN: pipelineARN(v), Status: "Succeeded", Steps: []PipelineStep{
		{Name: "Preprocess", Status: "Succeeded", ProcessingJobARN: sourceARN(fmt.Sprintf("processing-job/fraud-prep-%d", v))},
		{Name: "Train", Status: "Succeeded", TrainingJobARN: jobARN(v)},
		{Name: "Register", Status: "Succeeded", ModelPackageARN: packageARN(v)},
	}}
	job := &TrainingJob{Name: jobName(v), ARN: jobARN(v), Status: "Completed", ModelArtifacts: modelData,
		Inputs: map[string]string{"train": "s3://ml-datasets-dev/fraud/train/", "validation": "s3://ml-datasets-dev/fraud/validation/"}}
	w.reg.jobs[job.Name], w.reg.jobs[job.ARN] = job, job
	w.put(modelData, []byte("model bytes of version "+fmt.Sprint(v)))

	clarify := evidence.SampleClarify(map[string]float64{"bias.post_training.DI": di, "bias.post_training.DPPL": 0.02},
		map[string]float64{"amount": 0.31, "merchant_category": 0.22, "hour": 0.05 + float64(v)/1000})
	w.report(pkg, manifest.ReportModelQuality, PartStatistics, artifact(v, "quality/statistics.json"), quality)
	w.report(pkg, manifest.ReportModelQuality, PartConstraints, artifact(v, "quality/constraints.json"),
		evidence.SampleConstraints(evidence.BinaryClassification, map[string]float64{"auc": 0.7}))
	w.report(pkg, manifest.ReportDataQuality, PartStatistics, artifact(v, "data/statistics.json"), dataStatistics(0.5))
	w.report(pkg, manifest.ReportDataQuality, PartConstraints, artifact(v, "data/constraints.json"),
		evidence.SampleDataConstraints(evidence.DataConstraints{Features: []evidence.FeatureConstraint{
			{Name: "amount", InferredType: "Fractional", Completeness: evidence.Num(1), NonNegative: true},
		}}))
	// One Clarify analysis backs both kinds, as a combined Clarify job writes it.
	w.report(pkg, manifest.ReportBiasPostTraining, PartReport, artifact(v, "clarify/analysis.json"), clarify)
	w.report(pkg, manifest.ReportExplainability, PartReport, artifact(v, "clarify/analysis.json"), clarify)
}

// put writes an object, last modified two days ago.
func (w *world) put(uri string, data []byte) {
	w.objs.objects[uri] = memObject{data: data, modified: worldNow.Add(-48 * time.Hour)}
}

// report writes a report and records it, with its digest, in pkg's ModelMetrics.
func (w *world) report(pkg *ModelPackage, kind manifest.ReportKind, part, uri string, data []byte) {
	w.put(uri, data)
	pkg.Reports = append(pkg.Reports, ReportRef{Kind: kind, Part: part, S3URI: uri, ContentType: "application/json",
		Digest: evidence.DigestOf(data).String()})
}

// pkg returns version v of fraud-detector, to change.
func (w *world) pkg(v int) *ModelPackage { return w.reg.packages[fmt.Sprintf("%s/%d", fraud, v)] }

// ref returns version v's report of kind and part, to change.
func (w *world) ref(v int, kind manifest.ReportKind, part string) *ReportRef {
	for i, r := range w.pkg(v).Reports {
		if r.Kind == kind && r.Part == part {
			return &w.pkg(v).Reports[i]
		}
	}
	panic(fmt.Sprintf("version %d has no %s %s report", v, kind, part))
}

// rewrite replaces the bytes of version v's report of kind and part, and
// records the new bytes' digest, as a re-registered package would.
func (w *world) rewrite(v int, kind manifest.ReportKind, part string, data []byte) {
	r := w.ref(v, kind, part)
	w.put(r.S3URI, data)
	r.Digest = evidence.DigestOf(data).String()
}

// dropReports removes version v's reports of kind (and part, when given).
func (w *world) dropReports(v int, kind manifest.ReportKind, part string) {
	pkg := w.pkg(v)
	kept := pkg.Reports[:0]
	for _, r := range pkg.Reports {
		if r.Kind != kind || (part != "" && r.Part != part) {
			kept = append(kept, r)
		}
	}
	pkg.Reports = kept
}

// copyOf is where apply copies uri of version v into stage's bucket.
func copyOf(stage string, v int, uri string) string {
	return fmt.Sprintf("s3://acme-ml-artifacts-%s/%s", stage, TargetKey(ArtifactPrefix(fraud, v), uri))
}

// serve makes stage's endpoint serve version v of fraud-detector since
// since, as apply would have: the package's objects copied into the
// stage's bucket, and its evidence record listing them with the digests
// of the bytes they had then.
func (w *world) serve(stage, endpoint string, v int, since time.Time) {
	d := PastDeployment{Model: fraud, Stage: stage, Version: v, SourcePackageARN: packageARN(v), Endpoint: endpoint,
		PullRequest: 40 + v, MergeSHA: fmt.Sprintf("%040x", len(w.deployed)+1), FinishedAt: since, Outcome: "success"}
	pkg := w.pkg(v)
	uris := []string{}
	for _, c := range pkg.Containers {
		uris = append(uris, c.ModelDataURL)
	}
	for _, r := range pkg.Reports {
		if !slices.Contains(uris, r.S3URI) {
			uris = append(uris, r.S3URI)
		}
	}
	for _, uri := range uris {
		obj, ok := w.objs.objects[uri]
		if !ok {
			continue
		}
		sum := sha256.Sum256(obj.data)
		target := copyOf(stage, v, uri)
		w.objs.objects[target] = obj
		d.Artifacts = append(d.Artifacts, PastArtifact{Binding: Binding{URI: uri, Size: int64(len(obj.data)), SHA256: hex.EncodeToString(sum[:])}, Target: target})
	}
	w.deployed = append(w.deployed, d)
	w.stages.serving[stage+"/"+endpoint] = &Serving{Endpoint: endpoint, EndpointStatus: "InService",
		EndpointConfig: fmt.Sprintf("%s-v%d", endpoint, v), SourcePackageARN: packageARN(v), SourceVersion: v,
		TargetPackageARN: strings.Replace(packageARN(v), srcAccount, "222222222222", 1), Since: since}
}

// exampleTree is the example promotions repository.
func exampleTree(t *testing.T) manifest.Tree {
	t.Helper()
	tree, err := manifest.ReadDir("../..", "promotions")
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// edit returns a copy of tree with file's first occurrence of old replaced
// by new; it fails the test when old is not there.
func edit(t *testing.T, tree manifest.Tree, file, old, new string) manifest.Tree {
	t.Helper()
	text := string(tree[file])
	if !strings.Contains(text, old) {
		t.Fatalf("%s has no %q", file, old)
	}
	out := maps.Clone(tree)
	out[file] = []byte(strings.Replace(text, old, new, 1))
	return out
}

// The two promotions the gate tests judge.
const (
	toStaging = "staging" // fraud-detector 12 → 13
	toProd    = "prod"    // fraud-detector 11 → 12
)

// promotionPlan is the offline plan of a change to fraud-detector.yaml:
// each pair of edits replaces its first string by its second; without
// edits, the change promotes fraud-detector into stage.
func promotionPlan(t *testing.T, stage string, edits ...string) *Plan {
	t.Helper()
	if len(edits) == 0 {
		edits = []string{"version: 12", "version: 13"}
		if stage == toProd {
			edits = []string{"    version: 11", "    version: 12"}
		}
	}
	base := exampleTree(t)
	head := base
	for i := 0; i+1 < len(edits); i += 2 {
		head = edit(t, head, "promotions/fraud-detector.yaml", edits[i], edits[i+1])
	}
	return Build(Input{Base: "main", Head: "head", BaseTree: base, HeadTree: head})
}

// promotionInto returns the plan's promotion into stage.
func promotionInto(t *testing.T, p *Plan, stage string) Promotion {
	t.Helper()
	for _, pr := range p.Promotions {
		if pr.Stage == stage {
			return pr
		}
	}
	t.Fatalf("no promotion into %s in %+v", stage, p.Promotions)
	return Promotion{}
}

// want is a finding a test expects: its gate, severity and words of its
// message.
type want struct {
	gate  Gate
	sev   Severity
	words []string
}

func (w want) matches(f Finding) bool {
	if f.Gate != w.gate || f.Severity != w.sev {
		return false
	}
	for _, word := range w.words {
		if !strings.Contains(f.Message, word) {
			return false
		}
	}
	return true
}

// assertFindings checks that every wanted finding is among the
// promotion's, and that every finding that holds or fails a gate (errors
// and pending) was wanted.
func assertFindings(t *testing.T, p *Plan, pr Promotion, wants []want) {
	t.Helper()
	got := p.FindingsFor(pr.Model, pr.Stage)
	for _, w := range wants {
		if !sliceAny(got, w.matches) {
			t.Errorf("missing %s %s finding with %q", w.gate, w.sev, w.words)
		}
	}
	for _, f := range got {
		if (f.Severity == SeverityError || f.Severity == SeverityPending) && !sliceAny(wants, func(w want) bool { return w.matches(f) }) {
			t.Errorf("unexpected %s %s finding: %s", f.Gate, f.Severity, f.Message)
		}
	}
	if t.Failed() {
		for _, f := range got {
			t.Logf("finding: %s %s: %s", f.Gate, f.Severity, f.Message)
		}
	}
}

func sliceAny[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}

// assertGates checks the status of each gate in checked: the one notPass
// gives, pass otherwise.
func assertGates(t *testing.T, pr Promotion, checked []Gate, notPass map[Gate]Status) {
	t.Helper()
	for _, g := range checked {
		want, ok := notPass[g]
		if !ok {
			want = StatusPass
		}
		if got := pr.Status(g); got != want {
			t.Errorf("%s gate = %s, want %s", g, got, want)
		}
	}
}

// awsGates are the gates CheckAWS judges, with the offline ones.
var awsGates = []Gate{GateManifest, GatePolicy, GateLineage, GateCompliance, GateEvaluation}

// gateCase is one table row of the AWS-backed gate tests: a change to the
// world, and what the gates must say about promoting into stage.
type gateCase struct {
	name   string
	stage  string
	change func(w *world)
	want   []want
	gates  map[Gate]Status // the gates that do not pass
	// edits, when set, are the change to fraud-detector.yaml (see
	// promotionPlan) instead of promoting into stage.
	edits []string
	// skip, when set, is why the case is skipped: a fail-open bug whose
	// fix is under way; the case asserts the closed behaviour.
	skip string
}

// runGateCases judges each case's promotion with CheckAWS over the
// in-memory sources and checks the findings and gate statuses.
func runGateCases(t *testing.T, cases []gateCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			p, _ := checkedPlan(t, c.stage, c.change, c.edits...)
			pr := promotionInto(t, p, c.stage)
			assertFindings(t, p, pr, c.want)
			assertGates(t, pr, awsGates, c.gates)
		})
	}
}

// checkedPlan builds the change (see promotionPlan), changes the world,
// and runs the AWS-backed checks.
func checkedPlan(t *testing.T, stage string, change func(w *world), edits ...string) (*Plan, *world) {
	t.Helper()
	w := newWorld()
	if change != nil {
		change(w)
	}
	p := promotionPlan(t, stage, edits...)
	p.CheckAWS(context.Background(), p.Config, w.sources())
	p.SetGates(awsGates...)
	return p, w
}
