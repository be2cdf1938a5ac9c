package attack_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/apply"
	awsaccounts "github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The scaling journal (docs/SECURITY.md, "Planted scaling journal"): while
// an instance-type change has a variant's autoscaling registration taken
// down, apply keeps the registration in a journal, and a later deploy
// registers what the journal keeps. A target-account principal who may tag
// the endpoint, or write objects in the artifact bucket, but not register
// scaling nor encrypt under the environment's key, plants a journal with
// bounds of their choosing (50–100 instances) on prod's fraud-detector,
// which no registration covers, and waits for the next reviewed
// instance-type change.

// plantedRegistration is the registration the attacker wants registered,
// in the endpoints adapter's journal format, for the update from the
// config prod serves.
func plantedRegistration(t *testing.T, w *world.World) []byte {
	t.Helper()
	ep, _ := w.SageMaker.Endpoint(world.ProdAccount, world.Region, "fraud-detector")
	return []byte(`{"fromConfig":"` + ep.EndpointConfigName + `","resource":"endpoint/fraud-detector/variant/AllTraffic","min":50,"max":100}`)
}

// biggerProd merges (with prod's two approvals and a passing check) the
// reviewed change the attacker waits for: prod's fraud-detector on
// ml.m5.2xlarge.
func biggerProd(t *testing.T, w *world.World) int {
	t.Helper()
	cur, _ := w.GitHub.File(world.Repo, "main", "promotions/fraud-detector.yaml")
	i := strings.Index(cur, "  prod:\n")
	typ := strings.Index(cur[i:], "ml.m5.xlarge")
	if i < 0 || typ < 0 {
		t.Fatalf("prod's fraud-detector has no ml.m5.xlarge:\n%s", cur)
	}
	n := openPR(t, w, "bigger-prod", edit{"promotions/fraud-detector.yaml", cur[i : i+typ+len("ml.m5.xlarge")],
		cur[i:i+typ] + "ml.m5.2xlarge"}, ghemu.Change{})
	approve(t, w, n, world.Gina, world.Gus)
	if res := runCheck(t, w, n); res.Verdict != plan.StatusPass {
		t.Fatalf("the instance-type change does not pass its check:\n%s", findings(res.Plan))
	}
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	return n
}

// noScalingRegistered fails when any account has a scalable target.
func noScalingRegistered(t *testing.T, w *world.World) {
	t.Helper()
	for _, acct := range accounts {
		if lo, hi, ok := w.Autoscaling.Registered(acct, world.Region, "fraud-detector", "AllTraffic"); ok {
			t.Errorf("account %s registered fraud-detector for autoscaling %d–%d", acct, lo, hi)
		}
	}
}

// Journal tags as modelpromote kept them before the journal moved to the
// artifact bucket, planted by someone who may tag the endpoint: they are
// not read. The reviewed type change goes through, nothing is registered
// from the tags, and the pull request is told they were ignored.
func TestAttackPlantedScalingJournalTagsRegisterNothing(t *testing.T) {
	w := newWorld(t)
	ep, _ := w.SageMaker.Endpoint(world.ProdAccount, world.Region, "fraud-detector")
	tag := endpoints.LegacyJournalTag + ":0"
	if _, err := sagemaker.NewFromConfig(w.AdminAWS(world.ProdAccount)).AddTags(t.Context(), &sagemaker.AddTagsInput{ResourceArn: aws.String(ep.EndpointArn),
		Tags: []smtypes.Tag{{Key: aws.String(tag), Value: aws.String(base64.StdEncoding.EncodeToString(plantedRegistration(t, w)))}}}); err != nil {
		t.Fatal(err)
	}
	n := biggerProd(t, w)
	res, err := apply.Run(t.Context(), applyEnv(w), n)
	if err != nil || res.Failed() {
		t.Fatalf("apply: %v %v %+v", err, res.Refused, res.Outcomes)
	}
	noScalingRegistered(t, w)
	want := "endpoint fraud-detector has tags " + tag + ", a scaling journal as modelpromote kept it in endpoint tags before 2026-12: ignored"
	if !saidOnPR(w, n, want) {
		t.Errorf("the pull request is not told %q", want)
	}
}

// A journal object in prod's artifact bucket that apply did not write
// there for this endpoint: planted by a bucket writer without prod's key
// (SSE-S3), or a journal the deploy role wrote for another stage's
// endpoint put at this one's key. The deploy step stops before creating
// anything, registers nothing, and the pull request is told why; the old
// fleet keeps serving, and no account changes but for the failed
// promotion's evidence record.
func TestAttackPlantedScalingJournalObjectRegistersNothing(t *testing.T) {
	for _, c := range []struct {
		name   string
		plant  func(t *testing.T, w *world.World, key string, body []byte)
		stage  string
		reason string
	}{
		{"not under the key", func(t *testing.T, w *world.World, key string, body []byte) {
			env, _ := w.Config.Environment("prod")
			if err := w.AWS.S3().PutObject(env.ArtifactBucket, key, body); err != nil {
				t.Fatal(err)
			}
		}, "prod", "is not trusted: it is not encrypted with prod's KMS key"},
		{"another endpoint's journal under the key", func(t *testing.T, w *world.World, key string, body []byte) {
			env, _ := w.Config.Environment("prod")
			if _, err := artifacts.Client(w.AdminAWS(world.ProdAccount), true).PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(env.ArtifactBucket),
				Key: aws.String(key), Body: strings.NewReader(string(body)), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(env.KMSKeyARN)}); err != nil {
				t.Fatal(err)
			}
		}, "staging", "is not trusted: it says endpoint fraud-detector-staging variant AllTraffic, but it is kept for endpoint fraud-detector variant AllTraffic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			env, _ := w.Config.Environment(c.stage)
			endpoint := map[string]string{"prod": "fraud-detector", "staging": "fraud-detector-staging"}[c.stage]
			body, err := json.Marshal(plan.NewScalingJournal(env, endpoint, "AllTraffic", plantedRegistration(t, w), w.Now()))
			if err != nil {
				t.Fatal(err)
			}
			key := plan.ScalingJournalKey("fraud-detector", "AllTraffic")
			c.plant(t, w, key, body)
			n := biggerProd(t, w)
			before := snapshot(t, w)
			res, err := apply.Run(t.Context(), applyEnv(w), n)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Failed() || len(res.Outcomes) != 1 || !strings.Contains(res.Outcomes[0].Error, c.reason) {
				t.Errorf("apply over the planted journal: refused %v, outcomes %+v; want it stopped saying %q", res.Refused, res.Outcomes, c.reason)
			}
			noScalingRegistered(t, w)
			prod, _ := w.Config.Environment("prod")
			uri := "s3://" + prod.ArtifactBucket + "/" + key
			if !saidOnPR(w, n, "the scaling journal "+uri+" "+c.reason) {
				t.Errorf("the pull request is not told that %s %s", uri, c.reason)
			}
			// The only write: the evidence record of the failed promotion.
			rec := res.Outcomes[0].RecordURI
			if r := res.Outcomes[0].Record; r == nil || r.Outcome != apply.StateFailure || !strings.Contains(r.Error, c.reason) {
				t.Errorf("evidence record %+v, want the failure and why", r)
			}
			after := snapshot(t, w)
			delete(after, "s3 "+strings.TrimPrefix(rec, "s3://"))
			unchangedFrom(t, before, after)
			// Drift says so too, until the object is deleted.
			if d := driftOf(t, w, "prod"); !strings.Contains(d, uri+" "+c.reason) {
				t.Errorf("drift of prod's fraud-detector %q, want it to say %s %s", d, uri, c.reason)
			}
		})
	}
}

// driftOf is what drift, reading the scaling journals too, says of
// fraud-detector's stage (its detail, then each setting as the account has
// it), as the manifests on main have it.
func driftOf(t *testing.T, w *world.World, stage string) string {
	t.Helper()
	tree, err := w.BotRepo().Tree(t.Context(), "main", manifest.DefaultDir)
	if err != nil {
		t.Fatal(err)
	}
	set := manifest.Load(tree, manifest.DefaultDir)
	if set.Config == nil || len(set.Problems) > 0 {
		t.Fatalf("manifests on main: %v", set.Problems)
	}
	readers := awsaccounts.New(awsaccounts.Options{Base: w.BotAWS()}).Readers()
	r := drift.Detect(t.Context(), set.Config.Config, set.Models, drift.WithJournals(endpoints.NewStages(readers), &artifacts.Evidence{Configs: readers, PathStyle: true}))
	for _, d := range r.Drift {
		if d.Model == "fraud-detector" && d.Stage == stage {
			out := d.Detail
			for _, s := range d.Settings {
				out += "\n" + s.Setting + ": " + s.Account
			}
			return out
		}
	}
	return ""
}
