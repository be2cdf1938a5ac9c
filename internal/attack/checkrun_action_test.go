package attack_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/world"
)

// TestAttackPlantedCheckRunIsNotTakenByTheAction: the same attack as
// TestAttackPlantedCheckRunFromAPullRequestWorkflowIsNotTaken, applied by
// the Action (apply.yml's step, here run by hand with workflow_dispatch).
// With the App's ID (the app-id input) the Action takes the App's run and
// refuses the swapped bytes; without it, it cannot tell the App's run from
// the planted one and refuses, saying what to configure. Either way the
// pull request is told and no account changes.
func TestAttackPlantedCheckRunIsNotTakenByTheAction(t *testing.T) {
	w := newWorld(t)
	n, _ := passedStagingTo13(t, w, "promote-13-planted-action")
	uri, forged := swapModelData(t, w, appRunText(t, w, n))
	tok, err := w.GitHub.ActionsToken(world.Repo, false)
	if err != nil {
		t.Fatal(err)
	}
	plantGreenRun(t, w, w.GitHub.Client(tok), n, forged)
	before := snapshot(t, w)
	if _, err := w.GitHub.Merge(world.Repo, n, world.Pat, "merge"); err != nil {
		t.Fatal(err)
	}
	dispatch, _ := json.Marshal(map[string]any{"inputs": map[string]any{"command": "apply", "pull-request": strconv.Itoa(n)},
		"ref": "refs/heads/main", "repository": map[string]any{"full_name": world.Repo, "default_branch": "main"}})
	for _, c := range []struct {
		name   string
		appID  string
		reason string
	}{
		{"without app-id", "", "the modelpromote GitHub App's ID is not configured"},
		{"with app-id", strconv.FormatInt(w.GitHub.App().ID, 10), uri + " changed after the pull request's check"},
	} {
		res, out, err := actionStep(t, w, "workflow_dispatch", dispatch, map[string]string{"app-id": c.appID})
		switch {
		case err != nil:
			t.Errorf("%s: %v\n%s", c.name, err, out)
		case !res.Failed || res.Job.Command != "apply":
			t.Errorf("%s: the step did not fail an apply (job %+v)\n%s", c.name, res.Job, out)
		case !strings.Contains(out, c.reason):
			t.Errorf("%s: the step does not say %q:\n%s", c.name, c.reason, out)
		}
		if !saidOnPR(w, n, c.reason) {
			t.Errorf("%s: the pull request was not told %q", c.name, c.reason)
		}
		unchanged(t, w, before)
	}
}
