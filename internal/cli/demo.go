package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/modelpromote/modelpromote/internal/demo"
)

func init() {
	register("demo", "play the whole flow against the built-in AWS and GitHub emulators (no cloud account needed)", runDemo)
}

// keepFlag is demo's --keep: bare, it keeps the emulators and writes their
// connection details to defaultKeepFile; --keep=FILE writes them to FILE.
type keepFlag struct{ path string }

// defaultKeepFile is where a bare --keep writes the connection details.
var defaultKeepFile = filepath.Join(os.TempDir(), "modelpromote-emulators.json")

func (k *keepFlag) String() string   { return k.path }
func (k *keepFlag) IsBoolFlag() bool { return true }

func (k *keepFlag) Set(v string) error {
	switch v {
	case "true":
		k.path = defaultKeepFile
	case "false":
		k.path = ""
	default:
		k.path = v
	}
	return nil
}

func runDemo(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	fs := newFlagSet("demo", "demo [--keep[=FILE]]", s)
	var keep keepFlag
	fs.Var(&keep, "keep", "leave the emulators running afterwards and write their endpoints and credentials (JSON) to "+defaultKeepFile+", or with --keep=FILE to FILE")
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
	if keep.path == "" {
		fmt.Fprintln(s.Out, "Run `modelpromote demo --keep` to explore the emulators afterwards with the AWS CLI and curl.")
		return ExitOK
	}
	return serveWorld(ctx, s, d.World.Describe(""), keep.path, demo.ReadBack()...)
}

// serveWorld writes a world's description, as JSON, to path (to standard
// output when path is ""), says how to use it, and waits until interrupted.
func serveWorld(ctx context.Context, s Streams, info any, path string, more ...string) int {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		fmt.Fprintf(s.Err, "modelpromote: %v\n", err)
		return ExitFail
	}
	data = append(data, '\n')
	file := "<the JSON above>"
	if path == "" {
		s.Out.Write(data)
	} else {
		// Credentials, if only the emulators': readable by the owner only.
		if err := os.WriteFile(path, data, 0o600); err != nil {
			fmt.Fprintf(s.Err, "modelpromote: write the emulators' connection details: %v\n", err)
			return ExitFail
		}
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		file = path
		fmt.Fprintf(s.Out, "\nThe emulators' endpoints and credentials are in %s (JSON: jq . %s).\n", path, path)
	}
	fmt.Fprintln(s.Err, "Emulators running; press Ctrl-C to stop. For example, with F="+file+":")
	fmt.Fprintln(s.Err, `  AWS_ACCESS_KEY_ID=$(jq -r '.aws.accounts[] | select(.name=="prod") | .accessKeyId' $F) AWS_SECRET_ACCESS_KEY=$(jq -r '.aws.accounts[] | select(.name=="prod") | .secretAccessKey' $F) aws --endpoint-url $(jq -r .aws.endpoint $F) --region $(jq -r .aws.region $F) sagemaker list-endpoints`)
	fmt.Fprintln(s.Err, `  curl -H "Authorization: token $(jq -r .github.botToken $F)" "$(jq -r .github.apiUrl $F)repos/acme/ml-promotions/pulls?state=all"`)
	for _, line := range more {
		fmt.Fprintln(s.Err, line)
	}
	<-ctx.Done()
	return ExitOK
}
