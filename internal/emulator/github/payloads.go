package ghemu

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// examples are webhook payloads from npm @octokit/webhooks-examples 7.6.1
// (api.github.com/index.json), one per event and action the emulator sends.
// Payloads are built from emulator state and then completed with any field
// the example has that the emulator does not model, so receivers see
// GitHub's full shape.
//
//go:embed examples/*.json
var examples embed.FS

func example(name, action string) map[string]any {
	file := name
	if action != "" {
		file += "." + action
	}
	b, err := examples.ReadFile("examples/" + file + ".json")
	if err != nil {
		return nil
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// marshalPayload completes payload's nested objects from the example of the
// same event and action, then any property the description's payload schema
// still requires with a zero value. Top-level keys come only from the
// emulator (an example's "organization" or "enterprise" would describe
// someone else).
func marshalPayload(name, action string, payload map[string]any) []byte {
	b, _ := json.Marshal(payload)
	var generic map[string]any
	json.Unmarshal(b, &generic)
	if ex := example(name, action); ex != nil {
		for k, v := range generic {
			if tv, ok := ex[k]; ok {
				generic[k] = fillFrom(v, tv)
			}
		}
	}
	if s := payloadSchema(name, action); s != nil {
		complete(generic, s, 0)
	}
	out, _ := json.Marshal(generic)
	return out
}

// payloadSchema is the description's schema for a webhook payload
// (webhook-pull-request-opened, …), or nil.
func payloadSchema(event, action string) *openapi3.Schema {
	doc, err := loadSpec()
	if err != nil {
		return nil
	}
	name := "webhook-" + strings.ReplaceAll(event, "_", "-")
	if action != "" {
		name += "-" + strings.ReplaceAll(action, "_", "-")
	}
	if ref := doc.Components.Schemas[name]; ref != nil {
		return ref.Value
	}
	return nil
}

// fillFrom adds to v the keys template has and v lacks, recursively.
func fillFrom(v, template any) any {
	vm, ok := v.(map[string]any)
	tm, ok2 := template.(map[string]any)
	if !ok || !ok2 {
		return v
	}
	for k, tv := range tm {
		if cur, has := vm[k]; has {
			vm[k] = fillFrom(cur, tv)
		} else {
			vm[k] = tv
		}
	}
	return vm
}

func (e *Emulator) basePayload(u urls, r *repo, action string, sender *account) map[string]any {
	m := map[string]any{"repository": repoJSON(u, r), "sender": userJSON(u, sender)}
	if action != "" {
		m["action"] = action
	}
	if r.owner.kind == "Organization" {
		org := u.api("/orgs/" + r.owner.login)
		m["organization"] = map[string]any{
			"login": r.owner.login, "id": r.owner.id, "node_id": nodeID("O", r.owner.id), "url": org,
			"repos_url": org + "/repos", "events_url": org + "/events", "hooks_url": org + "/hooks",
			"issues_url": org + "/issues", "members_url": org + "/members{/member}",
			"public_members_url": org + "/public_members{/member}", "description": nil,
			"avatar_url": "https://avatars.githubusercontent.com/u/" + itoa(r.owner.id),
		}
	}
	return m
}

// pullEvent is a pull_request event; extra adds fields such as before/after.
func (e *Emulator) pullEvent(u urls, p *pull, action string, sender *account, extra map[string]any) *event {
	m := e.basePayload(u, p.repo, action, sender)
	m["number"] = p.number
	m["pull_request"] = e.pullJSON(u, p, true)
	for k, v := range extra {
		m[k] = v
	}
	return &event{name: "pull_request", action: action, repo: p.repo, payload: m}
}

func (e *Emulator) reviewEvent(u urls, p *pull, rv *review, action string, sender *account) *event {
	m := e.basePayload(u, p.repo, action, sender)
	rj := e.reviewJSON(u, p, rv)
	rj["state"] = strings.ToLower(rv.state) // webhook review states are lower case
	m["review"] = rj
	m["pull_request"] = e.pullJSON(u, p, false)
	return &event{name: "pull_request_review", action: action, repo: p.repo, payload: m}
}

func (e *Emulator) commentEvent(u urls, r *repo, p *pull, cm *issueComment, action string, sender *account) *event {
	m := e.basePayload(u, r, action, sender)
	m["comment"] = e.commentJSON(u, r, cm)
	pj := e.pullJSON(u, p, false)
	issue := map[string]any{
		"url": pj["issue_url"], "id": p.id, "node_id": pj["node_id"], "number": p.number, "title": p.title,
		"user": pj["user"], "state": p.state, "body": pj["body"], "html_url": pj["html_url"],
		"created_at": pj["created_at"], "updated_at": pj["updated_at"], "closed_at": pj["closed_at"],
		"author_association": pj["author_association"], "comments_url": pj["comments_url"],
		"pull_request": map[string]any{"url": pj["url"], "html_url": pj["html_url"], "diff_url": pj["diff_url"],
			"patch_url": pj["patch_url"], "merged_at": pj["merged_at"]},
	}
	m["issue"] = issue
	return &event{name: "issue_comment", action: action, repo: r, payload: m}
}

// pushEvent is a push of commits moving branch from before ("" for a new
// branch) to its current tip.
func (e *Emulator) pushEvent(u urls, r *repo, branch, before string, commits []*commit, pusher *account) *event {
	e.recordPush(r, branch, before, pusher)
	after := r.branches[branch]
	zero := strings.Repeat("0", 40)
	created := before == ""
	if created {
		before = zero
	}
	var list []map[string]any
	for _, c := range commits {
		list = append(list, e.pushCommit(u, r, c))
	}
	if list == nil {
		list = []map[string]any{}
	}
	var head any
	if c := e.objects.commits[after]; c != nil {
		head = e.pushCommit(u, r, c)
	}
	m := e.basePayload(u, r, "", pusher)
	name, email := "", ""
	if pusher != nil {
		name, email = pusher.login, pusher.login+"@users.noreply.github.com"
	}
	m["ref"] = "refs/heads/" + branch
	m["before"] = before
	m["after"] = after
	m["created"] = created
	m["deleted"] = false
	m["forced"] = false
	m["base_ref"] = nil
	m["compare"] = u.html(fmt.Sprintf("/%s/compare/%s...%s", r.fullName(), before[:12], after[:12]))
	m["commits"] = list
	m["head_commit"] = head
	m["pusher"] = map[string]any{"name": name, "email": email}
	return &event{name: "push", repo: r, payload: m}
}

func (e *Emulator) pushCommit(u urls, r *repo, c *commit) map[string]any {
	var before map[string]string
	if len(c.parents) > 0 {
		before = e.objects.commits[c.parents[0]].files
	}
	added, removed, modified := []string{}, []string{}, []string{}
	for _, f := range e.objects.diff(before, c.files) {
		switch f.status {
		case "added":
			added = append(added, f.filename)
		case "removed":
			removed = append(removed, f.filename)
		case "renamed":
			added = append(added, f.filename)
			removed = append(removed, f.previous)
		default:
			modified = append(modified, f.filename)
		}
	}
	sig := func(s signature) map[string]any {
		return map[string]any{"name": s.name, "email": s.email, "username": s.login, "date": ts(s.when)}
	}
	return map[string]any{
		"id": c.sha, "tree_id": c.tree, "distinct": true, "message": c.message, "timestamp": ts(c.committer.when),
		"url": u.html("/" + r.fullName() + "/commit/" + c.sha), "author": sig(c.author), "committer": sig(c.committer),
		"added": added, "removed": removed, "modified": modified,
	}
}

func (e *Emulator) checkRunEvent(u urls, r *repo, cr *checkRun, action string, sender *account) *event {
	m := e.basePayload(u, r, action, sender)
	run := e.checkRunJSON(u, r, cr)
	headBranch := any(nil)
	for name, sha := range r.branches {
		if sha == cr.headSHA {
			headBranch = name
		}
	}
	run["check_suite"] = map[string]any{
		"id": cr.suiteID, "node_id": nodeID("CS", cr.suiteID), "head_branch": headBranch, "head_sha": cr.headSHA,
		"status": cr.status, "conclusion": run["conclusion"], "url": u.api(fmt.Sprintf("/repos/%s/check-suites/%d", r.fullName(), cr.suiteID)),
		"before": nil, "after": cr.headSHA, "pull_requests": run["pull_requests"], "app": e.appJSON(u, cr.app),
		"created_at": ts(cr.startedAt), "updated_at": ts(cr.startedAt),
	}
	m["check_run"] = run
	return &event{name: "check_run", action: action, repo: r, payload: m}
}
