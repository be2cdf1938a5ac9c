package apply_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/propose"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

// The shared-registry variant of the central registry: the central
// account shares its model package groups with staging and prod by a
// resource policy (sharedRegistry: true), and those stages read central's
// copies by ARN with their own roles; no role in the central account is
// assumed for them.

func sharedWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := worldtest.New(t, world.Options{Central: true, SharedRegistry: true, EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions(riskScore, 5); err != nil {
		t.Fatal(err)
	}
	return w
}

// groupPolicy is docs/iam's example policy of a central group, for
// risk-score, with the principals keep says to keep.
func groupPolicy(t *testing.T, keep func(principal string) bool) string {
	t.Helper()
	data, err := os.ReadFile("../../docs/iam/model-package-group-policy-central.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "fraud-detector", riskScore), "\n") {
		if p := strings.Trim(strings.TrimSpace(line), `",`); strings.HasPrefix(p, "arn:aws:iam::") && !keep(p) {
			continue
		}
		out = append(out, line)
	}
	// A dropped last principal leaves a trailing comma.
	return strings.ReplaceAll(strings.Join(out, "\n"), ",\n        ]", "\n        ]")
}

// putGroupPolicy puts a policy on central's group as its platform team
// would, with the central account's own credentials.
func putGroupPolicy(t *testing.T, w *world.World, policy string) {
	t.Helper()
	c := sm.NewFromConfig(w.AdminAWS(world.CentralAccount), func(o *sm.Options) { o.Region = world.Region })
	if _, err := c.PutModelPackageGroupPolicy(t.Context(), &sm.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(riskScore), ResourcePolicy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func TestSharedCentralRegistryFeedsStagingAndProdByItsPolicy(t *testing.T) {
	w := sharedWorld(t)
	central := promoteToCentral(t, w)
	putGroupPolicy(t, w, groupPolicy(t, func(string) bool { return true }))
	defer w.AWS.Unreachable(world.DevAccount)()
	w.AWS.ResetRequests()

	n := mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging, approvers: []string{world.Bob}})
	if c := w.GitHub.Comments(world.Repo, n); len(c) == 0 || !strings.Contains(c[0].Body, "Reads its package from central&#39;s registry &#40;account "+world.CentralAccount+"&#41;, shared registry, read with arn:aws:iam::"+world.StagingAccount+":role/modelpromote-inspect.") {
		t.Errorf("the pull request does not say how central is read: %+v", c)
	}
	res := runApply(t, applyEnv(w), n)
	if res.Failed() {
		t.Fatalf("staging: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if d := res.Plan.Promotions[0].Details.Source; d == nil || d.Mode != plan.UpstreamShared || d.ReadWith != "arn:aws:iam::"+world.StagingAccount+":role/modelpromote-deploy" {
		t.Errorf("staging's source at apply %+v", d)
	}
	if ps := res.Plan.Promotions[0].Details.PreviousStage; ps == nil || ps.TargetPackageARN != central[0].ModelPackageArn {
		t.Errorf("after: central read %+v", ps)
	}
	if s := serving(t, w, "staging", "risk-score-staging"); s == nil || s.SourceVersion != 3 || s.SourcePackageARN != world.PackageARN(riskScore, 3) {
		t.Fatalf("staging serves %+v", s)
	}
	// Apply still copies into staging's own registry and bucket: the
	// endpoint does not depend on the central account at run time.
	staged := packagesFrom(w, world.StagingAccount, world.PackageARN(riskScore, 3))
	if len(staged) != 1 || staged[0].CustomerMetadataProperties[plan.ProvenanceVia] != central[0].ModelPackageArn ||
		!strings.HasPrefix(staged[0].InferenceSpecification.Containers[0].ModelDataUrl, "s3://acme-ml-artifacts-staging/") {
		t.Fatalf("staging's package %+v", staged)
	}
	rec := record(t, w, res.Outcomes[0].RecordURI)
	if rec.Via == nil || rec.Via.PackageARN != central[0].ModelPackageArn {
		t.Errorf("staging's record via %+v", rec.Via)
	}
	for _, a := range rec.Artifacts {
		if !strings.HasPrefix(a.Source, "s3://"+world.CentralBucket+"/") {
			t.Errorf("staging copied %s, not central's copy", a.Source)
		}
	}

	// propose --latest-approved reads central's copies with staging's read role.
	prop, err := propose.Open(t.Context(), propose.Env{Repo: w.BotRepo(), AWS: w.BotAWS()}, propose.Request{Model: riskScore, Stage: "staging", LatestApproved: true})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Proposal.Version != 3 || prop.Proposal.PackageARN != world.PackageARN(riskScore, 3) {
		t.Errorf("proposed %+v (%s)", prop.Proposal, prop.Action)
	}

	prodModel := "  prod:\n    version: 3\n    endpoint: {name: risk-score, instanceType: ml.m5.large, instanceCount: 1}\n"
	res = runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + prodModel, approvers: []string{world.Bob, world.Gina}}))
	if res.Failed() {
		t.Fatalf("prod: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	if s := serving(t, w, "prod", "risk-score"); s == nil || s.SourceVersion != 3 || s.EndpointStatus != "InService" {
		t.Fatalf("prod serves %+v", s)
	}
	for _, f := range res.Plan.Findings {
		if strings.Contains(f.Message, "custody") {
			t.Errorf("prod's chain of custody: %s", f.Message)
		}
	}
	// The stages read central with their own roles, and the dev account not
	// at all.
	assertUntouched(t, w, world.CentralAccount, world.DevAccount)
}

// Without a policy that grants the stage, the check stays shut and says
// what central must share, and apply changes nothing in staging.
func TestSharedCentralRegistryWithoutThePolicyKeepsTheGateShut(t *testing.T) {
	w := sharedWorld(t)
	promoteToCentral(t, w)
	// shut opens staging's promotion, approved, and checks that the check
	// stays shut (lineage and those of gates) with the finding want, told
	// on the pull request.
	shut := func(t *testing.T, want string, gates ...plan.Gate) int {
		t.Helper()
		n := openPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging})
		if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "ok"); err != nil {
			t.Fatal(err)
		}
		cr, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
		if err != nil {
			t.Fatal(err)
		}
		if cr.Verdict != plan.StatusFail {
			t.Fatalf("verdict %s", cr.Verdict)
		}
		for _, g := range append(gates, plan.GateLineage) {
			if s := cr.Plan.Promotions[0].Status(g); s != plan.StatusFail {
				t.Errorf("%s gate %s", g, s)
			}
		}
		if !hasFinding(cr.Plan, want) {
			t.Errorf("no finding %q in %+v", want, cr.Plan.Findings)
		}
		if c := w.GitHub.Comments(world.Repo, n); len(c) == 0 || !strings.Contains(c[len(c)-1].Body, strings.NewReplacer("'", "&#39;", "(", "&#40;", ")", "&#41;").Replace(want)) {
			t.Errorf("the pull request was not told: %+v", c)
		}
		return n
	}
	notShared := "central's registry (account " + world.CentralAccount + ") does not share model package group risk-score with arn:aws:iam::" + world.StagingAccount + ":role/modelpromote-inspect"

	t.Run("a policy for prod's roles only", func(t *testing.T) {
		putGroupPolicy(t, w, groupPolicy(t, func(p string) bool { return strings.Contains(p, world.ProdAccount) }))
		shut(t, notShared, plan.GatePolicy)
	})
	t.Run("the group shared, the bucket not", func(t *testing.T) {
		putGroupPolicy(t, w, groupPolicy(t, func(string) bool { return true }))
		var bucketPolicy string
		for _, b := range w.AWS.S3().Buckets() {
			if b.Name == world.CentralBucket {
				bucketPolicy = b.Policy
			}
		}
		if err := w.AWS.S3().SetBucketPolicy(world.CentralBucket, ""); err != nil {
			t.Fatal(err)
		}
		shut(t, "central's bucket "+world.CentralBucket+" does not share its evidence records with this stage's roles")
		if err := w.AWS.S3().SetBucketPolicy(world.CentralBucket, bucketPolicy); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no policy", func(t *testing.T) {
		c := sm.NewFromConfig(w.AdminAWS(world.CentralAccount), func(o *sm.Options) { o.Region = world.Region })
		if _, err := c.DeleteModelPackageGroupPolicy(t.Context(), &sm.DeleteModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(riskScore)}); err != nil {
			t.Fatal(err)
		}
		n := shut(t, notShared, plan.GatePolicy)
		// Merged regardless (an admin merge): apply refuses, and nothing
		// reaches staging.
		if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
			t.Fatal(err)
		}
		res := runApply(t, applyEnv(w), n)
		if !res.Failed() || !strings.Contains(strings.Join(res.Refused, "\n"), "does not share model package group risk-score with arn:aws:iam::"+world.StagingAccount+":role/modelpromote-deploy") {
			t.Errorf("apply: refused %v outcomes %+v", res.Refused, res.Outcomes)
		}
		snap := w.SageMaker.Snapshot(world.StagingAccount, world.Region)
		if len(snap.ModelPackages) != 0 || len(snap.Endpoints) != 0 || len(snap.Models) != 0 {
			t.Errorf("staging changed: packages %d, endpoints %d, models %d", len(snap.ModelPackages), len(snap.Endpoints), len(snap.Models))
		}
		if objs, err := w.AWS.S3().Objects("acme-ml-artifacts-staging"); err != nil || len(objs) != 0 {
			t.Errorf("staging's bucket holds %d objects (%v)", len(objs), err)
		}
	})
}
