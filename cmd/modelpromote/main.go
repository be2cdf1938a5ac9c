// Command modelpromote promotes SageMaker models between AWS accounts through
// pull requests: see README.md, or run `modelpromote help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelpromote/modelpromote/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.NewFactory(cli.Streams{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv}))
	stop()
	os.Exit(code)
}
