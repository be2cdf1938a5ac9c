package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusCase is one malformed file and the problem it must produce, taken
// from its last line: "# want: LINE:COL: message".
type corpusCase struct {
	name string
	data []byte
	want string // "LINE:COL: message"
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	files, err := filepath.Glob("testdata/malformed/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("malformed corpus has %d files, want at least 40", len(files))
	}
	var cases []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		want, ok := strings.CutPrefix(lines[len(lines)-1], "# want: ")
		if !ok {
			t.Fatalf("%s: last line must be '# want: LINE:COL: message'", f)
		}
		cases = append(cases, corpusCase{name: filepath.Base(f), data: data, want: want})
	}
	return cases
}

func parseAny(name string, data []byte) Problems {
	if strings.HasPrefix(name, "config-") {
		_, ps := ParseConfig(name, data)
		return ps
	}
	_, ps := ParseModel(name, data)
	return ps
}

func TestMalformedCorpusReportsPositionAndMessage(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			ps := parseAny(c.name, c.data)
			if len(ps) == 0 {
				t.Fatalf("no problems; want %s", c.want)
			}
			want := c.name + ":" + c.want
			for _, p := range ps {
				if p.Error() == want {
					return
				}
			}
			t.Errorf("problems:\n%s\nwant one to be:\n%s", ps.Error(), want)
		})
	}
}

func TestExampleRepositoryIsValid(t *testing.T) {
	tree, err := ReadDir("../..", "promotions")
	if err != nil {
		t.Fatal(err)
	}
	set, ps := Validate(tree, "promotions")
	if len(ps) > 0 {
		t.Fatalf("promotions/ has problems:\n%s", ps.Error())
	}
	if len(set.Models) < 3 {
		t.Errorf("example has %d models, want at least 3", len(set.Models))
	}
	for name, m := range set.Models {
		for _, stage := range []string{"staging", "prod"} {
			if _, ok := m.Stages[stage]; !ok {
				t.Errorf("model %s has no %s stage", name, stage)
			}
		}
	}
}

func TestExampleFilesDeclareTheirSchema(t *testing.T) {
	files, _ := filepath.Glob("../../promotions/*.yaml")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		want := "# yaml-language-server: $schema=../docs/schema/model.schema.json"
		if filepath.Base(f) == ConfigFile {
			want = "# yaml-language-server: $schema=../docs/schema/config.schema.json"
		}
		if first, _, _ := strings.Cut(string(data), "\n"); first != want {
			t.Errorf("%s: first line is %q, want %q", f, first, want)
		}
	}
}

func TestOversizedFileIsRefusedBeforeParsing(t *testing.T) {
	data := bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)
	_, ps := ParseModel("big.yaml", data)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "larger than the 1048576-byte limit") {
		t.Fatalf("problems = %v", ps)
	}
}

func TestAliasBombFailsFast(t *testing.T) {
	// Nine levels of nine-fold aliases expand to 9^9 nodes if anything
	// expanded them; refusing anchors keeps the cost linear in the file.
	var b strings.Builder
	b.WriteString("version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(name + ": &" + name + " [")
		for i := 0; i < 9; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	start := time.Now()
	_, ps := ParseConfig("bomb.yaml", []byte(b.String()))
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		// Not a timing assertion of speed: a generous bound that only an
		// expansion (minutes, gigabytes) would break.
		t.Fatalf("took %v", elapsed)
	}
	if len(ps) == 0 || !strings.Contains(ps[0].Message, "anchors") {
		t.Fatalf("problems = %v", ps)
	}
}

const goodConfig = `version: 1
source: {account: "111111111111", region: eu-west-1}
environments:
  - name: staging
    account: "222222222222"
    region: eu-west-1
    roleArn: arn:aws:iam::222222222222:role/deploy
    artifactBucket: artifacts-staging
    kmsKeyArn: arn:aws:kms:eu-west-1:222222222222:key/1a2b3c4d-1111-2222-3333-444455556666
    executionRoleArn: arn:aws:iam::222222222222:role/exec
  - name: prod
    after: staging
    account: "333333333333"
    region: eu-west-1
    roleArn: arn:aws:iam::333333333333:role/deploy
    artifactBucket: artifacts-prod
    kmsKeyArn: arn:aws:kms:eu-west-1:333333333333:key/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff
    executionRoleArn: arn:aws:iam::333333333333:role/exec
policy:
  owners: [team:platform]
  stages:
    staging: {approvals: 1}
    prod: {approvals: 2, soakTime: 24h}
`

func modelYAML(name, stages string) string {
	return "version: 1\nmodel: " + name + "\nmodelPackageGroup: " + name + "\nstages:\n" + stages
}

func TestCheckModelsAgainstConfig(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "unknown stage",
			files: map[string]string{"p/a.yaml": modelYAML("a", `  qa:
    version: 1
    endpoint: {name: a-qa, instanceType: ml.m5.large, instanceCount: 1}
`)},
			want: []string{`p/a.yaml:5:3: unknown stage "qa": p/modelpromote.yaml defines no such environment (known: staging, prod)`},
		},
		{
			name: "two models on one endpoint",
			files: map[string]string{
				"p/a.yaml": modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: shared, instanceType: ml.m5.large, instanceCount: 1}\n"),
				"p/b.yaml": modelYAML("b", "  staging:\n    version: 1\n    endpoint: {name: shared, instanceType: ml.m5.large, instanceCount: 1}\n"),
			},
			want: []string{`p/a.yaml:7:22: endpoint "shared" in staging is also used by p/b.yaml (stages.staging)`,
				`p/b.yaml:7:22: endpoint "shared" in staging is already used by p/a.yaml (stages.staging)`},
		},
		{
			name: "endpoint names that differ only in case are one SageMaker endpoint",
			files: map[string]string{
				"p/a.yaml": modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: fraud-detector-staging, instanceType: ml.m5.large, instanceCount: 1}\n"),
				"p/b.yaml": modelYAML("b", "  staging:\n    version: 1\n    endpoint: {name: Fraud-Detector-Staging, instanceType: ml.m5.large, instanceCount: 1}\n"),
			},
			want: []string{`p/a.yaml:7:22: endpoint "fraud-detector-staging" in staging is also used by p/b.yaml (stages.staging) as "Fraud-Detector-Staging" (SageMaker endpoint names ignore case)`,
				`p/b.yaml:7:22: endpoint "Fraud-Detector-Staging" in staging is already used by p/a.yaml (stages.staging) as "fraud-detector-staging" (SageMaker endpoint names ignore case)`},
		},
		{
			name: "same endpoint name in different accounts is fine",
			files: map[string]string{
				"p/a.yaml": modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n  prod:\n    version: 1\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n"),
			},
		},
		{
			name: "same model in two files",
			files: map[string]string{
				"p/a.yaml":  modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n"),
				"p/a2.yaml": modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: a2, instanceType: ml.m5.large, instanceCount: 1}\n"),
			},
			want: []string{
				`p/a2.yaml:2:8: model "a" must be defined in a file named a.yaml, not a2.yaml`,
				`p/a2.yaml:2:8: model "a" is also defined in p/a.yaml`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := Tree{"p/modelpromote.yaml": []byte(goodConfig)}
			for p, s := range c.files {
				tree[p] = []byte(s)
			}
			assertProblems(t, tree, c.want)
		})
	}
}

// assertProblems validates the promotions directory "p" of tree and
// checks its problems, in order.
func assertProblems(t *testing.T, tree Tree, want []string) {
	t.Helper()
	_, ps := Validate(tree, "p")
	var got []string
	for _, p := range ps {
		got = append(got, p.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMissingConfigIsAProblem(t *testing.T) {
	tree := Tree{"p/a.yaml": []byte(modelYAML("a", "  staging:\n    version: 1\n    endpoint: {name: a, instanceType: ml.m5.large, instanceCount: 1}\n"))}
	_, ps := Validate(tree, "p")
	if len(ps) != 1 || ps[0].Error() != "p/modelpromote.yaml: configuration file not found" {
		t.Fatalf("problems = %v", ps)
	}
}

func TestDecodedValuesAreKept(t *testing.T) {
	doc, ps := ParseConfig("c.yaml", []byte(goodConfig))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if got := doc.Policy.Stages["prod"].SoakTime.Duration; got != 24*time.Hour {
		t.Errorf("soakTime = %v", got)
	}
	if doc.Environments[1].After != "staging" || doc.Source.Account != "111111111111" {
		t.Errorf("decoded %+v", doc.Config)
	}
	if pos := doc.Of("environments[1].account"); pos != (Pos{Line: 13, Col: 14}) {
		t.Errorf("position of environments[1].account = %v", pos)
	}
}
