package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

var imageDigestRE = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// checkLineage checks what produced pkg: its status and approval, its
// artifacts, the job or pipeline that made it, and the metadata the policy
// requires.
func checkLineage(ctx context.Context, src Sources, pkg *ModelPackage, sp manifest.StagePolicy, add func(Gate, Severity, string)) *Lineage {
	where := src.registryName()
	if pkg.Status != "Completed" {
		add(GateLineage, SeverityError, fmt.Sprintf("%s version %d is %s in %s, not Completed", pkg.Group, pkg.Version, pkg.Status, where))
	}
	if pkg.ApprovalStatus != "Approved" {
		add(GateLineage, SeverityError, fmt.Sprintf("%s version %d is %s in %s: only Approved versions can be promoted", pkg.Group, pkg.Version, pkg.ApprovalStatus, where))
	}
	if len(pkg.Containers) == 0 {
		add(GateLineage, SeverityError, "the package has no inference container")
	}
	for _, c := range pkg.Containers {
		if sp.RequireImageDigest && !imageDigestRE.MatchString(c.Image) {
			add(GateLineage, SeverityError, fmt.Sprintf("image %s is not pinned by digest (@sha256:…), and the policy requires it", c.Image))
		}
	}
	if sp.RequireCommit {
		if pkg.CommitID == "" {
			add(GateLineage, SeverityError, "the package records no MetadataProperties.CommitId, and the policy requires it")
		}
		if pkg.Repository == "" {
			add(GateLineage, SeverityError, "the package records no MetadataProperties.Repository, and the policy requires it")
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	safeAdd := func(g Gate, s Severity, m string) { mu.Lock(); add(g, s, m); mu.Unlock() }
	for _, c := range pkg.Containers {
		if c.ModelDataURL == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := src.Objects.Stat(ctx, c.ModelDataURL); errors.Is(err, ErrNotFound) {
				safeAdd(GateLineage, SeverityError, fmt.Sprintf("model data %s does not exist", c.ModelDataURL))
			} else if err != nil {
				safeAdd(GateLineage, SeverityError, fmt.Sprintf("could not read model data %s: %v", c.ModelDataURL, err))
			}
		}()
	}
	var lin *Lineage
	if src.via != nil {
		lin = copyLineage(ctx, src, pkg, safeAdd)
	} else {
		lin = producer(ctx, src, pkg, safeAdd)
	}
	wg.Wait()
	return lin
}

// producer follows GeneratedBy: a pipeline execution and its training step,
// or a training job directly.
func producer(ctx context.Context, src Sources, pkg *ModelPackage, add func(Gate, Severity, string)) *Lineage {
	lin := &Lineage{}
	pkgStep := LineageStep{Kind: "model-package", Name: fmt.Sprintf("%s/%d", pkg.Group, pkg.Version), ARN: pkg.ARN, Status: pkg.ApprovalStatus}
	if pkg.GeneratedBy == "" {
		add(GateLineage, SeverityError, "the package records no MetadataProperties.GeneratedBy: what produced it is unknown")
		lin.Steps = append(lin.Steps, pkgStep)
		return lin
	}
	a, err := arn.Parse(pkg.GeneratedBy)
	if err != nil || a.Service != "sagemaker" {
		add(GateLineage, SeverityError, fmt.Sprintf("GeneratedBy %q is not a SageMaker pipeline execution or training job ARN", pkg.GeneratedBy))
		lin.Steps = append(lin.Steps, pkgStep)
		return lin
	}
	if a.AccountID != src.Source.Account || a.Region != src.Source.Region {
		add(GateLineage, SeverityError, fmt.Sprintf("GeneratedBy %s is in account %s/%s, not the source account %s/%s", pkg.GeneratedBy, a.AccountID, a.Region, src.Source.Account, src.Source.Region))
	}
	var jobs []string
	switch {
	case strings.HasPrefix(a.Resource, "pipeline/") && strings.Contains(a.Resource, "/execution/"):
		exec, err := src.Reg.PipelineExecution(ctx, pkg.GeneratedBy)
		if err != nil {
			add(GateLineage, SeverityError, fmt.Sprintf("pipeline execution %s: %v", pkg.GeneratedBy, err))
			break
		}
		lin.Steps = append(lin.Steps, LineageStep{Kind: "pipeline-execution", Name: a.Resource, ARN: exec.ARN, Status: exec.Status})
		if exec.Status != "Succeeded" {
			add(GateLineage, SeverityError, fmt.Sprintf("pipeline execution %s is %s, not Succeeded", a.Resource, exec.Status))
		}
		for _, s := range exec.Steps {
			if s.TrainingJobARN != "" {
				jobs = append(jobs, s.TrainingJobARN)
			}
		}
		if len(jobs) == 0 {
			add(GateLineage, SeverityError, fmt.Sprintf("pipeline execution %s has no training step", a.Resource))
		}
	case strings.HasPrefix(a.Resource, "training-job/"):
		jobs = append(jobs, pkg.GeneratedBy)
	default:
		add(GateLineage, SeverityError, fmt.Sprintf("GeneratedBy %s is neither a pipeline execution nor a training job", pkg.GeneratedBy))
	}
	dataURLs := map[string]bool{}
	for _, c := range pkg.Containers {
		dataURLs[c.ModelDataURL] = true
	}
	matched := false
	for _, j := range jobs {
		job, err := src.Reg.TrainingJob(ctx, j)
		if err != nil {
			add(GateLineage, SeverityError, fmt.Sprintf("training job %s: %v", j, err))
			continue
		}
		for _, ch := range slices.Sorted(maps.Keys(job.Inputs)) {
			lin.Steps = append(lin.Steps, LineageStep{Kind: "data", Name: ch, URI: job.Inputs[ch]})
		}
		lin.Steps = append(lin.Steps, LineageStep{Kind: "training-job", Name: job.Name, ARN: job.ARN, Status: job.Status})
		if job.Status != "Completed" {
			add(GateLineage, SeverityError, fmt.Sprintf("training job %s is %s, not Completed", job.Name, job.Status))
		}
		if dataURLs[job.ModelArtifacts] {
			matched = true
		}
	}
	if len(jobs) > 0 && !matched {
		add(GateLineage, SeverityError, "no training job in the lineage produced the package's model data: the artifacts do not come from the recorded job")
	}
	lin.Steps = append(lin.Steps, pkgStep)
	return lin
}

// checkStageOrder checks that the version is live in the `after` stage,
// for at least the soak time.
func checkStageOrder(ctx context.Context, src Sources, cfg *manifest.Config, pr *Promotion, sp manifest.StagePolicy, add func(Gate, Severity, string)) {
	after := pr.Environment.After
	if after == "" || pr.IsReconfiguration() || pr.AfterEndpoint == "" && !pr.AfterRegistry {
		return
	}
	env, ok := cfg.Environment(after)
	if !ok {
		return
	}
	if pr.AfterRegistry {
		checkRegistered(ctx, src, cfg, env, pr, sp, add)
		return
	}
	s, err := src.Stages.Serving(ctx, env, pr.AfterEndpoint)
	switch {
	case err != nil:
		add(GatePolicy, SeverityError, fmt.Sprintf("could not read what %s serves on %s: %v", after, pr.AfterEndpoint, err))
		return
	case s == nil:
		add(GatePolicy, SeverityError, fmt.Sprintf("version %d is not live in %s: endpoint %s does not exist there", pr.ToVersion, after, pr.AfterEndpoint))
		return
	}
	pr.Details.PreviousStage = s
	if group, version, ok := PackageGroupVersion(s.SourcePackageARN); !ok || version != pr.ToVersion || !strings.EqualFold(group, pr.ModelPackageGroup) {
		add(GatePolicy, SeverityError, fmt.Sprintf("version %d is not live in %s: %s serves %s", pr.ToVersion, after, pr.AfterEndpoint, describeServing(s)))
		return
	}
	if s.EndpointStatus != "InService" {
		add(GatePolicy, SeverityError, fmt.Sprintf("endpoint %s in %s is %s, not InService", pr.AfterEndpoint, after, s.EndpointStatus))
		return
	}
	if soak := sp.SoakTime.Duration; soak > 0 {
		if live := src.now().Sub(s.Since); live < soak {
			add(GatePolicy, SeverityPending, fmt.Sprintf("soaking: version %d has been live in %s for %s of the %s the policy requires", pr.ToVersion, after, live.Round(time.Minute), soak))
		}
	}
}

func describeServing(s *Serving) string {
	if s.SourceVersion == 0 {
		return fmt.Sprintf("config %s, which modelpromote did not deploy", s.EndpointConfig)
	}
	return fmt.Sprintf("version %d", s.SourceVersion)
}

// checkRegistered checks that the version is in the `after` stage when
// that stage is registry-only: its registry holds an approved copy of the
// source package, registered at least the soak time ago. The copy is found
// by the provenance apply wrote into it; the chain of custody then holds
// the promotion to the bytes that stage's evidence record lists.
func checkRegistered(ctx context.Context, src Sources, cfg *manifest.Config, env manifest.Environment, pr *Promotion, sp manifest.StagePolicy, add func(Gate, Severity, string)) {
	after := env.Name
	want := SourceARN(cfg.Source, pr.ModelPackageGroup, pr.ToVersion)
	l, err := src.Stages.Registered(ctx, env, pr.ModelPackageGroup, want)
	switch {
	case errors.Is(err, ErrNotShared) && pr.Details.Source != nil:
		add(GatePolicy, SeverityError, pr.Details.Source.NotShared(pr.ModelPackageGroup, err))
		return
	case err != nil:
		add(GatePolicy, SeverityError, fmt.Sprintf("could not read %s's registry (account %s): %v", after, env.Account, err))
		return
	case l == nil:
		add(GatePolicy, SeverityError, fmt.Sprintf("version %d is not in %s: its registry (account %s) holds no copy of %s; promote it to %s first", pr.ToVersion, after, env.Account, want, after))
		return
	}
	s := l.Serving
	pr.Details.PreviousStage = &s
	if s.ApprovalStatus != "Approved" {
		add(GatePolicy, SeverityError, fmt.Sprintf("%s's copy of version %d (%s) is %s, not Approved", after, pr.ToVersion, s.TargetPackageARN, s.ApprovalStatus))
		return
	}
	if soak := sp.SoakTime.Duration; soak > 0 {
		if held := src.now().Sub(s.Since); held < soak {
			add(GatePolicy, SeverityPending, fmt.Sprintf("soaking: version %d has been in %s for %s of the %s the policy requires", pr.ToVersion, after, held.Round(time.Minute), soak))
		}
	}
}
