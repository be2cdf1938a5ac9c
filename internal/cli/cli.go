// Package cli is the modelpromote command line: one binary, one subcommand
// per job. Each subcommand is an options struct, a function that wires its
// flags, and a run function writing to injected streams; the connections a
// command needs (GitHub, AWS) come from one Factory, so commands are tested
// in-process against the emulators.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Streams are a command's standard streams and environment.
type Streams struct {
	Out, Err io.Writer
	// Getenv reads the environment (os.Getenv in main).
	Getenv func(string) string
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, f *Factory) int
}

// commands holds the registered subcommands. A subcommand is registered
// only once it works.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, f *Factory) int) {
	commands[name] = command{summary: summary, run: run}
}

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1 // the command ran and found problems, or failed
	ExitUsage = 2 // the command line is wrong
)

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Err)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(s.Out, "modelpromote", Version)
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.Err, "modelpromote: unknown command %q\n\n", args[0])
		usage(s.Err)
		return ExitUsage
	}
	return cmd.run(ctx, args[1:], f)
}

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

func usage(w io.Writer) {
	fmt.Fprintln(w, "modelpromote promotes SageMaker models between AWS accounts through pull requests.")
	fmt.Fprintln(w, "\nUsage: modelpromote <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'modelpromote <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors to s.Err and does not
// exit the process. Its usage lists the flags only when there are some.
func newFlagSet(name, synopsis string, s Streams) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.Err)
	fs.Usage = func() {
		fmt.Fprintf(s.Err, "Usage: modelpromote %s\n", synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(s.Err, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags and reports whether the command should go on; code is
// the exit code when it should not. Flags may come after positional
// arguments (`validate promotions --format github`), as people type them:
// the standard flag package stops at the first positional argument, so
// parse resumes after each one. A "--" ends the flags; what follows it is
// positional even when it starts with "-". Afterwards fs.Args() holds the
// positional arguments in their order.
func parse(fs *flag.FlagSet, args []string) (ok bool, code int) {
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return false, ExitOK
			}
			return false, ExitUsage
		}
		left := fs.Args()
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		positional = append(positional, left[0])
		rest = left[1:]
	}
	// Leave the positional arguments in fs.Args(): after "--" the flag
	// package parses nothing.
	_ = fs.Parse(append([]string{"--"}, positional...))
	return true, ExitOK
}

// usageError reports a wrong command line: the problem first, in one line,
// then the command's usage. It returns ExitUsage.
func usageError(fs *flag.FlagSet, s Streams, format string, args ...any) int {
	fmt.Fprintf(s.Err, "modelpromote %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return ExitUsage
}

// checkOutput is the usage problem of an unknown --output value, or "".
func checkOutput(output string) string {
	if output != "text" && output != "json" {
		return fmt.Sprintf("unknown --output %q (text or json)", output)
	}
	return ""
}

func inActions(s Streams) bool { return strings.EqualFold(s.Getenv("GITHUB_ACTIONS"), "true") }
