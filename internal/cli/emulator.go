package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/world"
)

func init() {
	register("emulator", "run the AWS and GitHub emulators on loopback, seeded, and print how to reach them", runEmulator)
}

func runEmulator(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	fs := newFlagSet("emulator", "emulator [--webhook-url URL] [--versions N]", s)
	webhook := fs.String("webhook-url", "", "deliver the App's webhooks (signed) to this URL, e.g. a local `modelpromote serve`")
	versions := fs.Int("versions", 13, "fraud-detector versions to register in the dev account")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || *versions < 1 {
		fs.Usage()
		return ExitUsage
	}
	w, err := world.New(world.Options{})
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote emulator: %v\n", err)
		return ExitFail
	}
	defer w.Close()
	if err := w.SeedVersions("fraud-detector", *versions); err != nil {
		fmt.Fprintf(s.Err, "modelpromote emulator: %v\n", err)
		return ExitFail
	}
	return serveWorld(ctx, s, w.Describe(*webhook))
}
