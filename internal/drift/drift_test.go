package drift_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
	"github.com/modelpromote/modelpromote/promotions"
)

func example(t *testing.T) *manifest.Set {
	t.Helper()
	tree := manifest.Tree{}
	entries, _ := fs.ReadDir(promotions.Files, ".")
	for _, e := range entries {
		data, _ := fs.ReadFile(promotions.Files, e.Name())
		tree["promotions/"+e.Name()] = data
	}
	set := manifest.Load(tree, "promotions")
	if set.Config == nil || len(set.Problems) > 0 {
		t.Fatalf("example: %v", set.Problems)
	}
	return set
}

func fraud(r *drift.Report) []plan.Drift {
	var out []plan.Drift
	for _, d := range r.Drift {
		if d.Model == "fraud-detector" {
			out = append(out, d)
		}
	}
	return out
}

func TestOutOfBandDeployIsDrift(t *testing.T) {
	w, err := worldtest.New(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions("fraud-detector", 13); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		stage, endpoint string
		version         int
	}{{"staging", "fraud-detector-staging", 12}, {"prod", "fraud-detector", 11}} {
		if err := w.Deploy(t.Context(), d.stage, "fraud-detector", d.version, d.endpoint); err != nil {
			t.Fatal(err)
		}
	}
	set := example(t)
	stages := endpoints.NewStages(accounts.New(accounts.Options{Base: w.BotAWS()}))
	before := drift.Detect(t.Context(), set.Config.Config, set.Models, stages)
	if got := fraud(before); len(got) != 0 || len(before.Unread) != 0 || before.Checked != 6 {
		t.Fatalf("before: %+v", before)
	}
	// The example's other models are not deployed in this world: drift too.
	if len(before.Drift) != 4 || !strings.Contains(before.Drift[0].Detail, "does not exist") {
		t.Errorf("other models: %+v", before.Drift)
	}

	if err := w.Deploy(t.Context(), "staging", "fraud-detector", 13, "fraud-detector-staging"); err != nil {
		t.Fatal(err)
	}
	after := drift.Detect(t.Context(), set.Config.Config, set.Models, stages)
	got := fraud(after)
	if len(got) != 1 || got[0].Stage != "staging" || got[0].Manifest != 12 || got[0].Serving != 13 || !strings.Contains(got[0].Detail, "serves v13") {
		t.Fatalf("after an out-of-band deploy: %+v", got)
	}
	if after.Clean() {
		t.Error("a report with drift is clean")
	}
}

func TestCompare(t *testing.T) {
	st := manifest.Stage{Version: 12, Endpoint: manifest.Endpoint{Name: "ep"}}
	arn := func(group string, v int) string {
		return "arn:aws:sagemaker:eu-west-1:111111111111:model-package/" + group + "/" + strconv.Itoa(v)
	}
	cases := []struct {
		name    string
		serving *plan.Serving
		want    string // "" for no drift
	}{
		{"serves the manifest's version", &plan.Serving{SourceVersion: 12, SourcePackageARN: arn("fraud", 12)}, ""},
		{"serves another version", &plan.Serving{SourceVersion: 13, SourcePackageARN: arn("fraud", 13)}, "serves v13"},
		{"no endpoint", nil, "does not exist"},
		{"not deployed by modelpromote", &plan.Serving{EndpointConfig: "hand-made"}, "did not deploy"},
		{"another group's version", &plan.Serving{SourceVersion: 12, SourcePackageARN: arn("other", 12)}, "model-package/other/12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := drift.Compare("fraud", "fraud", "staging", st, c.serving)
			switch {
			case c.want == "" && d != nil:
				t.Errorf("drift %+v", d)
			case c.want != "" && (d == nil || !strings.Contains(d.Detail, c.want)):
				t.Errorf("drift %+v, want %q", d, c.want)
			}
		})
	}
}

// A scaling journal in a stage's bucket is drift, named with what the
// core's trust rule says of it: one apply wrote (a deployment stopped with
// the variant's autoscaling taken down), or one it does not trust (which
// stops the next deployment to the endpoint).
func TestScalingJournalLeftInTheBucketIsDrift(t *testing.T) {
	w, err := worldtest.New(t, world.Options{EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions("fraud-detector", 12); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		stage, endpoint string
		version         int
	}{{"staging", "fraud-detector-staging", 12}, {"prod", "fraud-detector", 11}} {
		if err := w.Deploy(t.Context(), d.stage, "fraud-detector", d.version, d.endpoint); err != nil {
			t.Fatal(err)
		}
	}
	set := example(t)
	readers := accounts.New(accounts.Options{Base: w.BotAWS()}).Readers()
	stages := drift.WithJournals(endpoints.NewStages(readers), &artifacts.Evidence{Configs: readers, PathStyle: true})
	if got := fraud(drift.Detect(t.Context(), set.Config.Config, set.Models, stages)); len(got) != 0 {
		t.Fatalf("drift without a journal: %+v", got)
	}
	prod, _ := set.Config.Config.Environment("prod")
	key := plan.ScalingJournalKey("fraud-detector", "AllTraffic")
	body, _ := json.Marshal(plan.NewScalingJournal(prod, "fraud-detector", "AllTraffic", []byte(`{"min":2,"max":8}`), w.Now()))
	s3c := artifacts.Client(w.AdminAWS(world.ProdAccount), true)
	for _, c := range []struct {
		name string
		put  *s3.PutObjectInput
		want string
	}{
		{"under prod's key", &s3.PutObjectInput{ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(prod.KMSKeyARN)},
			"endpoint fraud-detector has a scaling journal: s3://" + prod.ArtifactBucket + "/" + key + " keeps the autoscaling registration an instance-type change took down"},
		{"planted without the key", &s3.PutObjectInput{},
			"is not trusted: it is not encrypted with prod's KMS key " + prod.KMSKeyARN + " (it has AES256), which only modelpromote's deploy role may use: apply did not write it; the next deployment to fraud-detector stops"},
	} {
		c.put.Bucket, c.put.Key, c.put.Body = aws.String(prod.ArtifactBucket), aws.String(key), bytes.NewReader(body)
		if _, err := s3c.PutObject(t.Context(), c.put); err != nil {
			t.Fatal(err)
		}
		got := fraud(drift.Detect(t.Context(), set.Config.Config, set.Models, stages))
		if len(got) != 1 || got[0].Stage != "prod" || len(got[0].Settings) != 1 || got[0].Settings[0].Setting != drift.SettingScalingJournal ||
			!strings.Contains(got[0].Detail, c.want) {
			t.Errorf("%s: drift %+v, want prod's scalingJournal saying %q", c.name, got, c.want)
		}
	}
}
