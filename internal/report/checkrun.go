package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// CheckRunName is the check run's name: the one to require in branch
// protection.
const CheckRunName = "modelpromote"

// MaxAnnotationsPerRequest is how many annotations GitHub takes in one
// create or update of a check run; further updates append more.
const MaxAnnotationsPerRequest = 50

// Conclusion is a completed check run's conclusion.
type Conclusion string

// The conclusions a plan maps to. See CheckRun.
const (
	ConclusionSuccess        Conclusion = "success"
	ConclusionActionRequired Conclusion = "action_required"
	ConclusionFailure        Conclusion = "failure"
)

// AnnotationLevel is how an annotation is shown.
type AnnotationLevel string

// GitHub's annotation levels.
const (
	LevelNotice  AnnotationLevel = "notice"
	LevelWarning AnnotationLevel = "warning"
	LevelFailure AnnotationLevel = "failure"
)

// Annotation marks a line of a file in the head commit, as the checks API
// takes it. Columns are only valid on a single line, and only then set.
type Annotation struct {
	Path        string          `json:"path"`
	StartLine   int             `json:"start_line"`
	EndLine     int             `json:"end_line"`
	StartColumn int             `json:"start_column,omitempty"`
	EndColumn   int             `json:"end_column,omitempty"`
	Level       AnnotationLevel `json:"annotation_level"`
	Title       string          `json:"title,omitempty"`
	Message     string          `json:"message"`
}

// CheckRunOutput is what to create or update the check run with.
type CheckRunOutput struct {
	Name       string
	Conclusion Conclusion
	// Title, Summary and Text are output.title, output.summary and
	// output.text: the verdict, the summary (verdict, promotions, findings)
	// and the full detail, each within GitHub's limits.
	Title   string
	Summary string
	Text    string
	// Annotations are every finding with a file and line; send them in
	// Batches of MaxAnnotationsPerRequest.
	Annotations []Annotation
}

// CheckRunOptions tunes CheckRun.
type CheckRunOptions struct {
	// Now is when the plan was checked (zero: report ages show as dates).
	Now time.Time
	// Version is the tool's version, for the footer. Optional.
	Version string
}

// CheckRun renders a plan as the "modelpromote" check run.
//
// The conclusion is success when every gate of every promotion passes;
// action_required while the only thing missing is approvals; failure
// otherwise, including gates that could not be checked (a gate nobody ran
// must not pass). action_required is a completed conclusion that does not
// satisfy a required status check, unlike neutral and skipped, which
// GitHub counts as passing. So require the `modelpromote` check in branch
// protection: a pull request then cannot merge until the approvals are in
// and the bot re-runs on the review (a pull_request_review event) and
// concludes success.
func CheckRun(p *plan.Plan, opts CheckRunOptions) CheckRunOutput {
	v := judge(p)
	r := &renderer{p: p, now: opts.Now}
	summary := assembler{limit: MaxCheckRunText, elsewhere: "in the details below"}
	bound := bindingsBlock(p)
	text := assembler{limit: MaxCheckRunText - len(bound)} // nowhere else to point to
	return CheckRunOutput{
		Name:        CheckRunName,
		Conclusion:  conclusion(v),
		Title:       v.sentence(),
		Summary:     summary.assemble(r.blocks(summarySections), ""),
		Text:        bound + text.assemble(r.detailBlocks(), r.footer(opts.Version)),
		Annotations: annotations(p),
	}
}

// detailBlocks are the sections the summary leaves out, under each
// promotion's heading (its findings are in the summary).
func (r *renderer) detailBlocks() []*block {
	var out []*block
	for _, b := range r.blocks(allSections) {
		switch {
		case b.tier == tierPromotion:
			b.piece = piece{head: strings.TrimRight(b.piece.head, "\n") + "\n"}
		case b.tier < tierPromotion:
			continue
		}
		out = append(out, b)
	}
	return out
}

// conclusion maps the verdict to a check run conclusion; see CheckRun.
func conclusion(v verdict) Conclusion {
	switch {
	case v.Status == plan.StatusPass:
		return ConclusionSuccess
	case v.Status == plan.StatusPending && !v.AnyUnchecked:
		return ConclusionActionRequired
	}
	return ConclusionFailure
}

// annotationLevel maps a finding's severity: errors fail, pending findings
// (missing approvals) warn, as they block the merge until resolved.
var annotationLevel = map[plan.Severity]AnnotationLevel{
	plan.SeverityError:   LevelFailure,
	plan.SeverityPending: LevelWarning,
	plan.SeverityWarning: LevelWarning,
	plan.SeverityNotice:  LevelNotice,
}

// maxAnnotationMessage bounds an annotation's message (GitHub takes 64 KiB).
const maxAnnotationMessage = 4000

// annotations are one per finding that names a file and a line.
func annotations(p *plan.Plan) []Annotation {
	var out []Annotation
	for _, f := range p.Findings {
		if f.File == "" || f.Pos.Line <= 0 {
			continue
		}
		a := Annotation{
			Path: f.File, StartLine: f.Pos.Line, EndLine: f.Pos.Line,
			Level:   annotationLevel[f.Severity],
			Title:   fmt.Sprintf("%s: %s", f.Gate, f.Severity),
			Message: clip(f.Message, maxAnnotationMessage),
		}
		if a.Level == "" {
			a.Level = LevelNotice
		}
		if f.Model != "" {
			a.Title = fmt.Sprintf("%s/%s · %s", f.Model, f.Stage, a.Title)
		}
		if f.Pos.Col > 0 {
			a.StartColumn, a.EndColumn = f.Pos.Col, f.Pos.Col
		}
		out = append(out, a)
	}
	return out
}

// AnnotationGate reads back what annotations writes in an annotation's
// title: the finding's model and stage (empty for a finding about the
// change as a whole), gate and severity.
func AnnotationGate(title string) (model, stage, gate, severity string, ok bool) {
	where, what, found := strings.Cut(title, " · ")
	if !found {
		what, where = title, ""
	}
	gate, severity, ok = strings.Cut(what, ": ")
	if !ok || gate == "" || severity == "" {
		return "", "", "", "", false
	}
	if where != "" {
		if model, stage, ok = strings.Cut(where, "/"); !ok {
			return "", "", "", "", false
		}
	}
	return model, stage, gate, severity, true
}

// Batches splits annotations into requests of at most n (n <= 0 or above
// MaxAnnotationsPerRequest means MaxAnnotationsPerRequest). It returns no
// batch for no annotations.
func Batches(as []Annotation, n int) [][]Annotation {
	if n <= 0 || n > MaxAnnotationsPerRequest {
		n = MaxAnnotationsPerRequest
	}
	var out [][]Annotation
	for len(as) > 0 {
		k := min(n, len(as))
		out = append(out, as[:k:k])
		as = as[k:]
	}
	return out
}
