package action

import (
	"testing"
)

// TestRouteEvent checks what the Action puts into the one router (its
// cases are in package route): its inputs, and that it runs in Actions.
func TestRouteEvent(t *testing.T) {
	fork := map[string]any{"action": "opened", "pull_request": map[string]any{"number": 2,
		"head": map[string]any{"repo": map[string]any{"full_name": "mallory/p"}},
		"base": map[string]any{"ref": "main", "repo": map[string]any{"full_name": "acme/p"}}},
		"repository": map[string]any{"full_name": "acme/p", "default_branch": "main"}}
	j, err := routeEvent("pull_request", fork, Inputs{Command: CommandAuto})
	if err != nil || j.Command != CommandCheck || !j.ReadOnly || j.PR != 2 || j.DefaultBranch != "main" {
		t.Errorf("fork opened: %+v, %v; want a read-only check of #2", j, err)
	}
	j, err = routeEvent("pull_request", fork, Inputs{Command: CommandAuto, DryRun: true})
	if err != nil || j.Command != CommandPlan {
		t.Errorf("dry run: %+v, %v; want a plan", j, err)
	}
	j, err = routeEvent("release", nil, Inputs{Command: CommandPlan, PullRequest: 3})
	if err != nil || j.Command != CommandPlan || j.PR != 3 {
		t.Errorf("explicit inputs: %+v, %v; want a plan of #3", j, err)
	}
}

func TestJWTSubject(t *testing.T) {
	// {"sub":"repo:o/r:ref:refs/heads/main"}
	tok := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.x"
	if got := jwtSubject(tok); got != "repo:o/r:ref:refs/heads/main" {
		t.Errorf("subject %q", got)
	}
	if got := jwtSubject("not a token"); got != "" {
		t.Errorf("subject %q", got)
	}
}
