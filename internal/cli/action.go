package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sethvargo/go-githubactions"

	"github.com/modelpromote/modelpromote/internal/action"
)

func init() {
	register("action", "run as a GitHub Actions step: check, plan or apply, as the event and inputs say", runAction)
}

// runAction is the Docker action's entry point. Everything comes from the
// runner's environment (INPUT_*, GITHUB_*, ACTIONS_ID_TOKEN_*), so it takes
// no flags; see action.yml.
func runAction(ctx context.Context, args []string, f *Factory) int {
	s := f.Streams
	fs := newFlagSet("action", "action\n\nInputs come from INPUT_* variables and the event from GITHUB_EVENT_NAME and\nGITHUB_EVENT_PATH, as a GitHub Actions runner sets them; see action.yml and docs/action.md.", s)
	if ok, code := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, s, "unexpected argument %q: action takes no arguments (inputs come from INPUT_* variables)", fs.Arg(0))
	}
	env := action.Env{Getenv: s.Getenv, Out: s.Out, Version: Version, HTTPClient: f.httpClient(), S3PathStyle: f.S3PathStyle, Poll: f.Poll,
		LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
			return f.AWSConfig(ctx, Connection{AWSRegion: region})
		}}
	res, err := action.Run(ctx, env)
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
