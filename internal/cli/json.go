package cli

import (
	"encoding/json"
	"io"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// What `--output json` prints. Every command writes lowerCamelCase keys,
// described by a JSON Schema in docs/schema (cli_json_test.go validates
// each command's output against its schema). The views below decouple the
// printed shape from the Go types behind it.

// planJSON is `plan --output json` and `check --output json`: the plan with
// its verdict.
type planJSON struct {
	// Verdict is the plan's overall status: pass, unchecked, pending or fail.
	Verdict plan.Status `json:"verdict"`
	*plan.Plan
	// CommentURL and CheckRunURL are where `check` reported.
	CommentURL  string `json:"commentUrl,omitempty"`
	CheckRunURL string `json:"checkRunUrl,omitempty"`
}

func newPlanJSON(p *plan.Plan) planJSON { return planJSON{Verdict: p.Verdict(), Plan: p} }

// previewJSON is `plan --pr N --output json`: what apply would do.
type previewJSON struct {
	// Verdict is "refused" when apply would change nothing, else "apply".
	Verdict     string                 `json:"verdict"`
	PullRequest int                    `json:"pullRequest"`
	MergeSHA    string                 `json:"mergeSha,omitempty"`
	HeadSHA     string                 `json:"headSha,omitempty"`
	Refused     []string               `json:"refused"`
	Promotions  []promotionPreviewJSON `json:"promotions"`
}

type promotionPreviewJSON struct {
	Model          string            `json:"model"`
	Stage          string            `json:"stage"`
	AlreadyApplied bool              `json:"alreadyApplied"`
	Copies         []plannedCopyJSON `json:"copies"`
	Package        string            `json:"package,omitempty"`
	Endpoint       string            `json:"endpoint,omitempty"`
	Problem        string            `json:"problem,omitempty"`
}

type plannedCopyJSON struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Size   int64  `json:"size"`
	Path   string `json:"path"`
}

func newPreviewJSON(pv *apply.Preview) previewJSON {
	v := previewJSON{Verdict: "apply", Refused: append([]string{}, pv.Refused...), Promotions: []promotionPreviewJSON{}}
	if len(pv.Refused) > 0 {
		v.Verdict = "refused"
	}
	if pv.Merge != nil {
		v.PullRequest, v.MergeSHA, v.HeadSHA = pv.Merge.Number, pv.Merge.MergeSHA, pv.Merge.HeadSHA
	}
	for _, p := range pv.Promotions {
		pp := promotionPreviewJSON{Model: p.Model, Stage: p.Stage, AlreadyApplied: p.AlreadyApplied,
			Package: p.Package, Endpoint: p.Endpoint, Problem: p.Problem, Copies: []plannedCopyJSON{}}
		for _, c := range p.Copies {
			pp.Copies = append(pp.Copies, plannedCopyJSON{Source: c.Source, Target: c.Target, Size: c.Size, Path: c.Path})
		}
		v.Promotions = append(v.Promotions, pp)
	}
	return v
}

func writeIndentedJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ExitFail
	}
	return ExitOK
}
