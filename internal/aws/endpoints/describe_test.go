package endpoints_test

import (
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// A Deployer from NewDeployer deploys through the account's aws.Config,
// and Describe reads the endpoint without changing anything.
func TestNewDeployerDeploysAndDescribeOnlyReads(t *testing.T) {
	e := newEnv(t, time.Millisecond)
	d := endpoints.NewDeployer(e.cfg)
	d.Poll = 2 * time.Millisecond
	before := e.mutations()
	st, err := d.Describe(ctx(t), endpoint)
	if err != nil || st.EndpointStatus != "" || st.Endpoint != endpoint {
		t.Fatalf("missing endpoint: %+v, %v", st, err)
	}
	if e.mutations() != before {
		t.Error("Describe of a missing endpoint changed something")
	}
	out, err := d.Deploy(ctx(t), e.request(1, "aaaaaaa", manifest.Rollout{}))
	if err != nil || !out.Created {
		t.Fatalf("deploy: %+v, %v", out, err)
	}
	before = e.mutations()
	st, err = d.Describe(ctx(t), endpoint)
	if err != nil || st.EndpointStatus != "InService" || st.Config != out.NewConfig {
		t.Errorf("Describe = %+v, %v; want InService on %s", st, err, out.NewConfig)
	}
	if e.mutations() != before {
		t.Error("Describe changed something")
	}
}
