package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/demo"
	"github.com/modelpromote/modelpromote/internal/world"
)

func init() {
	register("emulator", "run the AWS and GitHub emulators on loopback, seeded like the demo, and print how to reach them", runEmulator)
}

func runEmulator(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	fs := newFlagSet("emulator", "emulator [--webhook-url URL]", s)
	webhook := fs.String("webhook-url", "", "deliver the App's webhooks (signed) to `URL`, e.g. a local modelpromote serve's")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.Err, "modelpromote emulator: unexpected argument %q: emulator takes only flags\n", fs.Arg(0))
		fs.Usage()
		return ExitUsage
	}
	// Seeded as the demo's story begins, a day ago, so that what is live
	// in staging has soaked by now, on the one clock the emulators share.
	w, err := demo.NewWorld(world.Options{ClockOffset: -demo.Day})
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote emulator: %v\n", err)
		return ExitFail
	}
	defer w.Close()
	if err := demo.Seed(ctx, w); err != nil {
		fmt.Fprintf(s.Err, "modelpromote emulator: %v\n", err)
		return ExitFail
	}
	w.Advance(demo.Day)
	return serveWorld(ctx, s, w.Describe(*webhook), "")
}
