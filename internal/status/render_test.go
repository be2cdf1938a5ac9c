package status

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// fixture has one row of each kind: in sync with its record, drifted,
// absent, unread, serverless, and a record that could not be read.
func fixture() *Table {
	return &Table{GeneratedAt: *at("2026-11-02T09:00:00Z"), PullRequests: "read", Rows: []Row{
		{Model: "fraud-detector", Stage: "staging", Environment: "staging", Account: "222222222222", Region: "eu-west-1",
			Endpoint: "fraud-detector-staging", ManifestVersion: 13, ServedVersion: 13, EndpointStatus: "InService",
			Variants: []Variant{{Name: "AllTraffic", InstanceType: "ml.m5.large", InstanceCount: 1}}, LiveSince: at("2026-11-01T10:15:00Z"),
			LastPromotion: &Promotion{PullRequest: 41, PullRequestURL: "https://github.com/acme/ml-promotions/pull/41",
				MergeSHA: "d03375fe2e55610de4d442d25c7f970d70d86708", Approvers: []string{"bob"},
				Evidence:    "s3://acme-ml-artifacts-staging/fraud-detector/13/evidence/d03375fe2e55610de4d442d25c7f970d70d86708.json",
				FromVersion: 12, ToVersion: 13, Outcome: "success", FinishedAt: at("2026-11-01T10:15:02Z")},
			OpenPullRequests: []OpenPullRequest{}},
		{Model: "fraud-detector", Stage: "prod", Environment: "prod", Account: "333333333333", Region: "eu-west-1",
			Endpoint: "fraud-detector", ManifestVersion: 11, ServedVersion: 12, EndpointStatus: "InService",
			Variants: []Variant{{Name: "AllTraffic", InstanceType: "ml.m5.xlarge", InstanceCount: 2}}, LiveSince: at("2026-11-01T22:40:00Z"),
			LastPromotion: &Promotion{PullRequestURL: "https://github.com/acme/ml-promotions/pull/40", PullRequest: 40,
				MergeSHA: "aa11bb22cc33dd44ee55ff6677889900aabbccdd", Approvers: []string{"gina", "gus"},
				Evidence:      "s3://acme-ml-artifacts-prod/fraud-detector/12/evidence/aa11bb22cc33dd44ee55ff6677889900aabbccdd.json",
				EvidenceError: "get s3://acme-ml-artifacts-prod/fraud-detector/12/evidence/aa11bb22cc33dd44ee55ff6677889900aabbccdd.json: AccessDenied"},
			Drift: "the manifest says prod runs v11, but endpoint fraud-detector serves v12 (since 2026-11-01 22:40 UTC)",
			OpenPullRequests: []OpenPullRequest{{Number: 42, URL: "https://github.com/acme/ml-promotions/pull/42", Title: "Promote fraud-detector v13 to prod",
				Author: "alice", Model: "fraud-detector", Stage: "prod", FromVersion: 11, ToVersion: 13}}},
		{Model: "churn-predictor", Stage: "staging", Environment: "staging", Account: "222222222222", Region: "eu-west-1",
			Endpoint: "churn-predictor-staging", ManifestVersion: 7, EndpointStatus: "Absent", Variants: []Variant{},
			Drift: "the manifest says staging runs v7, but endpoint churn-predictor-staging does not exist", OpenPullRequests: []OpenPullRequest{}},
		{Model: "credit-risk", Stage: "staging", Environment: "staging", Account: "222222222222", Region: "eu-west-1",
			Endpoint: "credit-risk-staging", ManifestVersion: 3, ServedVersion: 3, EndpointStatus: "InService",
			Variants: []Variant{{Name: "AllTraffic", InstanceCount: 0, MemorySizeMB: 2048, MaxConcurrency: 5}}, LiveSince: at("2026-10-20T08:00:00Z"),
			OpenPullRequests: []OpenPullRequest{}},
		{Model: "credit-risk", Stage: "prod", Environment: "prod", Account: "333333333333", Region: "eu-west-1",
			Endpoint: "credit-risk", ManifestVersion: 2, Variants: []Variant{}, OpenPullRequests: []OpenPullRequest{},
			Error: "describe endpoint credit-risk: AccessDeniedException: not authorized"},
	}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestRenderingsMatchGoldenFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(*Table, *bytes.Buffer) error
	}{
		{"status.txt", func(tb *Table, b *bytes.Buffer) error { return tb.WriteText(b) }},
		{"status.md", func(tb *Table, b *bytes.Buffer) error { return tb.WriteMarkdown(b) }},
		{"status.json", func(tb *Table, b *bytes.Buffer) error {
			enc := json.NewEncoder(b)
			enc.SetIndent("", "  ")
			return enc.Encode(tb)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(fixture(), &b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".golden", b.Bytes())
		})
	}
}

func TestSummaryCountsDriftAndUnreadRows(t *testing.T) {
	drift, unread := fixture().Summary()
	if drift != 2 || unread != 1 {
		t.Errorf("drift %d, unread %d; want 2, 1", drift, unread)
	}
}

func TestPullRequestNumberFromURL(t *testing.T) {
	for url, want := range map[string]int{"https://github.com/acme/r/pull/42": 42, "": 0, "https://x/pull/": 0, "nope": 0} {
		if got := numberOf(url); got != want {
			t.Errorf("numberOf(%q) = %d, want %d", url, got, want)
		}
	}
}

// The JSON of every kind of row matches the documented schema.
func TestJSONMatchesSchema(t *testing.T) {
	schema, err := jsonschema.Compile("../../docs/schema/status.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(fixture())
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("%#v", err)
	}
}
