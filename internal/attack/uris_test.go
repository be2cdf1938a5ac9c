package attack_test

import (
	"html"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/check"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Issue 12 §9: every S3 URI in a package (the sample payload, the drift
// baselines, every container's model data) is judged at review time by the
// rules apply copies by: an object the check cannot bind in the source
// account's buckets shuts the lineage gate, so a pull request that could
// not be applied never passes its check.
func TestAttackURIsTheCheckUsedNotToReadShutTheGate(t *testing.T) {
	for _, c := range []struct {
		name, payload, want string
	}{
		{"sample payload in another account's bucket", "s3://acme-ml-artifacts-prod/planted/payload.tar.gz", "acme-ml-artifacts-prod"},
		{"sample payload climbing out of its prefix", "s3://" + world.DevBucket + "/samples/../planted/payload.tar.gz", ".."},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			// A dev-account writer registers v14: v13 in every respect but
			// its sample payload.
			p, ok := w.SageMaker.ModelPackage(world.DevAccount, world.Region, "fraud-detector/13")
			if !ok {
				t.Fatal("no fraud-detector v13")
			}
			p.ModelPackageArn, p.ModelPackageVersion, p.ModelPackageName, p.SamplePayloadUrl = "", 0, "", c.payload
			if _, err := w.SageMaker.SeedModelPackage(world.DevAccount, world.Region, p); err != nil {
				t.Fatal(err)
			}
			n := openStaging(t, w, 12, 14)
			if _, err := w.GitHub.Review(world.Repo, n, world.Bob, "APPROVE", "lgtm"); err != nil {
				t.Fatal(err)
			}
			w.AWS.ResetRequests()
			res, err := check.Run(t.Context(), check.Env{Repo: w.BotRepo(), AWS: w.BotAWS(), S3PathStyle: true, Report: true, Now: afterSoak}, n)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict == plan.StatusPass {
				t.Fatalf("the check passed a package whose sample payload is %s", c.payload)
			}
			found := false
			for _, f := range res.Plan.Findings {
				if f.Gate == plan.GateLineage && f.Severity == plan.SeverityError && strings.Contains(f.Message, c.want) {
					t.Logf("lineage: %s", f.Message)
					found = true
				}
			}
			if !found {
				t.Errorf("no lineage error naming %q: %+v", c.want, res.Plan.Findings)
			}
			cs := w.GitHub.Comments(world.Repo, n)
			if len(cs) == 0 || !strings.Contains(html.UnescapeString(cs[len(cs)-1].Body), c.want) {
				t.Error("the pull request was not told")
			}
			assertUntouched(t, w)
		})
	}
}
