package ghemu_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

func TestFaultsOnDemand(t *testing.T) {
	tests := []struct {
		name  string
		fault ghemu.Fault
		check func(t *testing.T, err error)
	}{
		{"secondary rate limit 403", ghemu.SecondaryRateLimit(2, http.StatusForbidden, 3*time.Second), func(t *testing.T, err error) {
			ae, ok := err.(*github.AbuseRateLimitError)
			if !ok || ae.GetRetryAfter() != 3*time.Second {
				t.Errorf("err = %T %v", err, err)
			}
		}},
		{"secondary rate limit 429", ghemu.SecondaryRateLimit(2, http.StatusTooManyRequests, time.Second), func(t *testing.T, err error) {
			er, ok := err.(*github.ErrorResponse)
			if !ok || er.Response.StatusCode != http.StatusTooManyRequests || er.Response.Header.Get("Retry-After") != "1" {
				t.Errorf("err = %T %v", err, err)
			}
		}},
		{"server error", ghemu.ServerError(2, http.StatusBadGateway), func(t *testing.T, err error) {
			if statusOf(t, err) != http.StatusBadGateway {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			n, _ := f.openPR(t, "promote", promotionChange)
			f.e.InjectFault("pulls/list-reviews", tt.fault)
			// A fresh client per call: go-github remembers Retry-After and
			// would refuse to call again before it passes.
			tok := mustToken(t, f.e, f.inst)
			for i := 0; i < 2; i++ {
				_, _, err := f.e.Client(tok).PullRequests.ListReviews(ctx, "acme", "models", n, nil)
				tt.check(t, err)
			}
			if _, _, err := f.e.Client(tok).PullRequests.ListReviews(ctx, "acme", "models", n, nil); err != nil {
				t.Errorf("third call still fails: %v", err)
			}
			if _, _, err := f.e.Client(tok).PullRequests.Get(ctx, "acme", "models", n); err != nil {
				t.Errorf("other operation failed: %v", err)
			}
			if got := f.e.Calls("pulls/list-reviews"); got != 3 {
				t.Errorf("calls = %d", got)
			}
		})
	}
}

func TestLatencyAndCallCounts(t *testing.T) {
	f := newFixture(t)
	n, _ := f.openPR(t, "promote", promotionChange)
	f.bot.Repositories.Get(ctx, "acme", "models") // token exchange happens here
	f.e.ResetCalls()
	f.e.SetLatency("pulls/get", 50*time.Millisecond)
	start := time.Now()
	for i := 0; i < 2; i++ {
		if _, _, err := f.bot.PullRequests.Get(ctx, "acme", "models", n); err != nil {
			t.Fatal(err)
		}
	}
	f.bot.PullRequests.ListFiles(ctx, "acme", "models", n, nil)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("two delayed calls took %v", d)
	}
	got := f.e.CallCounts()
	if got["pulls/get"] != 2 || got["pulls/list-files"] != 1 || len(got) != 2 {
		t.Errorf("call counts = %v", got)
	}
}
