package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The example workflows (docs/workflows) are what users copy, and this
// repository's own (.github/workflows) run here: both are held to the rules
// of docs/SECURITY.md. A `pull_request` run executes the
// workflow file of the pull request's branch, and a workflow pushed on any
// branch can read every repository secret; so:
//
//   - no job triggered by a pull request event references a secret other
//     than GITHUB_TOKEN, runs in an environment (whose secrets it would
//     get), or assumes any AWS role but the read-only check role;
//   - every job that does reference another secret runs in an environment
//     (whose deployment branches are the default branch only, as the
//     comments there say), so only reviewed workflow files on the default
//     branch can read it;
//   - a job on workflow_run or pull_request_target (which run with secrets
//     for pull request events) never checks out code;
//   - the IAM trust policies agree: every role a job assumes trusts the
//     OIDC subject the job presents, and the apply role trusts no subject a
//     pull request event, a branch push or a comment can present.
func TestWorkflowsKeepCredentialsFromPullRequestCode(t *testing.T) {
	files, err := filepath.Glob("../../docs/workflows/*.yml")
	if err != nil || len(files) < 4 {
		t.Fatalf("docs/workflows: %v %v", files, err)
	}
	own, _ := filepath.Glob("../../.github/workflows/*.yml")
	files = append(files, own...)
	trust := trustPolicies(t)

	for _, file := range files {
		wf := readWorkflow(t, file)
		name := filepath.ToSlash(strings.TrimPrefix(file, "../../"))
		pullRequestTriggered := false
		for _, ev := range wf.events {
			pullRequestTriggered = pullRequestTriggered || pullRequestEvents[ev]
		}
		for id, job := range wf.jobs {
			where := name + ": job " + id
			secrets := job.secrets()
			if pullRequestTriggered {
				if len(secrets) > 0 {
					t.Errorf("%s runs on %v and references secrets %v: pull request code controls it", where, wf.events, secrets)
				}
				if job.Environment != nil {
					t.Errorf("%s runs on %v in an environment: it would get that environment's secrets", where, wf.events)
				}
				for _, role := range job.roles() {
					if !strings.HasSuffix(role, ":role/modelpromote-gha-check") {
						t.Errorf("%s runs on %v and assumes %s: only the read-only check role may be", where, wf.events, role)
					}
				}
			}
			if len(secrets) > 0 && job.Environment == nil {
				t.Errorf("%s references secrets %v outside an environment: a workflow pushed on any branch could read them", where, secrets)
			}
			if slices.Contains(wf.events, "workflow_run") || slices.Contains(wf.events, "pull_request_target") {
				for _, s := range job.Steps {
					if strings.HasPrefix(s.Uses, "actions/checkout@") {
						t.Errorf("%s runs with secrets on %v and checks out code", where, wf.events)
					}
				}
			}
			for _, role := range job.roles() {
				policy, ok := trust[roleName(role)]
				if !ok {
					t.Errorf("%s assumes %s, which no docs/iam/trust-*.json describes", where, role)
					continue
				}
				for _, sub := range job.subjects(wf.events) {
					if !policy.trusts(sub) {
						t.Errorf("%s assumes %s as %s, which its trust policy does not allow", where, roleName(role), sub)
					}
				}
			}
		}
	}

	// The deploy path: the apply role trusts no subject that pull request
	// code, a branch push, a comment or a dispatch from a branch presents.
	apply := trust["modelpromote-gha-apply"]
	for _, sub := range []string{
		repoSubject + ":pull_request",
		repoSubject + ":ref:refs/pull/7/merge",
		repoSubject + ":ref:refs/heads/main", // issue_comment, schedule, workflow_run
		repoSubject + ":ref:refs/heads/feature",
		repoSubject + ":environment:modelpromote",
		queueSubject,
	} {
		if apply.trusts(sub) {
			t.Errorf("trust-apply.json trusts %s", sub)
		}
	}
	// And the roles a pull request's check can reach chain into read-only
	// roles only.
	var perms struct {
		Statement []struct {
			Resource any `json:"Resource"`
		}
	}
	readJSON(t, "../../docs/iam/permissions-check.json", &perms)
	for _, st := range perms.Statement {
		for _, r := range stringList(st.Resource) {
			if strings.HasSuffix(r, "/modelpromote-deploy") || strings.HasSuffix(r, "/modelpromote-gha-apply") {
				t.Errorf("permissions-check.json reaches %s", r)
			}
		}
	}
}

// pullRequestEvents run for a pull request with its code or on its behalf
// (a merge_group run executes the workflow file of the queue's commit,
// which carries the pull request's changes).
var pullRequestEvents = map[string]bool{
	"pull_request": true, "pull_request_target": true, "pull_request_review": true,
	"pull_request_review_comment": true, "issue_comment": true, "merge_group": true,
}

// queueSubject is a merge_group run's OIDC subject: its ref is the queue's
// temporary branch.
const queueSubject = repoSubject + ":ref:refs/heads/gh-readonly-queue/main/pr-7-929f8209d40f77f4abc622a499c93a83babdbe64"

// repoSubject is the example repository's OIDC subject prefix.
const repoSubject = "repo:acme/ml-promotions"

type workflow struct {
	events []string
	jobs   map[string]job
}

type job struct {
	node        yaml.Node
	Environment any `yaml:"environment"`
	Steps       []struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

func readWorkflow(t *testing.T, file string) workflow {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		On   yaml.Node            `yaml:"on"`
		Jobs map[string]yaml.Node `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	wf := workflow{jobs: map[string]job{}}
	switch raw.On.Kind {
	case yaml.ScalarNode:
		wf.events = []string{raw.On.Value}
	case yaml.SequenceNode:
		for _, n := range raw.On.Content {
			wf.events = append(wf.events, n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(raw.On.Content); i += 2 {
			wf.events = append(wf.events, raw.On.Content[i].Value)
		}
	}
	if len(wf.events) == 0 || len(raw.Jobs) == 0 {
		t.Fatalf("%s: no events or no jobs", file)
	}
	sort.Strings(wf.events)
	for id, n := range raw.Jobs {
		var j job
		if err := n.Decode(&j); err != nil {
			t.Fatalf("%s: job %s: %v", file, id, err)
		}
		j.node = n
		wf.jobs[id] = j
	}
	return wf
}

var secretRef = regexp.MustCompile(`secrets\s*(?:\.\s*([A-Za-z0-9_-]+)|\[\s*'([^']*)'\s*\])`)

// secrets are the secrets the job names, GITHUB_TOKEN aside; `secrets:
// inherit` (every secret, to a reusable workflow) counts as "inherit".
func (j job) secrets() []string {
	b, _ := yaml.Marshal(&j.node)
	var out []string
	for _, m := range secretRef.FindAllStringSubmatch(string(b), -1) {
		if name := m[1] + m[2]; name != "GITHUB_TOKEN" {
			out = append(out, name)
		}
	}
	if regexp.MustCompile(`(?m)^\s*secrets:\s*inherit\s*$`).Match(b) {
		out = append(out, "inherit")
	}
	return out
}

// roles are the AWS role ARNs the job's steps assume (the action's and
// aws-actions/configure-aws-credentials' role-to-assume).
func (j job) roles() []string {
	var out []string
	for _, s := range j.Steps {
		if r := s.With["role-to-assume"]; r != "" {
			out = append(out, r)
		}
	}
	return out
}

// subjects are the OIDC subjects a run of the job presents, by event
// (GitHub's "Example subject claims"; workflow_dispatch runs on the
// default branch, as dispatching on another one is a choice the trust
// policies refuse).
func (j job) subjects(events []string) []string {
	if env, ok := j.Environment.(string); ok {
		return []string{repoSubject + ":environment:" + env}
	}
	var out []string
	for _, ev := range events {
		switch ev {
		case "pull_request":
			out = append(out, repoSubject+":pull_request")
		case "pull_request_review", "pull_request_review_comment":
			out = append(out, repoSubject+":ref:refs/pull/7/merge")
		case "merge_group":
			out = append(out, queueSubject)
		default: // issue_comment, schedule, workflow_run, push to and dispatch on main
			out = append(out, repoSubject+":ref:refs/heads/main")
		}
	}
	return out
}

func roleName(arn string) string {
	_, name, _ := strings.Cut(arn, ":role/")
	return name
}

// trustPolicy is the GitHub OIDC part of a role's trust policy: the
// subjects it allows (StringEquals or StringLike, with IAM's * and ?).
type trustPolicy struct{ subjects []*regexp.Regexp }

func (p trustPolicy) trusts(sub string) bool {
	for _, re := range p.subjects {
		if re.MatchString(sub) {
			return true
		}
	}
	return false
}

// trustPolicies reads docs/iam/trust-*.json, by the role name the docs
// give each: trust-X.json is modelpromote-gha-X's when it federates GitHub
// OIDC.
func trustPolicies(t *testing.T) map[string]trustPolicy {
	t.Helper()
	files, _ := filepath.Glob("../../docs/iam/trust-*.json")
	out := map[string]trustPolicy{}
	for _, f := range files {
		var doc struct {
			Statement []struct {
				Principal struct {
					Federated string
				}
				Condition map[string]map[string]any
			}
		}
		readJSON(t, f, &doc)
		var p trustPolicy
		for _, st := range doc.Statement {
			if !strings.HasSuffix(st.Principal.Federated, "/token.actions.githubusercontent.com") {
				continue
			}
			for _, op := range []string{"StringEquals", "StringLike"} {
				for _, s := range stringList(st.Condition[op]["token.actions.githubusercontent.com:sub"]) {
					pattern := regexp.QuoteMeta(s)
					if op == "StringLike" {
						pattern = strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(pattern)
					}
					p.subjects = append(p.subjects, regexp.MustCompile("^"+pattern+"$"))
				}
			}
		}
		if len(p.subjects) > 0 {
			role := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "trust-"), ".json")
			out["modelpromote-gha-"+role] = p
		}
	}
	return out
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// stringList reads an IAM policy value that is a string or a list of them.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, s := range v {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TestDocumentedSetupReportsTheCheckAsTheApp: apply accepts only a
// `modelpromote` check run the modelpromote App created (any workflow with
// checks: write can create one of that name; a GITHUB_TOKEN's are the
// github-actions App's). So in the example workflows the App reports the
// check on every pull request, and only from a job pull request code cannot
// touch; check.yml only plans there; and apply is told the App's ID, the
// same variable its App token is minted with.
func TestDocumentedSetupReportsTheCheckAsTheApp(t *testing.T) {
	step := func(j job, uses string) map[string]string {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, uses) {
				return s.With
			}
		}
		return nil
	}
	const action, appToken = "modelpromote/modelpromote@", "actions/create-github-app-token@"

	check := readWorkflow(t, "../../docs/workflows/check.yml")
	for id, j := range check.jobs {
		with := step(j, action)
		if with == nil {
			continue
		}
		// Every pull request event plans; only a merge queue commit (whose
		// run apply never reads) is reported from here.
		if got := with["dry-run"]; got != "${{ github.event_name != 'merge_group' }}" {
			t.Errorf("check.yml job %s: dry-run %q: on pull request events it must only plan (the App reports)", id, got)
		}
	}

	app := readWorkflow(t, "../../docs/workflows/check-app.yml")
	if !slices.Equal(app.events, []string{"workflow_run"}) {
		t.Errorf("check-app.yml runs on %v, want workflow_run only (the default branch's copy, after check.yml)", app.events)
	}
	for id, j := range app.jobs {
		with, tok := step(j, action), step(j, appToken)
		switch {
		case with == nil || tok == nil:
			t.Errorf("check-app.yml job %s: no App token step and modelpromote step", id)
		case with["command"] != "check" || with["dry-run"] == "true":
			t.Errorf("check-app.yml job %s: command %q dry-run %q, want a reporting check", id, with["command"], with["dry-run"])
		case !strings.Contains(with["github-token"], "steps.app.outputs.token"):
			t.Errorf("check-app.yml job %s reports with %q, not the App's token", id, with["github-token"])
		case j.Environment == nil:
			t.Errorf("check-app.yml job %s mints the App token outside an environment", id)
		}
	}

	apply := readWorkflow(t, "../../docs/workflows/apply.yml")
	for id, j := range apply.jobs {
		with, tok := step(j, action), step(j, appToken)
		if with == nil || tok == nil {
			t.Fatalf("apply.yml job %s: no App token step and modelpromote step", id)
		}
		if with["app-id"] == "" || with["app-id"] != tok["app-id"] {
			t.Errorf("apply.yml job %s: app-id %q, want the App's ID (%q, as its token is minted with)", id, with["app-id"], tok["app-id"])
		}
	}
}
