package endpoints_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Progress shows how far a canary has shifted traffic, from the pending
// variant's VariantStatus.
func TestProgressShowsTheCanarysStages(t *testing.T) {
	e := newEnv(t, 100*time.Millisecond)
	e.live(t)
	var stages []string
	e.d.Progress = func(s endpoints.Status) {
		if s.Stage != "" && !slices.Contains(stages, s.Stage) {
			stages = append(stages, s.Stage)
		}
	}
	e.deploy(t, e.request(2, "bbbbbbb", manifest.Rollout{Strategy: "canary", CanaryPercent: 25, WaitSeconds: 300, Alarms: []string{alarm}}))
	var shares []string
	for _, s := range stages {
		if _, rest, ok := strings.Cut(s, "Baking: "); ok {
			share, _, _ := strings.Cut(rest, " ")
			shares = append(shares, share)
		}
	}
	if !slices.Equal(shares, []string{"25%", "100%"}) {
		t.Errorf("stages %q, want baking at 25%% then 100%% of traffic", stages)
	}
}
