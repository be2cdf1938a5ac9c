package endpoints

import (
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

func TestDefaultTimeoutFollowsTheRollout(t *testing.T) {
	for _, tt := range []struct {
		rollout manifest.Rollout
		want    time.Duration
	}{
		{manifest.Rollout{}, time.Hour},
		{manifest.Rollout{MaxExecutionTimeoutSeconds: 3600, TerminationWaitSeconds: 300}, 65*time.Minute + 15*time.Minute},
		{manifest.Rollout{MaxExecutionTimeoutSeconds: 28800}, 8*time.Hour + 15*time.Minute},
	} {
		if got := timeout(tt.rollout); got != tt.want {
			t.Errorf("timeout(%+v) = %s, want %s", tt.rollout, got, tt.want)
		}
	}
}
