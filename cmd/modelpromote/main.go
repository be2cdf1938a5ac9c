// Command modelpromote promotes SageMaker models between AWS accounts through
// pull requests: see README.md, or run `modelpromote help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	// Freeze windows name IANA time zones: embed the zone database (about
	// 450 KB) so they load on a machine or container without zoneinfo.
	_ "time/tzdata"

	"github.com/modelpromote/modelpromote/internal/cli"
)

func main() {
	if cli.Version == "dev" {
		// Not stamped by a release build (-ldflags -X): `go install
		// …/cmd/modelpromote@v1.2.3` records the module version instead.
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			cli.Version = bi.Main.Version
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.NewFactory(cli.Streams{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv}))
	stop()
	os.Exit(code)
}
