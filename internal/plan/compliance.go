package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Report parts: the two files of a quality kind, or the single report.
const (
	PartStatistics  = "statistics"
	PartConstraints = "constraints"
	PartReport      = "report"
)

// reportSet is a package's reports, parsed. Fields are nil when the report
// is absent or could not be read.
type reportSet struct {
	stats           *evidence.Statistics
	constraints     *evidence.Constraints
	dataStats       *evidence.DataStatistics
	dataConstraints *evidence.DataConstraints
	pre, post       *evidence.Analysis
	explain         *evidence.Analysis

	// For the live version's reports (the regression baseline): version
	// and group are the live version (0: none, a first deployment);
	// unknown says why there is a live version but no baseline can be
	// read; problems says, per kind, why a report of it is unusable.
	version  int
	group    string
	unknown  string
	problems map[manifest.ReportKind]string
}

// fetched is one report read from S3: its bytes and what S3 said about it.
type fetched struct {
	data []byte
	info ObjectInfo
	err  error
}

// reportReader reads reports once per URI (a combined Clarify report backs
// two kinds), in parallel.
type reportReader struct {
	src   Sources
	mu    sync.Mutex
	cache map[string]*fetchOnce
}

type fetchOnce struct {
	once sync.Once
	res  fetched
}

func newReportReader(src Sources) *reportReader {
	return &reportReader{src: src, cache: map[string]*fetchOnce{}}
}

func (r *reportReader) read(ctx context.Context, uri string) fetched {
	r.mu.Lock()
	f, ok := r.cache[uri]
	if !ok {
		f = &fetchOnce{}
		r.cache[uri] = f
	}
	r.mu.Unlock()
	f.once.Do(func() { f.res = r.fetch(ctx, uri) })
	return f.res
}

func (r *reportReader) limit() int64 {
	if r.src.MaxReportBytes > 0 {
		return r.src.MaxReportBytes
	}
	return evidence.DefaultMaxBytes
}

func (r *reportReader) fetch(ctx context.Context, uri string) fetched {
	body, info, err := r.src.Objects.Open(ctx, uri)
	if err != nil {
		return fetched{err: err}
	}
	defer body.Close()
	limit := r.limit()
	if info.Size > limit {
		return fetched{info: info, err: fmt.Errorf("%w: %d bytes, over the %d-byte limit", evidence.ErrTooLarge, info.Size, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return fetched{info: info, err: err}
	}
	if int64(len(data)) > limit {
		return fetched{info: info, err: fmt.Errorf("%w: over the %d-byte limit", evidence.ErrTooLarge, limit)}
	}
	return fetched{data: data, info: info}
}

// readReports reads, verifies and parses every report of pkg of the given
// kinds. It returns the checks (for the compliance checklist) and the parsed
// reports; a report that fails is in checks with its problem and absent
// from the set.
func (r *reportReader) readReports(ctx context.Context, pkg *ModelPackage, kinds []manifest.ReportKind, sp manifest.StagePolicy, now time.Time) ([]ReportCheck, reportSet) {
	var refs []ReportRef
	for _, ref := range pkg.Reports {
		if slices.Contains(kinds, ref.Kind) {
			refs = append(refs, ref)
		}
	}
	checks := make([]ReportCheck, len(refs))
	parsed := make([]any, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i], parsed[i] = r.checkReport(ctx, ref, sp, now)
		}()
	}
	wg.Wait()
	var set reportSet
	for i, ref := range refs {
		set.add(ref, parsed[i])
	}
	return checks, set
}

// add puts a parsed report of ref into the set (nothing when v is nil).
func (set *reportSet) add(ref ReportRef, v any) {
	switch v := v.(type) {
	case *evidence.Statistics:
		if ref.Kind == manifest.ReportModelQuality {
			set.stats = v
		}
	case *evidence.Constraints:
		set.constraints = v
	case *evidence.DataStatistics:
		set.dataStats = v
	case *evidence.DataConstraints:
		set.dataConstraints = v
	case *evidence.Analysis:
		switch ref.Kind {
		case manifest.ReportBiasPreTraining:
			set.pre = v
		case manifest.ReportBiasPostTraining:
			set.post = v
		case manifest.ReportExplainability:
			set.explain = v
		}
	}
}

// checkReport reads one report and judges it: exists, digest, age, parse.
func (r *reportReader) checkReport(ctx context.Context, ref ReportRef, sp manifest.StagePolicy, now time.Time) (ReportCheck, any) {
	c := ReportCheck{ReportRef: ref, Status: StatusPass}
	fail := func(format string, args ...any) (ReportCheck, any) {
		c.Status, c.Problem = StatusFail, fmt.Sprintf(format, args...)
		return c, nil
	}
	var recorded evidence.Digest
	if ref.Digest != "" {
		d, err := evidence.ParseDigest(ref.Digest)
		if err != nil {
			return fail("recorded ContentDigest is unusable: %v", err)
		}
		recorded = d
	}
	f := r.read(ctx, ref.S3URI)
	c.LastModified, c.Size = f.info.LastModified, f.info.Size
	switch {
	case errors.Is(f.err, ErrNotFound):
		return fail("%s does not exist", ref.S3URI)
	case errors.Is(f.err, evidence.ErrTooLarge):
		return fail("%s is too large to be a report: %v", ref.S3URI, f.err)
	case f.err != nil:
		return fail("could not read %s: %v", ref.S3URI, f.err)
	}
	computed := evidence.DigestOf(f.data)
	c.ComputedDigest = computed.String()
	switch {
	case recorded.IsZero() && sp.RequireDigests:
		return fail("no ContentDigest was recorded for it, and the policy requires digests")
	case !recorded.IsZero() && !recorded.Equal(computed):
		return fail("content does not match its recorded digest: recorded %s, read %s (the report changed after it was registered)", recorded, computed)
	}
	if sp.MaxReportAgeDays > 0 && !c.LastModified.IsZero() {
		if age := now.Sub(c.LastModified); age > time.Duration(sp.MaxReportAgeDays)*24*time.Hour {
			return fail("is %d days old; the policy allows %d", int(age.Hours()/24), sp.MaxReportAgeDays)
		}
	}
	v, err := parseReport(ref, f.data, &evidence.Options{Name: ref.S3URI, MaxBytes: r.limit()})
	if err != nil {
		return fail("does not parse: %v", err)
	}
	return c, v
}

// parseReport parses a report's bytes with its kind's parser.
func parseReport(ref ReportRef, data []byte, opts *evidence.Options) (any, error) {
	rd := bytes.NewReader(data)
	switch {
	case ref.Kind == manifest.ReportModelQuality && ref.Part == PartConstraints:
		return evidence.ParseConstraints(rd, opts)
	case ref.Kind == manifest.ReportModelQuality:
		return evidence.ParseStatistics(rd, opts)
	case ref.Kind == manifest.ReportDataQuality && ref.Part == PartConstraints:
		return evidence.ParseDataConstraints(rd, opts)
	case ref.Kind == manifest.ReportDataQuality:
		return evidence.ParseDataStatistics(rd, opts)
	}
	return evidence.ParseClarify(rd, opts)
}

// kindsToRead returns the report kinds a check reads: those the stage
// requires, plus those the evaluation diff shows when present.
func kindsToRead(sp manifest.StagePolicy) []manifest.ReportKind {
	kinds := []manifest.ReportKind{manifest.ReportModelQuality, manifest.ReportBiasPostTraining, manifest.ReportExplainability}
	for _, k := range sp.Reports {
		if k != manifest.ReportModelCard && !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// complianceFindings turns report checks into findings: every required
// kind must be present and pass; optional ones that fail are warnings.
func complianceFindings(add func(Gate, Severity, string), pkg *ModelPackage, checks []ReportCheck, set reportSet, sp manifest.StagePolicy) {
	for _, kind := range sp.Reports {
		if kind == manifest.ReportModelCard {
			continue
		}
		// A constraints file judges statistics; on its own it is not the
		// report the policy requires.
		found, constraintsOnly := false, false
		for _, c := range checks {
			if c.Kind != kind {
				continue
			}
			if c.Part == PartConstraints {
				constraintsOnly = true
				continue
			}
			found = true
		}
		switch {
		case !found && constraintsOnly:
			add(GateCompliance, SeverityError, fmt.Sprintf("required report %s is missing its statistics from %s version %d's ModelMetrics: its constraints alone do not satisfy it", kind, pkg.Group, pkg.Version))
		case !found:
			add(GateCompliance, SeverityError, fmt.Sprintf("required report %s is missing from %s version %d's ModelMetrics", kind, pkg.Group, pkg.Version))
		}
	}
	for _, c := range checks {
		if c.Status == StatusPass {
			continue
		}
		sev := SeverityWarning
		if slices.Contains(sp.Reports, c.Kind) {
			sev = SeverityError
		}
		add(GateCompliance, sev, fmt.Sprintf("report %s (%s) %s", c.Kind, c.Part, c.Problem))
	}
	if set.stats != nil && set.constraints != nil {
		for _, v := range set.constraints.Evaluate(set.stats) {
			add(GateCompliance, SeverityWarning, "model quality constraint violated: "+v.Message)
		}
	}
	if set.dataStats != nil && set.dataConstraints != nil {
		for _, v := range set.dataConstraints.Evaluate(set.dataStats) {
			add(GateCompliance, SeverityWarning, "data quality constraint violated: "+v.Message)
		}
	}
}

// checkModelCard checks the model card when the stage requires one: it
// exists, is Approved, and its content parses.
func checkModelCard(ctx context.Context, src Sources, pkg *ModelPackage, add func(Gate, Severity, string)) (*ReportCheck, *evidence.ModelCard) {
	name := pkg.ModelCardName
	if name == "" {
		name = pkg.Group
	}
	c := &ReportCheck{ReportRef: ReportRef{Kind: manifest.ReportModelCard, Part: PartReport, S3URI: "model-card/" + name}, Status: StatusPass}
	card, err := src.Reg.ModelCard(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		c.Status, c.Problem = StatusFail, fmt.Sprintf("model card %q does not exist", name)
	case err != nil:
		c.Status, c.Problem = StatusFail, fmt.Sprintf("could not read model card %q: %v", name, err)
	default:
		c.LastModified, c.Size = card.UpdatedAt, int64(len(card.Content))
		c.ComputedDigest = evidence.DigestOf(card.Content).String()
		parsed, perr := evidence.ParseModelCard(bytes.NewReader(card.Content), &evidence.Options{Name: "model card " + name})
		switch {
		case card.Status != "Approved":
			c.Status, c.Problem = StatusFail, fmt.Sprintf("model card %q (version %d) is %s, not Approved", name, card.Version, card.Status)
		case perr != nil:
			c.Status, c.Problem = StatusFail, fmt.Sprintf("model card %q does not parse: %v", name, perr)
		default:
			return c, parsed
		}
	}
	add(GateCompliance, SeverityError, c.Problem)
	return c, nil
}
