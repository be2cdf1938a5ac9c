package report

import (
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// lineage draws what produced the package and where it goes, as a Mermaid
// flowchart GitHub renders: data → jobs → package → the stages this change
// promotes it to (and the stage it is live in first, dotted).
func (r *renderer) lineage(pr *plan.Promotion) (piece, bool) {
	ln := pr.Details.Lineage
	if ln == nil || len(ln.Steps) == 0 {
		return piece{}, false
	}
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	var nodes, edges []string
	var failed []string
	id := func(i int) string { return fmt.Sprintf("n%d", i) }
	steps := ln.Steps
	pkg := -1
	var data []int // data nodes waiting for the step they feed
	prev := -1     // the last step that is not data
	for i, s := range steps {
		label := escMermaid(s.Kind)
		if s.Name != "" {
			label += "<br/>" + escMermaid(clip(s.Name, 80))
		}
		switch s.Kind {
		case "data":
			if s.URI != "" {
				label += "<br/>" + escMermaid(clip(s.URI, 80))
			}
			nodes = append(nodes, fmt.Sprintf("  %s[(\"%s\")]", id(i), label))
			data = append(data, i)
			continue
		case "model-package":
			pkg = i
			nodes = append(nodes, fmt.Sprintf("  %s[[\"%s\"]]", id(i), label))
		default:
			if s.Status != "" {
				label += "<br/>" + escMermaid(s.Status)
			}
			nodes = append(nodes, fmt.Sprintf("  %s[\"%s\"]", id(i), label))
		}
		if isFailure(s.Status) {
			failed = append(failed, id(i))
		}
		for _, d := range data {
			edges = append(edges, fmt.Sprintf("  %s --> %s", id(d), id(i)))
		}
		data = nil
		if prev >= 0 {
			edges = append(edges, fmt.Sprintf("  %s --> %s", id(prev), id(i)))
		}
		prev = i
	}
	if pkg < 0 {
		pkg = len(steps)
		nodes = append(nodes, fmt.Sprintf("  %s[[\"model-package<br/>%s v%d\"]]", id(pkg), escMermaid(pr.ModelPackageGroup), pr.ToVersion))
		for _, d := range data {
			edges = append(edges, fmt.Sprintf("  %s --> %s", id(d), id(pkg)))
		}
		if prev >= 0 {
			edges = append(edges, fmt.Sprintf("  %s --> %s", id(prev), id(pkg)))
		}
	}
	// The stages: every promotion of this package version in the plan.
	k := 0
	for _, o := range r.p.Promotions {
		if o.Model != pr.Model || o.ToVersion != pr.ToVersion {
			continue
		}
		sid := fmt.Sprintf("s%d", k)
		k++
		label := escMermaid(o.Stage) + ": "
		if o.IsNew() {
			label += fmt.Sprintf("new, v%d", o.ToVersion)
		} else {
			label += fmt.Sprintf("v%d → v%d", o.FromVersion, o.ToVersion)
		}
		nodes = append(nodes, fmt.Sprintf("  %s([\"%s\"])", sid, label))
		edges = append(edges, fmt.Sprintf("  %s ==> %s", id(pkg), sid))
	}
	if after, prevStage := pr.Environment.After, pr.Details.PreviousStage; after != "" && !r.promoted(pr.Model, after) &&
		prevStage != nil && prevStage.SourceVersion == pr.ToVersion {
		nodes = append(nodes, fmt.Sprintf("  a0([\"%s: live v%d\"])", escMermaid(after), prevStage.SourceVersion))
		edges = append(edges, fmt.Sprintf("  %s -.-> a0", id(pkg)))
	}
	for _, l := range append(nodes, edges...) {
		b.WriteString(l + "\n")
	}
	if len(failed) > 0 {
		b.WriteString("  classDef failed stroke:#cf222e,stroke-width:3px\n")
		b.WriteString("  class " + strings.Join(failed, ",") + " failed\n")
	}
	b.WriteString("```\n")
	b.WriteString(modelDataDigests(pr))
	head, tail := fold(false, "Lineage: data → jobs → package → stages")
	return piece{head: head + b.String(), tail: tail}, true
}

// isFailure reports whether a SageMaker job or execution status is a
// failure.
func isFailure(status string) bool {
	switch status {
	case "Failed", "Stopped", "Stopping":
		return true
	}
	return false
}

// modelDataDigests lists the model data the check bound, with the SHA-256
// apply will copy and nothing else, and each image with the digest it
// resolved to and what the target runs: the reviewer sees which bytes they
// approve.
func modelDataDigests(pr *plan.Promotion) string {
	var b strings.Builder
	for _, m := range pr.ModelDataBindings() {
		fmt.Fprintf(&b, "\nModel data %s: SHA-256 `%s`, %d bytes, ETag %s", esc(m.URI), m.SHA256, m.Size, esc(m.ETag))
		if m.VersionID != "" {
			fmt.Fprintf(&b, ", version %s", esc(m.VersionID))
		}
		b.WriteString("\n")
	}
	for _, i := range pr.Details.Images {
		if i.Digest == "" {
			continue
		}
		fmt.Fprintf(&b, "\nImage %s: digest `%s`", esc(i.Image), i.Digest)
		if i.Deploy != "" {
			fmt.Fprintf(&b, ", deployed as %s", esc(i.Deploy))
			if i.Mirror != "" {
				b.WriteString(" (the environment's mirror)")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
