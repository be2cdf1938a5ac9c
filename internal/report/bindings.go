package report

import (
	"encoding/json"
	"strings"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// The check run's output carries what the check bound of every object (a
// hidden block at the top of output.text): apply reads it back from the
// check run on the pull request's final head and refuses any object that
// changed since. Only the App that created a check run can update it.
const bindingsOpen, bindingsClose = "<!-- modelpromote:bindings ", " -->\n"

// maxBindingsBlock leaves most of output.text to the details. A plan whose
// bindings do not fit records none, and apply then refuses its objects as
// unreviewed (fail closed): split such a pull request.
const maxBindingsBlock = MaxCheckRunText / 2

// bindingsBlock is the hidden block recording p's bindings ("" when there
// are none, or too many). encoding/json escapes < and >, so the JSON can
// never close the comment.
func bindingsBlock(p *plan.Plan) string {
	bs := p.Bindings()
	if len(bs) == 0 {
		return ""
	}
	data, err := json.Marshal(bs)
	if err != nil || len(data)+len(bindingsOpen)+len(bindingsClose) > maxBindingsBlock {
		return ""
	}
	return bindingsOpen + string(data) + bindingsClose
}

// Bindings reads back the bindings a check run's output.text records, by
// source URI. It returns an empty (not nil) map when the text records
// none, so that apply compares with nothing rather than binding afresh.
func Bindings(text string) map[string]plan.Binding {
	out := map[string]plan.Binding{}
	rest, ok := strings.CutPrefix(text, bindingsOpen)
	if !ok {
		return out
	}
	data, _, ok := strings.Cut(rest, bindingsClose)
	if !ok {
		return out
	}
	var bs []plan.Binding
	if json.Unmarshal([]byte(data), &bs) != nil {
		return out
	}
	for _, b := range bs {
		out[b.URI] = b
	}
	return out
}
