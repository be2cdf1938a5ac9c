package cli

import (
	"context"
	"fmt"

	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/action"
)

func init() {
	register("action", "run as a GitHub Actions step: check, plan or apply, as the event and inputs say", runAction)
}

// runAction is the Docker action's entry point. Everything comes from the
// runner's environment (INPUT_*, GITHUB_*, ACTIONS_ID_TOKEN_*), so it takes
// no flags; see action.yml.
func runAction(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("action", "action   (inputs come from INPUT_* variables; see action.yml)", s)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return ExitUsage
	}
	res, err := action.Run(ctx, action.Env{Getenv: s.Getenv, Out: s.Out, Version: Version})
	if err != nil {
		githubactions.New(githubactions.WithGetenv(s.Getenv), githubactions.WithWriter(s.Out)).Errorf("modelpromote: %v", err)
		fmt.Fprintf(s.Err, "modelpromote action: %v\n", err)
		return ExitFail
	}
	if res.Failed {
		return ExitFail
	}
	return ExitOK
}
