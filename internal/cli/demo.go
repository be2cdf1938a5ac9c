package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/demo"
)

func init() {
	register("demo", "play the whole flow against the built-in AWS and GitHub emulators (no cloud account needed)", runDemo)
}

func runDemo(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	fs := newFlagSet("demo", "demo [--keep]", s)
	keep := fs.Bool("keep", false, "leave the emulators running afterwards and print their endpoints and credentials")
	delay := fs.Duration("endpoint-delay", 150*time.Millisecond, "how long each emulated endpoint phase takes")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return ExitUsage
	}
	start := time.Now()
	d, err := demo.Run(ctx, demo.Options{Out: s.Out, EndpointDelay: *delay, Version: Version})
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote demo: %v\n", err)
		return ExitFail
	}
	defer d.Close()
	fmt.Fprintf(s.Out, "\nThe demo took %s.\n", time.Since(start).Round(100*time.Millisecond))
	if !*keep {
		fmt.Fprintln(s.Out, "Run `modelpromote demo --keep` to explore the emulators afterwards with the AWS CLI and curl.")
		return ExitOK
	}
	return serveWorld(ctx, s, d.World.Describe(""))
}

// serveWorld prints a world's description and waits until interrupted.
func serveWorld(ctx context.Context, s Streams, info any) int {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(info); err != nil {
		return ExitFail
	}
	fmt.Fprintln(s.Err, "Emulators running; press Ctrl-C to stop. For example:")
	fmt.Fprintln(s.Err, "  AWS_ACCESS_KEY_ID=<aws.accounts[].accessKeyId> AWS_SECRET_ACCESS_KEY=<…> aws --endpoint-url <aws.endpoint> --region eu-west-1 sagemaker list-endpoints")
	fmt.Fprintln(s.Err, "  curl -H 'Authorization: token <github.botToken>' <github.apiUrl>repos/acme/ml-promotions/pulls?state=all")
	<-ctx.Done()
	return ExitOK
}
