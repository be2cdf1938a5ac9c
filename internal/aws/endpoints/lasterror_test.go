package endpoints_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// An UpdateEndpoint that keeps answering 5xx until the rollout's time runs
// out ends with that error in the message, not a bare "timed out".
func TestPersistentServerErrorOnUpdateSaysTheLastError(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	old := e.live(t)
	e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "UpdateEndpoint", ServerError: 1 << 20})
	e.d.Timeout = 300 * time.Millisecond
	_, err := e.d.Deploy(ctx(t), e.request(2, "bbbbbbb", manifest.Rollout{Alarms: []string{alarm}}))
	if !errors.Is(err, endpoints.ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "last update endpoint error") || !strings.Contains(err.Error(), "ServiceUnavailable") {
		t.Errorf("the timeout does not say how the update failed: %v", err)
	}
	if ep := e.endpoint(t); ep.EndpointConfigName != old {
		t.Errorf("the endpoint moved to %s", ep.EndpointConfigName)
	}
}
