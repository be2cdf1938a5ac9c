package endpoints_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// entityName is SageMaker's pattern for model and endpoint config names.
var entityName = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

func TestResourceName(t *testing.T) {
	long := strings.Repeat("fraud-detector-", 4) + "eu" // 62 characters
	for _, tt := range []struct {
		endpoint, id, want string
	}{
		{"churn", "v13-1a2b3c4", "churn-v13-1a2b3c4"},
		{"churn", "v13.1a2b3c4", ""}, // changed characters: hashed
		{long, "v13-1a2b3c4", ""},
		{long, "v14-1a2b3c4", ""},
		{strings.Repeat("a", 63), "v1", ""},
	} {
		got := endpoints.ResourceName(tt.endpoint, tt.id)
		if !entityName.MatchString(got) {
			t.Errorf("ResourceName(%q, %q) = %q: not a valid SageMaker name", tt.endpoint, tt.id, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("ResourceName(%q, %q) = %q, want %q", tt.endpoint, tt.id, got, tt.want)
		}
		if again := endpoints.ResourceName(tt.endpoint, tt.id); again != got {
			t.Errorf("not deterministic: %q then %q", got, again)
		}
		if !strings.HasPrefix(got, tt.endpoint[:min(len(tt.endpoint), 50)]) {
			t.Errorf("%q does not start with the endpoint's name", got)
		}
	}
	distinct := map[string]bool{}
	for _, id := range []string{"v13-1a2b3c4", "v14-1a2b3c4", "v13.1a2b3c4", "v13-1a2b3c4-"} {
		distinct[endpoints.ResourceName(long, id)] = true
		distinct[endpoints.ResourceName("churn", id)] = true
	}
	if len(distinct) != 8 {
		t.Errorf("names collide: %v", distinct)
	}
}

func TestCanaryWithoutSizeIsRefusedBeforeAnythingChanges(t *testing.T) {
	e := newEnv(t, 5*time.Millisecond)
	before := e.mutations()
	r := e.request(1, "aaaaaaa", manifest.Rollout{Strategy: "canary"})
	if _, err := e.d.Deploy(ctx(t), r); err == nil || !strings.Contains(err.Error(), "no canary size") {
		t.Errorf("err = %v", err)
	}
	if n := e.mutations(); n != before {
		t.Errorf("%d changes", n-before)
	}
}
