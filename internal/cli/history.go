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
	conn   connFlags
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

func runHistory(ctx context.Context, args []string, s Streams) int {
	var o historyOptions
	fs := newFlagSet("history", "history --model M --stage S [--at RFC3339] [--verify] [--output text|json]", s)
	fs.StringVar(&o.Root, "root", ".", "the promotions repository checkout")
	fs.StringVar(&o.Dir, "dir", "promotions", "promotions directory")
	fs.StringVar(&o.Model, "model", "", "the model (as named in its manifest)")
	fs.StringVar(&o.Stage, "stage", "", "the stage")
	fs.StringVar(&o.At, "at", "", "say what served at this time (RFC 3339, e.g. 2026-11-01T12:00:00Z)")
	fs.BoolVar(&o.Verify, "verify", false, "re-read every object the records list and check its SHA-256; report whether the records are write-once")
	fs.StringVar(&o.Output, "output", "text", "what to print: text or json")
	o.conn.register(fs)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	var at time.Time
	if o.At != "" {
		t, err := time.Parse(time.RFC3339, o.At)
		if err != nil {
			fmt.Fprintf(s.Err, "modelpromote history: --at %q is not an RFC 3339 time (e.g. 2026-11-01T12:00:00Z)\n", o.At)
			return ExitUsage
		}
		at = t
	}
	if fs.NArg() > 0 || o.Model == "" || o.Stage == "" || (o.Output != "text" && o.Output != "json") {
		fs.Usage()
		return ExitUsage
	}
	set, err := (&driftOptions{Root: o.Root, Dir: o.Dir}).load()
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	awsCfg, err := o.conn.awsConfig(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote history: %v\n", err)
		return ExitFail
	}
	readers := accounts.New(accounts.Options{Base: awsCfg, SessionName: "modelpromote-history"}).Readers()
	return o.run(ctx, s, set, &artifacts.Evidence{Configs: readers, PathStyle: o.conn.S3PathStyle}, at, time.Now())
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
