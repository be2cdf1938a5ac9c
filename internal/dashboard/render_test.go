package dashboard

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelpromote/modelpromote/internal/status"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// fixture has a stage of each kind (in sync, drifted, unread), a pending
// promotion waiting for approvals, one failing with a hostile title, one
// not checked yet, a failure and a record that could not be read.
func fixture() *Input {
	return &Input{
		Repo:    "acme/ml-promotions",
		Version: "v1.4.0",
		Since:   at("2026-10-03T09:00:00Z"),
		Table: &status.Table{GeneratedAt: at("2026-11-02T09:00:00Z"), PullRequests: "read", Rows: []status.Row{
			{Model: "fraud-detector", Stage: "staging", Endpoint: "fraud-detector-staging", ManifestVersion: 13, ServedVersion: 13,
				EndpointStatus: "InService", Variants: []status.Variant{{InstanceType: "ml.m5.large", InstanceCount: 1}},
				LiveSince: ptr(at("2026-11-01T10:15:00Z")),
				LastPromotion: &status.Promotion{PullRequest: 41, PullRequestURL: "https://github.com/acme/ml-promotions/pull/41",
					MergeSHA: "d03375fe2e55610de4d442d25c7f970d70d86708", Approvers: []string{"bob"}}},
			{Model: "fraud-detector", Stage: "prod", Endpoint: "fraud-detector", ManifestVersion: 11, ServedVersion: 12,
				EndpointStatus: "InService", Variants: []status.Variant{{InstanceType: "ml.m5.xlarge", InstanceCount: 2}},
				Drift:            "the manifest says prod runs v11, but endpoint fraud-detector serves v12",
				OpenPullRequests: []status.OpenPullRequest{{Number: 42, URL: "https://github.com/acme/ml-promotions/pull/42", ToVersion: 13}}},
			{Model: "credit-risk", Stage: "prod", Endpoint: "credit-risk", ManifestVersion: 2,
				Error: "describe endpoint credit-risk: AccessDeniedException: not authorized"},
		}},
		Pending: []Pending{
			{Number: 42, URL: "https://github.com/acme/ml-promotions/pull/42", Title: "Promote fraud-detector v13 to prod", Author: "alice",
				Moves: []Move{{Model: "fraud-detector", Stage: "prod", From: 11, To: 13}}, Check: "action_required",
				Verdict: "Waiting for approvals: the promotion needs approvals; every other gate passes", CheckURL: "https://github.com/acme/ml-promotions/runs/7",
				Blocking: []Block{{Model: "fraud-detector", Stage: "prod", Gate: "governance", Severity: "pending"}}},
			{Number: 43, URL: "https://github.com/acme/ml-promotions/pull/43", Title: "@acme/everyone | </details> [click](https://evil.example)", Author: "mallory",
				Moves: []Move{{Model: "credit-risk", Stage: "staging", To: 1}}, Check: "failure", Verdict: "Blocked: the promotion fails a gate",
				Blocking: []Block{{Model: "credit-risk", Stage: "staging", Gate: "lineage", Severity: "error"}, {Gate: "manifest", Severity: "error"}}},
			{Number: 44, URL: "https://github.com/acme/ml-promotions/pull/44", Title: "Promote churn", Author: "bob",
				Moves: []Move{{Model: "churn", Stage: "dev", From: 1, To: 2}}},
		},
		Failures: []Failure{{Model: "fraud-detector", Stage: "prod", From: 11, To: 12, PullRequest: 40,
			PullRequestURL: "https://github.com/acme/ml-promotions/pull/40", FinishedAt: at("2026-11-01T22:40:00Z"),
			Error:  "endpoint fraud-detector: update failed: ResourceLimitExceeded\nrolled back to v11",
			Record: "s3://acme-ml-artifacts-prod/fraud-detector/12/evidence/aa11.json"}},
		FailuresUnread: []string{"credit-risk/prod: list evidence records: AccessDenied"},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestRenderMatchesGoldenFiles(t *testing.T) {
	quiet := &Input{Repo: "acme/ml-promotions", Since: at("2026-10-03T09:00:00Z"),
		Table: &status.Table{GeneratedAt: at("2026-11-02T09:00:00Z"), PullRequests: "read", Rows: fixture().Table.Rows[:1]}}
	offline := &Input{Since: quiet.Since, Table: quiet.Table, PendingOffline: true}
	unread := &Input{Since: quiet.Since, Table: quiet.Table, PendingError: "list open pull requests: 502 Bad Gateway"}
	for name, in := range map[string]*Input{"dashboard.md": fixture(), "quiet.md": quiet, "offline.md": offline, "pulls-unread.md": unread} {
		t.Run(name, func(t *testing.T) { golden(t, name+".golden", Render(in, 0)) })
	}
}

func TestRenderStartsWithTheMarker(t *testing.T) {
	if got := Render(fixture(), 0); !strings.HasPrefix(got, Marker+"\n") {
		t.Errorf("body starts %q", got[:40])
	}
}

// Text from pull requests and errors cannot mention, link, or break out
// of a table.
func TestRenderEscapesUntrustedText(t *testing.T) {
	got := Render(fixture(), 0)
	for _, bad := range []string{"@acme/everyone", "</details>", "[click]", "https://evil.example", "\nrolled back"} {
		if strings.Contains(got, bad) {
			t.Errorf("body contains %q unescaped", bad)
		}
	}
}

// bigInput has rows and pending promotions enough for several bodies.
func bigInput(models, pending int) *Input {
	in := fixture()
	for i := range models {
		for _, stage := range []string{"dev", "staging", "prod"} {
			in.Table.Rows = append(in.Table.Rows, status.Row{Model: fmt.Sprintf("model-%04d", i), Stage: stage,
				Endpoint: fmt.Sprintf("model-%04d-%s", i, stage), ManifestVersion: 3, ServedVersion: 3, EndpointStatus: "InService",
				Variants: []status.Variant{{InstanceType: "ml.m5.large", InstanceCount: 2}}, LiveSince: ptr(at("2026-11-01T10:15:00Z")),
				LastPromotion: &status.Promotion{PullRequest: 1000 + i, PullRequestURL: fmt.Sprintf("https://github.com/acme/ml-promotions/pull/%d", 1000+i),
					MergeSHA: "d03375fe2e55610de4d442d25c7f970d70d86708", Approvers: []string{"bob", "gina"}}})
		}
	}
	for i := range pending {
		in.Pending = append(in.Pending, Pending{Number: 5000 + i, URL: fmt.Sprintf("https://github.com/acme/ml-promotions/pull/%d", 5000+i),
			Title: strings.Repeat("é", 100), Author: "alice", Moves: []Move{{Model: fmt.Sprintf("model-%04d", i), Stage: "prod", From: 2, To: 3}},
			Check: "failure", Verdict: "Blocked", Blocking: []Block{{Model: "m", Stage: "prod", Gate: "evaluation", Severity: "error"}}})
	}
	return in
}

// However many stages and pull requests there are, the body fits GitHub's
// limit (in characters, as GitHub counts), keeps the marker, and says what
// it left out and where to see it.
func TestRenderStaysWithinTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name            string
		models, pending int
		limit           int
		wantCut         string // the section that is cut
	}{
		{"every stage fits", 10, 3, 0, ""},
		{"the table is cut", 1000, 3, 0, "## Every stage"},
		{"pending promotions are cut", 10, 2000, 0, "## Pending promotions"},
		{"a small limit", 10, 10, 3000, "## Pending promotions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := bigInput(tc.models, tc.pending)
			got := Render(in, tc.limit)
			limit := tc.limit
			if limit == 0 {
				limit = MaxBody
			}
			if n := utf8.RuneCountInString(got); n > limit {
				t.Fatalf("%d characters, over the %d limit", n, limit)
			}
			if !strings.HasPrefix(got, Marker) || !strings.Contains(got, "modelpromote status") {
				t.Errorf("marker or pointer missing")
			}
			cut := strings.Contains(got, "more not shown here")
			if cut != (tc.wantCut != "") {
				t.Fatalf("cut %v, want %q cut", cut, tc.wantCut)
			}
			if tc.wantCut == "" {
				return
			}
			sec := got[strings.Index(got, tc.wantCut):]
			if next := strings.Index(sec[2:], "\n## "); next >= 0 {
				sec = sec[:next+2]
			}
			if !strings.Contains(sec, "more not shown here") {
				t.Errorf("%s does not say what it left out:\n%.500s", tc.wantCut, sec)
			}
			if tc.limit == 0 && utf8.RuneCountInString(got) < MaxBody-2000 {
				t.Errorf("%d characters: a cut body should use most of the %d", utf8.RuneCountInString(got), MaxBody)
			}
		})
	}
}
