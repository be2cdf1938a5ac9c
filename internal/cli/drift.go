package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/notify"
	"github.com/modelpromote/modelpromote/internal/plan"
)

func init() {
	register("drift", "compare every manifest stage with what its endpoint serves and how it is configured; exit 1 on drift, 2 when nothing could be read", runDrift)
}

// driftOptions are the flags of `modelpromote drift`.
type driftOptions struct {
	conn   connection
	Root   string
	Dir    string
	Output string
}

func runDrift(ctx context.Context, args []string, f *Factory) int {
	o := driftOptions{conn: connection{f: f}}
	fs := newFlagSet("drift", "drift [--root DIR] [--dir promotions] [--output text|json] [--aws-region R] [--aws-endpoint-url URL]", f.Streams)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	dirFlag(fs, &o.Dir, "promotions directory, relative to --root")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	o.conn.registerAWS(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, f.Streams, "unexpected argument %q: drift takes only flags", fs.Arg(0))
	}
	if p := checkOutput(o.Output); p != "" {
		return usageError(fs, f.Streams, "%s", p)
	}
	set, err := o.load()
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote drift: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote drift: %v\n", err)
		return ExitFail
	}
	readers := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-drift"}).Readers()
	stages := drift.WithJournals(endpoints.NewStages(readers), &artifacts.Evidence{Configs: readers, PathStyle: o.conn.s3PathStyle()})
	return o.run(ctx, f.Streams, set, stages)
}

func (o *driftOptions) load() (*manifest.Set, error) {
	tree, err := manifest.ReadDir(o.Root, o.Dir)
	if err != nil {
		return nil, err
	}
	set := manifest.Load(tree, o.Dir)
	if len(set.Problems) > 0 || set.Config == nil {
		return nil, fmt.Errorf("the manifests have problems (run modelpromote validate):\n%w", set.Problems)
	}
	return set, nil
}

// run compares and prints. The exit code is 1 on drift or an unread stage,
// 2 when no stage could be read at all (credentials, network): a drift
// check that read nothing says nothing.
func (o *driftOptions) run(ctx context.Context, s Streams, set *manifest.Set, stages plan.Stages) int {
	r := drift.Detect(ctx, set.Config.Config, set.Models, stages)
	(&notify.Notifier{Getenv: s.Getenv}).Send(ctx, set.Config.Config.Notifications, drift.Events(r, "", time.Now())...)
	if o.Output == "json" {
		if writeIndentedJSON(s.Out, r) != ExitOK {
			return ExitFail
		}
	} else {
		r.WriteText(s.Out, s.Err)
	}
	switch r.Verdict {
	case drift.VerdictClean:
		return ExitOK
	case drift.VerdictUnread:
		return ExitUsage
	}
	return ExitFail
}
