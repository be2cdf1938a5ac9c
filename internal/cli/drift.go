package cli

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/drift"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

func init() {
	register("drift", "compare every manifest stage with what its endpoint serves; exit 1 on drift", runDrift)
}

// driftOptions are the flags of `modelpromote drift`.
type driftOptions struct {
	conn   connFlags
	Root   string
	Dir    string
	Output string
}

func runDrift(ctx context.Context, args []string, s Streams) int {
	var o driftOptions
	fs := newFlagSet("drift", "drift [--root DIR] [--dir promotions] [--output text|json]", s)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	fs.StringVar(&o.Dir, "dir", "promotions", "promotions directory")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	fs.StringVar(&o.conn.AWSRegion, "aws-region", "", "AWS region for STS (default from the AWS configuration)")
	fs.StringVar(&o.conn.AWSEndpoint, "aws-endpoint-url", "", "send every AWS request to this endpoint (emulators, testing)")
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || (o.Output != "text" && o.Output != "json") {
		fs.Usage()
		return ExitUsage
	}
	set, err := o.load()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote drift: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote drift: %v\n", err)
		return ExitFail
	}
	stages := endpoints.NewStages(accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-drift"}).Readers())
	return o.run(ctx, s, set, stages)
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

// run compares and prints; the exit code is 1 on drift or an unread stage.
func (o *driftOptions) run(ctx context.Context, s Streams, set *manifest.Set, stages plan.Stages) int {
	r := drift.Detect(ctx, set.Config.Config, set.Models, stages)
	if o.Output == "json" {
		if writeIndentedJSON(s.Out, r) != ExitOK {
			return ExitFail
		}
	} else {
		switch {
		case len(r.Drift) == 0:
			fmt.Fprintf(s.Out, "No drift: all %d stages serve what the manifests say.\n", r.Checked)
		default:
			fmt.Fprintf(s.Out, "Drift in %d of %d stages:\n", len(r.Drift), r.Checked)
		}
		for _, d := range r.Drift {
			fmt.Fprintf(s.Out, "  %s/%s: %s\n", d.Model, d.Stage, d.Detail)
		}
		for _, u := range r.Unread {
			fmt.Fprintf(s.Err, "  %s/%s: could not read endpoint %s: %s\n", u.Model, u.Stage, u.Endpoint, u.Error)
		}
	}
	if !r.Clean() {
		return ExitFail
	}
	return ExitOK
}
