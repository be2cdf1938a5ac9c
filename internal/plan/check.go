package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// CheckAWS runs the AWS-backed checks of every promotion: lineage,
// compliance, evaluation and stage order. Promotions are checked in
// parallel, and within a promotion every read that does not depend on
// another runs at once. It fills each promotion's Details, adds findings,
// and records drift for the stages the change touches.
func (p *Plan) CheckAWS(ctx context.Context, cfg *manifest.Config, src Sources) {
	p.mergeAWS(p.checkAWS(ctx, cfg, src.memoized()))
}

// Check runs every online check (the AWS-backed ones and the governance
// gate) at once, then sets every promotion's gates. Plans whose base has no
// valid configuration are left as they are: they already fail.
func (p *Plan) Check(ctx context.Context, src Sources, facts PullRequestFacts, dir Directory) {
	if p.Config == nil {
		return
	}
	src = src.memoized()
	// What each target endpoint serves is the head of the longest chain of
	// reads (endpoint → config → model → package → the live version's
	// records and reports): its reads start now, beside the rollback
	// lookup, and the promotions' checks find them in the memo.
	prefetched := p.prefetchServing(ctx, src)
	defer prefetched.Wait()
	// Rollbacks and break-glass change which gates apply: known first.
	p.findRollbacks(ctx, src)
	p.grantBreakGlass(facts.BreakGlass)
	p.dropWaivedStageOrder()
	dir = newMemoDirectory(dir)
	var aws []promotionResult
	var gov governance
	var glass []*Approvals
	var wg sync.WaitGroup
	wg.Go(func() { aws = p.checkAWS(ctx, p.Config, src) })
	wg.Go(func() { gov = p.judgeGovernance(ctx, p.Config, facts, dir) })
	wg.Go(func() { glass = p.judgeBreakGlass(ctx, facts, dir) })
	wg.Wait()
	p.mergeAWS(aws)
	p.mergeGovernance(gov)
	p.mergeBreakGlass(glass)
	p.checkFreezes(src.now())
	p.SetGates(Gates...)
}

// prefetchServing reads, in the background, what every promotion's target
// endpoint serves, as readLive will (into src's memo). Wait on the result
// before src's readers go.
func (p *Plan) prefetchServing(ctx context.Context, src Sources) *sync.WaitGroup {
	var wg sync.WaitGroup
	if src.Stages == nil {
		return &wg
	}
	for i := range p.Promotions {
		pr := &p.Promotions[i]
		if pr.Environment.RegistryOnly {
			continue
		}
		env, endpoint := pr.Environment, pr.To.Name
		wg.Go(func() { _, _ = src.Stages.Serving(ctx, env, endpoint) })
	}
	return &wg
}

// checkAWS checks every promotion in parallel. Each goroutine writes only
// its own promotion's Details.
func (p *Plan) checkAWS(ctx context.Context, cfg *manifest.Config, src Sources) []promotionResult {
	per := make([]promotionResult, len(p.Promotions))
	var wg sync.WaitGroup
	for i := range p.Promotions {
		wg.Go(func() { per[i] = checkPromotion(ctx, cfg, src, &p.Promotions[i]) })
	}
	wg.Wait()
	return per
}

func (p *Plan) mergeAWS(per []promotionResult) {
	for _, r := range per {
		p.Findings = append(p.Findings, r.findings...)
		if r.drift != nil {
			p.Drift = append(p.Drift, *r.drift)
		}
	}
	p.bind()
}

type promotionResult struct {
	findings []Finding
	drift    *Drift
}

func checkPromotion(ctx context.Context, cfg *manifest.Config, src Sources, pr *Promotion) promotionResult {
	var res promotionResult
	var mu sync.Mutex
	add := func(g Gate, s Severity, msg string) {
		mu.Lock()
		defer mu.Unlock()
		res.findings = append(res.findings, Finding{Gate: g, Severity: s, Model: pr.Model, Stage: pr.Stage, File: pr.File, Pos: pr.Pos, Message: msg})
	}
	sp := pr.JudgedPolicy(cfg)
	now := src.now()
	src, detail, err := src.forStage(cfg, pr.Environment)
	pr.Details.Source = detail
	if err != nil {
		add(GateLineage, SeverityError, err.Error())
		add(GateCompliance, SeverityError, "not checked: the package could not be read")
		add(GateEvaluation, SeverityError, "not checked: the package could not be read")
		return res
	}

	var side sync.WaitGroup
	if !pr.waivesTiming() {
		side.Go(func() { checkStageOrder(ctx, src, cfg, pr, sp, add) })
	}
	var live liveState
	side.Go(func() { live = readLive(ctx, src, pr, sp, now, add) })

	pkg, err := src.Reg.ModelPackage(ctx, pr.ModelPackageGroup, pr.ToVersion)
	if err != nil {
		msg := fmt.Sprintf("could not read %s version %d from %s: %v", pr.ModelPackageGroup, pr.ToVersion, src.registryName(), err)
		switch {
		case errors.Is(err, ErrNotShared) && detail != nil:
			msg = detail.NotShared(pr.ModelPackageGroup, err)
		case errors.Is(err, ErrNotFound) && src.via != nil:
			msg = fmt.Sprintf("%s (account %s) holds no copy of version %d of model package group %s: promote it to %s first", src.registryName(), src.Source.Account, pr.ToVersion, pr.ModelPackageGroup, src.via.Name)
		case errors.Is(err, ErrNotFound):
			msg = fmt.Sprintf("version %d of model package group %s does not exist in the source account %s", pr.ToVersion, pr.ModelPackageGroup, src.Source.Account)
		}
		add(GateLineage, SeverityError, msg)
		add(GateCompliance, SeverityError, "not checked: the source package could not be read")
		add(GateEvaluation, SeverityError, "not checked: the source package could not be read")
		side.Wait()
		pr.Details.Live = live.serving
		res.drift = drift(pr, live.serving)
		return res
	}
	pr.Details.Package = pkg

	var work sync.WaitGroup
	work.Go(func() { pr.Details.Lineage = checkLineage(ctx, src, pkg, sp, add) })
	var checks []ReportCheck
	var set reportSet
	rr := newReportReader(src)
	work.Go(func() { checks, set = rr.readReports(ctx, pkg, kindsToRead(sp), sp, now) })
	var chain custody
	work.Go(func() {
		chain = afterStageRecord(ctx, src, cfg, pr, pkg)
		pr.Details.Objects = bindObjects(ctx, src, rr, pkg, chain, add)
	})
	work.Go(func() { pr.Details.Images = checkImages(ctx, src, pr.Environment, pkg, add) })
	var card *ReportCheck
	if slices.Contains(sp.Reports, manifest.ReportModelCard) {
		work.Go(func() {
			var parsed *evidence.ModelCard
			card, parsed = checkModelCard(ctx, src, pkg, add)
			pr.Details.IntendedUses = intendedUses(parsed)
		})
	}
	work.Wait()
	side.Wait()

	chain.judge(pr, add)
	complianceFindings(add, pkg, checks, set, sp)
	if card != nil {
		checks = append(checks, *card)
	}
	pr.Details.Reports = checks
	pr.Details.Live = live.serving
	pr.Details.Evaluation, pr.Details.Bias, pr.Details.SHAP = evaluate(set, live.reports, sp.Thresholds, add)
	res.drift = drift(pr, live.serving)
	return res
}

// liveState is the version the target stage serves, with its reports.
type liveState struct {
	serving *Serving
	reports reportSet
}

// readLive reads what the target endpoint serves and, when modelpromote
// deployed it, that version's reports: the baseline of the regression
// bounds. When the baseline cannot be established, reports.unknown says why
// and every regression bound fails (evaluate); a stage with regression
// bounds or an `after` also fails when the endpoint cannot be read at all.
func readLive(ctx context.Context, src Sources, pr *Promotion, sp manifest.StagePolicy, now time.Time, add func(Gate, Severity, string)) liveState {
	var st liveState
	if pr.Environment.RegistryOnly {
		return st // serves nothing: no live version, no baseline
	}
	s, err := src.Stages.Serving(ctx, pr.Environment, pr.To.Name)
	if err != nil {
		reason := fmt.Sprintf("could not read what endpoint %s serves in %s: %v", pr.To.Name, pr.Stage, err)
		st.reports.unknown = reason
		if hasRegressionBounds(sp) || pr.Environment.After != "" {
			add(GateEvaluation, SeverityError, reason+"; this stage compares with the live version, so it cannot pass without it")
		} else {
			add(GateEvaluation, SeverityWarning, reason+"; the evaluation diff has no live version")
		}
		return st
	}
	st.serving = s
	endpoint := pr.To.Name
	if s == nil && pr.From != nil && !strings.EqualFold(pr.From.Name, pr.To.Name) {
		// A promotion onto a new endpoint name is still judged against
		// what the stage serves now: renaming must not erase the baseline.
		endpoint = pr.From.Name
		if s, err = src.Stages.Serving(ctx, pr.Environment, endpoint); err != nil {
			st.reports.unknown = fmt.Sprintf("could not read what endpoint %s (the stage's endpoint before this change) serves in %s: %v", endpoint, pr.Stage, err)
			return st
		}
		if s != nil {
			add(GateEvaluation, SeverityNotice, fmt.Sprintf("the stage moves from endpoint %s to %s: the candidate is compared with what %s serves", endpoint, pr.To.Name, endpoint))
		}
	}
	if s == nil && pr.From != nil {
		// The manifest says the stage runs a version, but its endpoint is
		// gone: whoever can delete it must not get past the regression
		// bounds by making the promotion look like a first deployment.
		st.reports.unknown = fmt.Sprintf("the manifest says %s runs version %d, but endpoint %s does not exist: there is no live version to compare with", pr.Stage, pr.FromVersion, endpoint)
		return st
	}
	if s == nil {
		return st // a first deployment: nothing to compare with
	}
	if s.SourceVersion == 0 {
		st.reports.unknown = fmt.Sprintf("endpoint %s serves config %s, which modelpromote did not deploy: there is no reviewed live version to compare with", endpoint, s.EndpointConfig)
		return st
	}
	// The baseline is the version live now, from whatever group it came
	// from: a promotion that switches modelPackageGroup is a new model and
	// is judged against what it replaces.
	group, version, ok := PackageGroupVersion(s.SourcePackageARN)
	if !ok {
		st.reports.unknown = fmt.Sprintf("endpoint %s names source package %q, which is not a versioned model package ARN", endpoint, s.SourcePackageARN)
		return st
	}
	st.reports.version, st.reports.group = version, group
	if !strings.EqualFold(group, pr.ModelPackageGroup) {
		add(GateEvaluation, SeverityNotice, fmt.Sprintf("endpoint %s serves %s version %d, another model package group: the candidate is compared with it", endpoint, group, version))
	}
	livePkg, err := src.Reg.ModelPackage(ctx, group, version)
	if err != nil {
		st.reports.unknown = fmt.Sprintf("could not read the live version %d (%s): %v", version, group, err)
		if !hasRegressionBounds(sp) {
			add(GateEvaluation, SeverityWarning, st.reports.unknown+"; the evaluation diff has no live version")
		}
		return st
	}
	// The baseline is the live version's reports as this stage took them:
	// the copies in its own bucket that the deployment's evidence record
	// lists, each re-hashed against the record (baseline.go), not the dev
	// account's, whose writers are a lower-trust group. They are read
	// without the stage's age and presence rules (they were judged when
	// that version was promoted).
	strict := hasRegressionBounds(sp) || pr.Environment.After != ""
	rec, planted, err := liveDeployment(ctx, src, pr.Environment, pr.Stage, endpoint, s, group, version)
	for _, why := range planted {
		add(GateEvaluation, SeverityWarning, fmt.Sprintf("evidence record %s; it is not read for the regression baseline", why))
	}
	if err != nil {
		st.reports.unknown = fmt.Sprintf("the live version %d's reports cannot be verified: %v", version, err)
		switch {
		case !hasRegressionBounds(sp) && strict:
			add(GateEvaluation, SeverityError, st.reports.unknown+"; this stage compares with the live version, so it cannot pass without them")
		case !strict:
			add(GateEvaluation, SeverityWarning, st.reports.unknown+"; the evaluation diff has no live version")
		}
		return st
	}
	checks, set := readCopies(ctx, src, pr.Environment, rec, livePkg, kindsToRead(sp), newReportReader(src).limit())
	set.version, set.group = version, group
	for _, c := range checks {
		if c.Status == StatusPass {
			continue
		}
		if set.problems == nil {
			set.problems = map[manifest.ReportKind]string{}
		}
		problem := fmt.Sprintf("report %s (%s) of the live version %d %s", c.Kind, c.Part, version, c.Problem)
		set.problems[c.Kind] = problem
		// A regression bound on this kind fails saying so (evaluate);
		// any other copy that cannot be verified is said here.
		switch {
		case boundsKind(sp, c.Kind):
		case strict:
			add(GateEvaluation, SeverityError, "the regression baseline cannot be verified: "+problem)
		default:
			add(GateEvaluation, SeverityWarning, problem+"; the evaluation diff leaves it out")
		}
	}
	st.reports = set
	return st
}

// boundsKind reports whether sp has a regression bound on a metric of
// kind's report.
func boundsKind(sp manifest.StagePolicy, kind manifest.ReportKind) bool {
	for _, t := range sp.Thresholds {
		if t.HasRegressionBound() && manifest.ReportFor(t.Metric) == kind {
			return true
		}
	}
	return false
}

// PackageGroupVersion splits a versioned model package ARN
// (arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION) into its
// group and version. SageMaker writes ARNs in lower case.
func PackageGroupVersion(packageARN string) (group string, version int, ok bool) {
	a, err := arn.Parse(packageARN)
	if err != nil || a.Service != "sagemaker" {
		return "", 0, false
	}
	rest, found := strings.CutPrefix(a.Resource, "model-package/")
	if !found {
		return "", 0, false
	}
	group, v, found := strings.Cut(rest, "/")
	if !found || group == "" {
		return "", 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || strconv.Itoa(n) != v {
		return "", 0, false
	}
	return group, n, true
}

func hasRegressionBounds(sp manifest.StagePolicy) bool {
	for _, t := range sp.Thresholds {
		if t.HasRegressionBound() {
			return true
		}
	}
	return false
}

// drift compares what the base manifest says a stage runs with what its
// endpoint serves.
func drift(pr *Promotion, s *Serving) *Drift {
	if pr.From == nil || pr.Environment.RegistryOnly {
		return nil
	}
	d := &Drift{Model: pr.Model, Stage: pr.Stage, Endpoint: pr.From.Name, Manifest: pr.FromVersion}
	switch {
	case s == nil && pr.From.Name == pr.To.Name:
		d.Detail = fmt.Sprintf("the manifest says %s runs version %d, but endpoint %s does not exist", pr.Stage, pr.FromVersion, pr.From.Name)
	case s == nil:
		return nil // the endpoint is being renamed; the old one is not read
	case s.SourceVersion != pr.FromVersion:
		d.Serving = s.SourceVersion
		d.Detail = fmt.Sprintf("the manifest says %s runs version %d, but endpoint %s serves %s", pr.Stage, pr.FromVersion, s.Endpoint, describeServing(s))
	default:
		return nil
	}
	return d
}
