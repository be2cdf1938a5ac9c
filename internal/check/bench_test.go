package check_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/check"
	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/world"
)

// Emulated per-call latency for the check benchmark.
const (
	ghLatency  = 100 * time.Millisecond
	awsLatency = 50 * time.Millisecond
)

// criticalPath is the longest chain of calls that depend on each other in
// a check, with cold caches:
//
//	GitHub: get the pull request → the head tree → a changed blob
//	AWS:    AssumeRole (target) → DescribeEndpoint → DescribeEndpointConfig →
//	        DescribeModel → DescribeModelPackage (target) →
//	        DescribeModelPackage (live source version) →
//	        ListObjectsV2 (its evidence records) → GetObject (the record) →
//	        GetObject (a report it names)
//	GitHub: list comments → edit or create the comment
//
// Everything else runs beside it: the merge base and the other trees, the
// reviews and who contributed, team lookups, the rollback lookup, the
// candidate's lineage and reports, and the check run.
func criticalPath() time.Duration { return 5*ghLatency + 9*awsLatency }

// floor is the least time a check can take: its critical path, or, when
// longer, the same GitHub calls before and after the AWS reads and, between
// them, the busiest account's reads of one service at
// plan.MaxReadsPerAccount at a time (after the AssumeRole that opens it).
// reads maps an account and service to the reads one check made there.
func floor(reads map[string]int) time.Duration {
	busiest := 0
	for _, n := range reads {
		busiest = max(busiest, n)
	}
	rounds := (busiest + plan.MaxReadsPerAccount - 1) / plan.MaxReadsPerAccount
	return max(criticalPath(), 5*ghLatency+awsLatency+time.Duration(rounds)*awsLatency)
}

// checkRow is one line of the table BenchmarkCheck prints.
type checkRow struct {
	name              string
	wall, floor       time.Duration
	aws, github, cpuS float64
	load              string
}

func printCheckTable(rows []checkRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Printf("\n%d cores, GOMAXPROCS %d, %s; %v per GitHub call, %v per AWS call; CPU is the process's (client and the in-process emulators)\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), ghLatency, awsLatency)
	fmt.Printf("| %-16s | %8s | %13s | %7s | %9s | %12s | %6s | %-14s |\n", "case", "wall s", "critical path", "ratio", "AWS calls", "GitHub calls", "CPU s", "load average")
	fmt.Printf("|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s|\n", strings.Repeat("-", 18), strings.Repeat("-", 9), strings.Repeat("-", 14), strings.Repeat("-", 8), strings.Repeat("-", 10), strings.Repeat("-", 13), strings.Repeat("-", 7), strings.Repeat("-", 16))
	for _, r := range rows {
		fmt.Printf("| %-16s | %8.2f | %13.2f | %7.2f | %9.0f | %12.0f | %6.2f | %-14s |\n", r.name, r.wall.Seconds(), r.floor.Seconds(), r.wall.Seconds()/r.floor.Seconds(), r.aws, r.github, r.cpuS, r.load)
	}
	fmt.Println("(critical path: the chain of dependent calls, or the busiest account's reads of one service at plan.MaxReadsPerAccount at a time between the GitHub calls, whichever is longer; ratio = wall ÷ it)")
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the first figure of /proc/loadavg (the last minute's), or "?".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// checkProfile, when set, is a file name prefix: each case of the check
// benchmarks writes the CPU profile of its timed checks alone (without
// building its world) to PREFIX-CASE.cpu, and what they allocated to
// PREFIX-CASE.allocs (read with -sample_index=alloc_space -base
// PREFIX-CASE.allocs.before).
var checkProfile = flag.String("checkprofile", "", "profile only the timed checks, into files with this prefix")

// profileChecks starts the profiles -checkprofile asks for; stop ends
// them (once).
func profileChecks(b *testing.B, name string) (stop func()) {
	if *checkProfile == "" {
		return func() {}
	}
	prefix := *checkProfile + "-" + strings.ReplaceAll(name, " ", "-")
	write := func(file, profile string) {
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup(profile).WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	write(prefix+".allocs.before", "allocs")
	f, err := os.Create(prefix + ".cpu")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatalf("-checkprofile: %v (drop -cpuprofile)", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
			runtime.GC()
			write(prefix+".allocs", "allocs")
		})
	}
}

// timeChecks runs b.N checks of pull request pr with the benchmark's
// latencies and returns one row. The check's own goroutines (and the HTTP
// client's) carry the pprof label side=client, so that a profile can tell
// the client from the in-process emulators:
// go tool pprof -tagfocus side=client.
func timeChecks(b *testing.B, name string, w *world.World, e check.Env, pr int) checkRow {
	w.GitHub.SetLatency("", ghLatency)
	defer w.AWS.InjectFault(awsemu.Fault{Latency: awsLatency})()
	w.GitHub.ResetCalls()
	w.AWS.ResetRequests()
	load0 := loadAverage()
	stop := profileChecks(b, name)
	defer stop()
	b.ResetTimer()
	cpu0, start := processCPU(), time.Now()
	for i := 0; i < b.N; i++ {
		e.Repo = w.BotRepo() // no blob cache carried between checks
		var err error
		pprof.Do(b.Context(), pprof.Labels("side", "client"), func(ctx context.Context) { _, err = check.Run(ctx, e, pr) })
		if err != nil {
			b.Fatal(err)
		}
	}
	wall, cpu := time.Since(start)/time.Duration(b.N), (processCPU()-cpu0)/time.Duration(b.N)
	b.StopTimer()
	stop()
	gh := 0
	for _, c := range w.GitHub.CallCounts() {
		gh += c
	}
	reqs := w.AWS.Requests()
	reads := map[string]int{}
	for _, r := range reqs {
		if r.Service != "sts" {
			reads[r.Account+" "+r.Service]++
		}
	}
	for a := range reads {
		reads[a] /= b.N
	}
	row := checkRow{name: name, wall: wall, floor: floor(reads), aws: float64(len(reqs)) / float64(b.N),
		github: float64(gh) / float64(b.N), cpuS: cpu.Seconds(), load: load0 + "→" + loadAverage()}
	b.ReportMetric(row.github, "github-calls/op")
	b.ReportMetric(row.aws, "aws-calls/op")
	b.ReportMetric(row.cpuS, "cpu-s/op")
	b.ReportMetric(wall.Seconds()/row.floor.Seconds(), "x-critical-path")
	return row
}

func modelFile(name string, version int) string {
	return fmt.Sprintf("version: 1\nmodel: %s\nmodelPackageGroup: %s\nstages:\n  staging:\n    version: %d\n    endpoint:\n      name: %s-staging\n      instanceType: ml.m5.large\n      instanceCount: 1\n", name, name, version, name)
}

// benchWorld is a world with n models, version 1 of each live in staging,
// and a pull request (approved) promoting all of them to version 2.
func benchWorld(b testing.TB, n int) (*world.World, int) {
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

// BenchmarkCheck reports wall time, API calls and CPU per check for 1, 10,
// 50, 200 and 500 promotions (pick with -bench 'BenchmarkCheck/promotions=10$'),
// with 100 ms per GitHub call and 50 ms per AWS call, and the wall time as
// a multiple of the critical path (1.0 is the floor); it prints them as a
// table at the end.
func BenchmarkCheck(b *testing.B) {
	var rows []checkRow
	for _, n := range []int{1, 10, 50, 200, 500} {
		b.Run(fmt.Sprintf("promotions=%d", n), func(b *testing.B) {
			w, pr := benchWorld(b, n)
			e := env(w)
			if res, err := checkRun(b, e, pr); err != nil || res != "pass" {
				b.Fatalf("warm-up check: %s %v", res, err)
			}
			rows = append(rows, timeChecks(b, fmt.Sprintf("%d promotions", n), w, e, pr))
		})
	}
	printCheckTable(rows)
}

func checkRun(b testing.TB, e check.Env, pr int) (string, error) {
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
	var rows []checkRow
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
			rows = append(rows, timeChecks(b, fmt.Sprintf("%d unchanged", unchanged), w, e, pr))
		})
	}
	printCheckTable(rows)
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
