package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/history"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

func init() {
	register("history", "a model's promotions in a stage from the evidence records; --at T says what served then; --verify re-checks digests", runHistory)
}

// historyOptions are the flags of `modelpromote history`.
type historyOptions struct {
	conn   connection
	Root   string
	Dir    string
	Model  string
	Stage  string
	At     string
	Verify bool
	Output string
}

// historyJSON is `history --output json`: the timeline, and with --at the
// record of what served then.
type historyJSON struct {
	*history.Timeline
	At     *time.Time     `json:"at,omitempty"`
	Served *history.Entry `json:"served,omitempty"`
	// Verified is set with --verify: every record read and every object
	// with its recorded digest.
	Verified *bool `json:"verified,omitempty"`
}

func runHistory(ctx context.Context, args []string, f *Factory) int {
	o := historyOptions{conn: connection{f: f}}
	fs := newFlagSet("history", "history --model M --stage S [--at RFC3339] [--verify] [--output text|json] [--root DIR] [--dir promotions]", f.Streams)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	dirFlag(fs, &o.Dir, "promotions directory, relative to --root")
	fs.StringVar(&o.Model, "model", "", "the model (as named in its manifest)")
	fs.StringVar(&o.Stage, "stage", "", "the stage")
	fs.StringVar(&o.At, "at", "", "say what served at this time (RFC 3339, e.g. 2026-11-01T12:00:00Z)")
	fs.BoolVar(&o.Verify, "verify", false, "re-read every object the records list and check its SHA-256; report whether the records are write-once")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	o.conn.registerAWS(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, f.Streams, "unexpected argument %q: history takes only flags", fs.Arg(0))
	}
	if o.Model == "" || o.Stage == "" {
		return usageError(fs, f.Streams, "--model and --stage are required")
	}
	if p := checkOutput(o.Output); p != "" {
		return usageError(fs, f.Streams, "%s", p)
	}
	var at time.Time
	if o.At != "" {
		t, err := time.Parse(time.RFC3339, o.At)
		if err != nil {
			return usageError(fs, f.Streams, "--at %q is not an RFC 3339 time (e.g. 2026-11-01T12:00:00Z)", o.At)
		}
		at = t
	}
	set, err := (&driftOptions{Root: o.Root, Dir: o.Dir}).load()
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(f.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	readers := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-history"}).Readers()
	return o.run(ctx, f.Streams, set, &artifacts.Evidence{Configs: readers, PathStyle: o.conn.s3PathStyle()}, at, time.Now())
}

// run reads the records and prints them. The exit code is 1 when a record
// could not be read or, with --verify, an object does not verify.
func (o *historyOptions) run(ctx context.Context, s Streams, set *manifest.Set, store history.Store, at, now time.Time) int {
	model, env, err := o.find(set)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote history: %v\n", err)
		return ExitUsage
	}
	t, err := history.Load(ctx, store, env, model, o.Stage)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	ok := len(t.Unread) == 0
	v := historyJSON{Timeline: t}
	if o.Verify {
		ok = history.Verify(ctx, store, env, t, now)
		v.Verified = &ok
	}
	var served *history.Served
	if !at.IsZero() {
		served = t.At(at)
		v.At, v.Served = &served.At, served.Entry
	}
	switch {
	case o.Output == "json":
		if writeIndentedJSON(s.Out, v) != ExitOK {
			return ExitFail
		}
	case served != nil:
		err = t.WriteServed(s.Out, served)
	default:
		err = t.WriteText(s.Out)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	if !ok {
		return ExitFail
	}
	return ExitOK
}

// find looks up the model by name and the stage's environment.
func (o *historyOptions) find(set *manifest.Set) (*manifest.Model, manifest.Environment, error) {
	for _, doc := range set.Models {
		if doc.Model.Name != o.Model {
			continue
		}
		env, ok := set.Config.Config.Environment(o.Stage)
		if !ok {
			return nil, manifest.Environment{}, fmt.Errorf("--stage %q: the configuration has no such environment", o.Stage)
		}
		return doc.Model, env, nil
	}
	return nil, manifest.Environment{}, fmt.Errorf("--model %q: no manifest names that model", o.Model)
}
