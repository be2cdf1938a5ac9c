package apply

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The deploy step moves the endpoint to the registered package under this
// merge's deployment name and records the endpoint before and after;
// predict reads the endpoint only.
func TestDeployStepServesTheRegisteredPackage(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.Deploy](t, s)
	s.run(t, action[*plan.AssumeRole](t, s), action[*plan.CopyArtifacts](t, s), action[*plan.RegisterPackage](t, s))
	st, _ := s.r.stepFor(a)
	s.w.AWS.ResetRequests()
	var pv PromotionPreview
	if err := st.predict(t.Context(), s.st, &pv); err != nil || !strings.HasPrefix(pv.Endpoint, "update endpoint fraud-detector-staging (InService, on config ") {
		t.Fatalf("predict = %q, %v", pv.Endpoint, err)
	}
	if w := s.writes(); len(w) > 0 {
		t.Fatalf("predict wrote %v", w)
	}
	s.run(t, a)
	serving, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(s.w.AdminAWS(world.StagingAccount)), a.Endpoint.Name)
	if err != nil || serving.SourceVersion != 13 || serving.TargetPackageARN != s.st.packageARN {
		t.Fatalf("serving %+v, %v; want v13 from %s", serving, err, s.st.packageARN)
	}
	ep := s.st.record.Endpoint
	if ep.ConfigAfter != endpoints.ResourceName(a.Endpoint.Name, "v13-"+stepMergeSHA[:7]) || ep.ConfigBefore == "" || ep.Status != "InService" {
		t.Errorf("recorded endpoint %+v", ep)
	}
}

// Without a registered package there is nothing to deploy, and the
// endpoint is left as it is.
func TestDeployStepNeedsTheRegisteredPackage(t *testing.T) {
	s := newStepWorld(t)
	s.run(t, action[*plan.AssumeRole](t, s))
	s.w.AWS.ResetRequests()
	st, _ := s.r.stepFor(action[*plan.Deploy](t, s))
	if err := st.run(t.Context(), s.st); err == nil || !strings.Contains(err.Error(), "package ARN") {
		t.Fatalf("run = %v", err)
	}
	if w := s.writes(); len(w) > 0 {
		t.Errorf("wrote %v", w)
	}
}
