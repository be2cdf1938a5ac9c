package apply

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// The assume step hands on credentials of the environment's account,
// obtained through the deploy role.
func TestAssumeStepHandsOnTheDeployRole(t *testing.T) {
	s := newStepWorld(t)
	s.run(t, action[*plan.AssumeRole](t, s))
	id, err := sts.NewFromConfig(s.st.target).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != world.StagingAccount || !strings.Contains(aws.ToString(id.Arn), "modelpromote-deploy") {
		t.Errorf("caller %s in %s, want the deploy role in %s", aws.ToString(id.Arn), aws.ToString(id.Account), world.StagingAccount)
	}
}

// A role that cannot be assumed stops the step with the role's name.
func TestAssumeStepFailsOnARoleItCannotAssume(t *testing.T) {
	s := newStepWorld(t)
	a := action[*plan.AssumeRole](t, s)
	a.RoleARN = "arn:aws:iam::" + world.StagingAccount + ":role/nobody"
	a.Environment = "staging-nobody"
	st, _ := s.r.stepFor(a)
	if err := st.run(t.Context(), s.st); err == nil || !strings.Contains(err.Error(), "assume "+a.RoleARN) {
		t.Fatalf("run = %v", err)
	}
}

// Predicting assumes nothing yet: the credentials are fetched by the
// first read that needs them.
func TestAssumeStepPredictCallsNothing(t *testing.T) {
	s := newStepWorld(t)
	s.w.AWS.ResetRequests()
	st, _ := s.r.stepFor(action[*plan.AssumeRole](t, s))
	if err := st.predict(t.Context(), s.st, &PromotionPreview{}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.w.AWS.Requests()); n != 0 || s.st.target.Region != world.Region {
		t.Errorf("%d calls, target region %q", n, s.st.target.Region)
	}
}
