package check_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Emulated per-call latency for the check benchmark.
const (
	ghLatency  = 100 * time.Millisecond
	awsLatency = 50 * time.Millisecond
)

// criticalPath is the longest chain of dependent calls in a check, with
// cold caches:
//
//	GitHub: get the pull request → the head tree → a changed blob
//	AWS:    AssumeRole (target) → DescribeEndpoint → DescribeEndpointConfig →
//	        DescribeModel → DescribeModelPackage (target) →
//	        DescribeModelPackage (live source version) → GetObject (its report)
//	GitHub: list comments → edit or create the comment
//
// Everything else runs beside it: the merge base and the other trees, the
// reviews and commit authors, team lookups, the candidate's lineage and
// reports, and the check run.
func criticalPath() time.Duration { return 5*ghLatency + 7*awsLatency }

func modelFile(name string, version int) string {
	return fmt.Sprintf("version: 1\nmodel: %s\nmodelPackageGroup: %s\nstages:\n  staging:\n    version: %d\n    endpoint:\n      name: %s-staging\n      instanceType: ml.m5.large\n      instanceCount: 1\n", name, name, version, name)
}

// benchWorld is a world with n models, version 1 of each live in staging,
// and a pull request (approved) promoting all of them to version 2.
func benchWorld(b *testing.B, n int) (*world.World, int) {
	w, err := world.New(world.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	base, head := map[string]string{}, map[string]string{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("bench-%02d", i)
		if err := w.SeedVersions(name, 2); err != nil {
			b.Fatal(err)
		}
		if err := w.Deploy(b.Context(), "staging", name, 1, name+"-staging"); err != nil {
			b.Fatal(err)
		}
		base["promotions/"+name+".yaml"] = modelFile(name, 1)
		head["promotions/"+name+".yaml"] = modelFile(name, 2)
	}
	if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "bench models", Author: world.Pat, Files: base}); err != nil {
		b.Fatal(err)
	}
	if err := w.GitHub.CreateBranch(world.Repo, "promote", "main"); err != nil {
		b.Fatal(err)
	}
	if _, err := w.GitHub.Push(world.Repo, "promote", ghemu.Change{Message: "promote all", Author: world.Alice, Files: head}); err != nil {
		b.Fatal(err)
	}
	pr, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote", Head: "promote", Author: world.Alice})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.GitHub.Review(world.Repo, pr, world.Bob, "APPROVE", "ok"); err != nil {
		b.Fatal(err)
	}
	return w, pr
}

// BenchmarkCheck reports wall time and API calls per check for 1, 10, 50,
// 200 and 500 promotions (pick with -bench 'BenchmarkCheck/promotions=10$'), with 100 ms per GitHub call and 50 ms per AWS call, and
// the wall time as a multiple of the critical path (1.0 is the floor).
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1, 10, 50, 200, 500} {
		b.Run(fmt.Sprintf("promotions=%d", n), func(b *testing.B) {
			w, pr := benchWorld(b, n)
			e := env(w)
			if res, err := checkRun(b, e, pr); err != nil || res != "pass" {
				b.Fatalf("warm-up check: %s %v", res, err)
			}
			w.GitHub.SetLatency("", ghLatency)
			defer w.AWS.InjectFault(awsemu.Fault{Latency: awsLatency})()
			w.GitHub.ResetCalls()
			w.AWS.ResetRequests()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				e.Repo = w.BotRepo() // no blob cache carried between checks
				if _, err := checkRun(b, e, pr); err != nil {
					b.Fatal(err)
				}
			}
			wall := time.Since(start) / time.Duration(b.N)
			b.StopTimer()
			gh := 0
			for _, c := range w.GitHub.CallCounts() {
				gh += c
			}
			aws := len(w.AWS.Requests())
			b.ReportMetric(float64(gh)/float64(b.N), "github-calls/op")
			b.ReportMetric(float64(aws)/float64(b.N), "aws-calls/op")
			b.ReportMetric(wall.Seconds()/criticalPath().Seconds(), "x-critical-path")
		})
	}
}

func checkRun(b *testing.B, e check.Env, pr int) (string, error) {
	res, err := check.Run(b.Context(), e, pr)
	if err != nil {
		return "", err
	}
	return strings.ToLower(string(res.Verdict)), nil
}

// BenchmarkCheckUnchangedManifests is one promotion in a repository that
// holds many other manifests the pull request does not touch: the check
// reads the base, merge-base and head trees, whose unchanged blobs are the
// same objects.
func BenchmarkCheckUnchangedManifests(b *testing.B) {
	for _, unchanged := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("unchanged=%d", unchanged), func(b *testing.B) {
			w, pr := benchWorld(b, 1)
			files := map[string]string{}
			for i := range unchanged {
				name := fmt.Sprintf("other-%04d", i)
				files["promotions/"+name+".yaml"] = fmt.Sprintf("version: 1\nmodel: %s\nmodelPackageGroup: %s\nstages: {}\n", name, name)
			}
			if unchanged > 0 {
				if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "other models", Author: world.Pat, Files: files}); err != nil {
					b.Fatal(err)
				}
			}
			e := env(w)
			if res, err := checkRun(b, e, pr); err != nil || res != "pass" {
				b.Fatalf("warm-up check: %s %v", res, err)
			}
			w.GitHub.SetLatency("", ghLatency)
			defer w.AWS.InjectFault(awsemu.Fault{Latency: awsLatency})()
			w.GitHub.ResetCalls()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				e.Repo = w.BotRepo()
				if _, err := checkRun(b, e, pr); err != nil {
					b.Fatal(err)
				}
			}
			wall := time.Since(start) / time.Duration(b.N)
			b.StopTimer()
			gh := 0
			for _, c := range w.GitHub.CallCounts() {
				gh += c
			}
			b.ReportMetric(float64(gh)/float64(b.N), "github-calls/op")
			b.ReportMetric(wall.Seconds()/criticalPath().Seconds(), "x-critical-path")
		})
	}
}

// BenchmarkCheckStagesOfOneModel is a pull request moving n models in two
// stages at once: staging 2→3 and prod 1→2, so prod's candidate is the
// version staging serves. The check reads each package version, endpoint,
// record and report once, however many promotions name it.
func BenchmarkCheckStagesOfOneModel(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			w, err := world.New(world.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(w.Close)
			file := func(name string, staging, prod int) string {
				return modelFile(name, staging) + fmt.Sprintf("  prod:\n    version: %d\n    endpoint:\n      name: %s-prod\n      instanceType: ml.m5.large\n      instanceCount: 1\n", prod, name)
			}
			base, head := map[string]string{}, map[string]string{}
			for i := range n {
				name := fmt.Sprintf("two-%02d", i)
				if err := w.SeedVersions(name, 3); err != nil {
					b.Fatal(err)
				}
				if err := w.Deploy(b.Context(), "staging", name, 2, name+"-staging"); err != nil {
					b.Fatal(err)
				}
				if err := w.Deploy(b.Context(), "prod", name, 1, name+"-prod"); err != nil {
					b.Fatal(err)
				}
				base["promotions/"+name+".yaml"] = file(name, 2, 1)
				head["promotions/"+name+".yaml"] = file(name, 3, 2)
			}
			if _, err := w.GitHub.Push(world.Repo, "main", ghemu.Change{Message: "models", Author: world.Pat, Files: base}); err != nil {
				b.Fatal(err)
			}
			if err := w.GitHub.CreateBranch(world.Repo, "promote", "main"); err != nil {
				b.Fatal(err)
			}
			if _, err := w.GitHub.Push(world.Repo, "promote", ghemu.Change{Message: "promote", Author: world.Alice, Files: head}); err != nil {
				b.Fatal(err)
			}
			pr, err := w.GitHub.OpenPullRequest(world.Repo, ghemu.PullRequestSpec{Title: "promote", Head: "promote", Author: world.Alice})
			if err != nil {
				b.Fatal(err)
			}
			e := env(w)
			if _, err := checkRun(b, e, pr); err != nil {
				b.Fatal(err)
			}
			w.AWS.ResetRequests()
			for b.Loop() {
				if _, err := checkRun(b, e, pr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(w.AWS.Requests()))/float64(b.N)/float64(2*n), "aws-calls/promotion")
		})
	}
}
