package report

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run go test ./internal/report -update and review the diff)\n--- got ---\n%s", path, got)
	}
}

var fixtures = []struct {
	name string
	plan func() *plan.Plan
}{
	{"clean", cleanPlan},
	{"prod-regression", prodRegressionPlan},
	{"first-deployment", firstDeploymentPlan},
	{"config-edit", configEditPlan},
}

func TestCommentGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			got := Comment(fx.plan(), CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt, Version: "v0.4.0"})
			checkStructure(t, got)
			golden(t, fx.name+".comment.md.golden", got)
		})
	}
}

func TestCommentIsDeterministic(t *testing.T) {
	opts := CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt}
	first := Comment(prodRegressionPlan(), opts)
	for range 20 {
		if got := Comment(prodRegressionPlan(), opts); got != first {
			t.Fatal("two renderings of one plan differ")
		}
	}
}

func TestCheckRunGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			out := CheckRun(fx.plan(), CheckRunOptions{Now: checkedAt, Version: "v0.4.0"})
			checkStructure(t, out.Summary)
			checkStructure(t, out.Text)
			ann, err := json.MarshalIndent(out.Annotations, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("name: %s\nconclusion: %s\ntitle: %s\n\n===== summary =====\n%s\n===== text =====\n%s\n===== annotations =====\n%s\n",
				out.Name, out.Conclusion, out.Title, out.Summary, out.Text, ann)
			golden(t, fx.name+".checkrun.golden", got)
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	got := Summary(cleanPlan())
	if strings.Contains(got, CommentMarker) {
		t.Error("the job summary carries the comment marker")
	}
	checkStructure(t, got)
	golden(t, "clean.summary.md.golden", got)
}

func TestCommentStartsWithMarker(t *testing.T) {
	got := Comment(cleanPlan(), CommentOptions{})
	if !strings.HasPrefix(got, CommentMarker+"\n") {
		t.Fatalf("comment does not start with the marker:\n%s", got[:80])
	}
	if strings.Count(got, CommentMarker) != 1 {
		t.Error("the marker appears more than once")
	}
}

// hugePlan has 50 promotions of 500 metrics each, with everything else a
// plan can carry.
func hugePlan() *plan.Plan {
	base := prodRegressionPlan()
	fraud := base.Promotions[1]
	p := &plan.Plan{Base: "main", Head: "bulk", Dir: "promotions", PR: pullRequest(), Findings: []plan.Finding{}}
	for i := range 50 {
		pr := fraud
		pr.Model = fmt.Sprintf("model-%02d", i)
		pr.File = "promotions/" + pr.Model + ".yaml"
		live, cand := map[string]evidence.Metric{}, map[string]evidence.Metric{}
		for j := range 500 {
			path := fmt.Sprintf("custom_metrics.segment_%03d_recall_at_k", j)
			live[path] = evidence.Metric{Path: path, Value: evidence.Num(0.8 + float64(j%7)/100), StdDev: evidence.Num(0.01)}
			cand[path] = evidence.Metric{Path: path, Value: evidence.Num(0.8 + float64(j%11)/100), StdDev: evidence.Num(0.01)}
		}
		pr.Details.Evaluation = diff(live, cand, []manifest.Threshold{{Metric: "custom_metrics.segment_007_recall_at_k", MaxRegression: f64(0.01), Better: "higher"}})
		p.Promotions = append(p.Promotions, pr)
		for _, f := range base.FindingsFor("fraud-detector", "prod") {
			f.Model, f.File = pr.Model, pr.File
			p.Findings = append(p.Findings, f)
		}
	}
	p.Actions = actions(p.Promotions...)
	p.SetGates(plan.Gates...)
	return p
}

func TestCommentStaysWithinLimitAt50x500(t *testing.T) {
	p := hugePlan()
	got := Comment(p, CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt, Version: "v0.4.0"})
	if len(got) > MaxCommentLength || utf8.RuneCountInString(got) > MaxCommentLength {
		t.Fatalf("comment is %d bytes (%d characters), over %d", len(got), utf8.RuneCountInString(got), MaxCommentLength)
	}
	if len(got) < MaxCommentLength*9/10 {
		t.Errorf("comment is only %d bytes: the budget is badly used", len(got))
	}
	checkStructure(t, got)
	if !strings.HasPrefix(got, CommentMarker+"\n## ❌ Blocked: 50 of 50 promotions fail a gate") {
		t.Errorf("comment does not open with the marker and the verdict:\n%s", got[:200])
	}
	for _, pr := range p.Promotions {
		if !strings.Contains(got, "| "+pr.Model+" | prod | v11 → **v12** |") {
			t.Errorf("the promotions table lacks %s", pr.Model)
		}
	}
	if !regexp.MustCompile(`\*…and \d+ more metrics in the \[check run\]\(` + regexp.QuoteMeta(checkRunURL) + `\)\.\*`).MatchString(got) {
		t.Error("cut metrics are not counted with a pointer to the check run")
	}
	if !strings.Contains(got, "Shortened to stay within GitHub's length limit") {
		t.Error("the comment does not say it was shortened")
	}

	out := CheckRun(p, CheckRunOptions{Now: checkedAt})
	for name, s := range map[string]string{"summary": out.Summary, "text": out.Text} {
		if len(s) > MaxCheckRunText {
			t.Errorf("check run %s is %d bytes, over %d", name, len(s), MaxCheckRunText)
		}
		checkStructure(t, s)
	}
	if s := Summary(p); len(s) > MaxSummaryLength {
		t.Errorf("job summary is %d bytes, over %d", len(s), MaxSummaryLength)
	}
}

// TestCommentCutsOnlyWholeParts renders one plan under many limits: every
// result fits and is well formed.
func TestCommentCutsOnlyWholeParts(t *testing.T) {
	p := prodRegressionPlan()
	full := Comment(p, CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt})
	for limit := 2000; limit < len(full)+200; limit += 97 {
		got := Comment(p, CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt, MaxLength: limit})
		if len(got) > limit {
			t.Fatalf("limit %d: comment is %d bytes", limit, len(got))
		}
		checkStructure(t, got)
		if !strings.Contains(got, "## ❌ Blocked") || !strings.Contains(got, "| fraud-detector | prod |") {
			t.Fatalf("limit %d: verdict or promotions table missing:\n%s", limit, got)
		}
	}
}

// checkStructure fails when markdown is malformed in a way a cut or an
// injection could cause: unbalanced <details>, an unclosed code fence, a
// table row with the wrong number of cells, a raw HTML line that is not
// ours.
func checkStructure(t *testing.T, md string) {
	t.Helper()
	if n, m := strings.Count(md, "<details"), strings.Count(md, "</details>"); n != m {
		t.Errorf("%d <details> but %d </details>", n, m)
	}
	depth := 0
	inFence := false
	cells := -1
	for i, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if strings.HasPrefix(line, "<details") {
			depth++
		}
		if line == "</details>" {
			depth--
			if depth < 0 {
				t.Fatalf("line %d: </details> without <details>", i+1)
			}
		}
		if strings.HasPrefix(line, "<") && !regexp.MustCompile(`^(<details( open)?><summary>.*</summary>|</details>|<sub>.*</sub>|<!-- modelpromote:report -->)$`).MatchString(line) {
			t.Errorf("line %d: unexpected raw HTML: %s", i+1, line)
		}
		if strings.HasPrefix(line, "|") {
			n := strings.Count(line, "|")
			if cells == -1 {
				cells = n
			} else if n != cells {
				t.Errorf("line %d: table row has %d pipes, the header %d: %s", i+1, n, cells, line)
			}
		} else {
			cells = -1
		}
	}
	if inFence {
		t.Error("a code fence is not closed")
	}
	if depth != 0 {
		t.Errorf("%d <details> left open", depth)
	}
}

// hostile is text an attacker could put in a manifest or a report.
const hostile = "</details><img src=x onerror=alert(1)> | `tick` *b* _i_ [l](https://evil.example) # !x ~s~ $m$ @octocat @acme/admins\nnext line\r\"q\" 'a' &amp;"

func TestCommentEscapesUntrustedText(t *testing.T) {
	p := prodRegressionPlan()
	fraud := &p.Promotions[1]
	fraud.Model = "fraud|" + hostile
	fraud.Stage = "prod" + hostile
	fraud.To.Name = hostile
	fraud.Changes = []string{hostile}
	d := &fraud.Details
	d.Evaluation = append(d.Evaluation, plan.MetricRow{
		Change:     evidence.Change{Path: hostile, Old: evidence.Num(1), New: evidence.Num(2), Delta: evidence.Num(1)},
		Thresholds: []policy.Verdict{{Rule: hostile, Detail: hostile}},
	})
	d.Bias = append(d.Bias, plan.MetricRow{Change: evidence.Change{Path: "bias.post_training.DI[sex=" + strings.ReplaceAll(hostile, "\n", " ") + "]"}})
	d.SHAP = append([]evidence.Shift{{Feature: hostile, NewRank: 1}}, d.SHAP...)
	d.Reports[0].Problem = hostile
	d.Reports[0].Digest = hostile
	d.Approvals.Reviews[0].Login = hostile
	d.Approvals.Reviews[0].Reason = hostile
	d.Approvals.Approvers = []string{hostile}
	d.Lineage.Steps[0].Name = hostile
	d.Lineage.Steps[0].URI = "```\n" + hostile
	d.Lineage.Steps[2].Name = `"]) --> x["pwned`
	p.Drift[0].Detail = hostile
	p.ConfigChanged, p.ConfigChanges = true, []string{hostile}
	p.NewModels = []string{hostile}
	p.Findings = append(p.Findings, plan.Finding{Gate: plan.GatePolicy, Severity: plan.SeverityError, Message: hostile, File: hostile, Pos: manifest.Pos{Line: 3}})
	for i := range p.Findings {
		if p.Findings[i].Model == "fraud-detector" {
			p.Findings[i].Model, p.Findings[i].Stage = fraud.Model, fraud.Stage
		}
	}
	p.Actions[len(p.Actions)-1].(*plan.RecordEvidence).Bucket = hostile
	p.PR.Author = hostile

	outputs := map[string]string{
		"comment": Comment(p, CommentOptions{CheckRunURL: checkRunURL, Now: checkedAt, Version: hostile}),
		"summary": Summary(p),
	}
	out := CheckRun(p, CheckRunOptions{Now: checkedAt, Version: hostile})
	outputs["check run summary"], outputs["check run text"] = out.Summary, out.Text
	for name, got := range outputs {
		t.Run(name, func(t *testing.T) {
			checkStructure(t, got)
			// Mermaid has its own escaping, checked below.
			text := regexp.MustCompile("(?s)```mermaid\n.*?```").ReplaceAllString(got, "")
			// Link destinations are percent-encoded URLs: "_" in them is inert.
			text = regexp.MustCompile(`\]\(https://[^ )]*\)`).ReplaceAllString(text, "]")
			if regexp.MustCompile(`\]\([^)]*[<>"' ]`).MatchString(got) {
				t.Error("a link destination holds unencoded characters")
			}
			for _, bad := range []string{"<img", "</details><img", "[l](", "`tick`", "*b*", "_i_", "~s~", "$m$", "@octocat", "@acme/admins", "next line\r", "x[\"pwned", "]) -->"} {
				if strings.Contains(text, bad) {
					t.Errorf("untrusted text is written raw: %q", bad)
				}
			}
			if !strings.Contains(got, "&lt;/details&gt;&lt;img src=x onerror=alert&#40;1&#41;&gt;") {
				t.Error("the hostile metric name is not shown as literal text")
			}
			if !strings.Contains(got, "@"+zwj+"octocat") {
				t.Error("a mention is not defused with a zero-width joiner")
			}
			// Inside mermaid fences nothing may end the label or the fence.
			for _, m := range regexp.MustCompile("(?s)```mermaid\n(.*?)```").FindAllStringSubmatch(got, -1) {
				for _, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
					if lbl := regexp.MustCompile(`\["(.*)"\]`).FindStringSubmatch(line); lbl != nil && strings.ContainsAny(lbl[1], "\"`<>[]()@") &&
						!strings.Contains(lbl[1], "<br/>") {
						t.Errorf("mermaid label not escaped: %s", line)
					}
				}
			}
		})
	}
	for _, a := range out.Annotations {
		if a.Path == "" || a.StartLine < 1 {
			t.Errorf("annotation without a place: %+v", a)
		}
	}
}

func TestEscapeKeepsOrdinaryNamesReadable(t *testing.T) {
	for in, want := range map[string]string{
		"binary_classification_metrics.auc": "binary_classification_metrics.auc",
		"fraud-detector":                    "fraud-detector",
		"_private_":                         "&#95;private&#95;",
		"a|b":                               "a&#124;b",
		"@bob":                              "@\u200dbob",
		"x<y>&z":                            "x&lt;y&gt;&amp;z",
		"two\nlines":                        "two lines",
		"evil\u202etxt.yaml":                "evil txt.yaml",
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escMermaid(`a "b" [c] <d> #e`); got != "a #quot;b#quot; #91;c#93; #60;d#62; #35;e" {
		t.Errorf("escMermaid = %q", got)
	}
}

func TestShortForms(t *testing.T) {
	d := digestOf("x")
	if got := shortDigest(d); got != "`sha256:"+d[7:11]+"…"+d[len(d)-4:]+"`" {
		t.Errorf("shortDigest(%s) = %s", d, got)
	}
	if got := shortSHA(headSHA); got != "`4f2a9c1`" {
		t.Errorf("shortSHA = %s", got)
	}
	if got := shortSHA("not`a sha"); got != "not&#96;a sha" {
		t.Errorf("shortSHA of a non-SHA = %s", got)
	}
}
