package ghemu

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// checkRun is a check run with its accumulated annotations.
type checkRun struct {
	id          int64
	suiteID     int64
	headSHA     string
	name        string
	status      string
	conclusion  string
	externalID  string
	detailsURL  string
	startedAt   time.Time
	completedAt time.Time
	title       string
	summary     string
	text        string
	annotations []Annotation
	creator     *account
	// app is the App whose token created the run: GitHub shows it as the
	// run's "app", and only it may update the run.
	app *app
}

// Annotation is a check run annotation.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     *int   `json:"start_column,omitempty"`
	EndColumn       *int   `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// maxCheckOutput is the byte limit GitHub enforces on summary and text
// (the OpenAPI description states it as a character limit too).
const maxCheckOutput = 65535

func (e *Emulator) checkRoutes() []route {
	return []route{
		{id: "checks/create", method: "POST", path: "/repos/{owner}/{repo}/check-runs", handle: (*call).createCheckRun},
		{id: "checks/get", method: "GET", path: "/repos/{owner}/{repo}/check-runs/{check_run_id}", handle: (*call).getCheckRun},
		{id: "checks/update", method: "PATCH", path: "/repos/{owner}/{repo}/check-runs/{check_run_id}", handle: (*call).updateCheckRun},
		{id: "checks/list-annotations", method: "GET", path: "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", handle: (*call).listAnnotations},
		{id: "checks/list-for-ref", method: "GET", path: "/repos/{owner}/{repo}/commits/{ref}/check-runs", handle: (*call).listCheckRunsForRef},
	}
}

func (e *Emulator) checkRunJSON(u urls, r *repo, cr *checkRun) map[string]any {
	api := u.api(fmt.Sprintf("/repos/%s/check-runs/%d", r.fullName(), cr.id))
	html := u.html(fmt.Sprintf("/%s/runs/%d", r.fullName(), cr.id))
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var completed any
	if !cr.completedAt.IsZero() {
		completed = ts(cr.completedAt)
	}
	details := cr.detailsURL
	if details == "" {
		details = "https://github.com/apps/" + cr.app.slug
	}
	prs := []map[string]any{}
	for _, p := range r.sortedPulls() {
		if p.state == "open" && p.headSHA == cr.headSHA && p.headRepo == r {
			side := func(rr *repo, ref, sha string) map[string]any {
				return map[string]any{"ref": ref, "sha": sha, "repo": map[string]any{"id": rr.id, "url": u.api("/repos/" + rr.fullName()), "name": rr.name}}
			}
			prs = append(prs, map[string]any{
				"id": p.id, "number": p.number, "url": u.api(fmt.Sprintf("/repos/%s/pulls/%d", r.fullName(), p.number)),
				"head": side(p.headRepo, p.headRef, p.headSHA), "base": side(r, p.baseRef, p.baseTip()),
			})
		}
	}
	return map[string]any{
		"id": cr.id, "node_id": nodeID("CR", cr.id), "head_sha": cr.headSHA, "name": cr.name,
		"external_id": cr.externalID, "url": api, "html_url": html, "details_url": details,
		"status": cr.status, "conclusion": opt(cr.conclusion),
		"started_at": ts(cr.startedAt), "completed_at": completed,
		"output": map[string]any{
			"title": opt(cr.title), "summary": opt(cr.summary), "text": opt(cr.text),
			"annotations_count": len(cr.annotations), "annotations_url": api + "/annotations",
		},
		"check_suite":   map[string]any{"id": cr.suiteID},
		"app":           e.appJSON(u, cr.app),
		"pull_requests": prs,
	}
}

// appJSON is an App as it appears inside check runs, check suites and
// payloads, and as GET /app returns it.
func (e *Emulator) appJSON(u urls, a *app) map[string]any {
	return map[string]any{
		"id": a.id, "slug": a.slug, "node_id": nodeID("A", a.id), "owner": userJSON(u, a.owner),
		"name": a.name, "description": a.description,
		"external_url": a.externalURL, "html_url": u.html("/apps/" + a.slug),
		"created_at": ts(a.createdAt), "updated_at": ts(a.createdAt),
		"permissions": a.permissions, "events": a.events,
	}
}

// checkRunInput is the body of create and update.
type checkRunInput struct {
	Name        *string `json:"name"`
	HeadSHA     string  `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// apply sets the fields present in in; annotations append.
func (c *call) applyCheckRun(cr *checkRun, in checkRunInput) bool {
	if in.Output != nil {
		for field, s := range map[string]*string{"summary": in.Output.Summary, "text": in.Output.Text} {
			if s != nil && len(*s) > maxCheckOutput {
				c.invalid(fieldError{Resource: "CheckRun", Field: field, Code: "custom",
					Message: fmt.Sprintf("%s exceeds a maximum bytesize of %d", field, maxCheckOutput)})
				return false
			}
		}
		if len(in.Output.Annotations) > 50 {
			c.invalidRequest(fmt.Sprintf("No more than 50 items are allowed; %d were supplied.", len(in.Output.Annotations)))
			return false
		}
	}
	if in.Conclusion != nil {
		cr.conclusion = *in.Conclusion
		cr.status = "completed"
	} else if in.Status != nil {
		if *in.Status == "completed" && cr.conclusion == "" {
			c.invalid(fieldError{Resource: "CheckRun", Field: "conclusion", Code: "missing_field",
				Message: "conclusion is required when status is completed"})
			return false
		}
		cr.status = *in.Status
	}
	if cr.status == "completed" && cr.completedAt.IsZero() {
		cr.completedAt = c.e.now()
	}
	if in.Name != nil {
		cr.name = *in.Name
	}
	if in.DetailsURL != nil {
		cr.detailsURL = *in.DetailsURL
	}
	if in.ExternalID != nil {
		cr.externalID = *in.ExternalID
	}
	if in.Output != nil {
		if in.Output.Title != nil {
			cr.title = *in.Output.Title
		}
		if in.Output.Summary != nil {
			cr.summary = *in.Output.Summary
		}
		if in.Output.Text != nil {
			cr.text = *in.Output.Text
		}
		cr.annotations = append(cr.annotations, in.Output.Annotations...)
	}
	return true
}

// requireApp refuses check run writes by anything but a GitHub App, as
// GitHub does: "Write permission for the REST API to interact with checks is
// only available to GitHub Apps. OAuth apps and authenticated users can view
// check runs and check suites, but they are not able to create them."
// (https://docs.github.com/en/rest/checks/runs). A user token or PAT gets
// 403 "You must authenticate via a GitHub App." (what GitHub answers, e.g.
// https://github.com/iterative/cml/issues/645). An Actions GITHUB_TOKEN is
// an installation token of the github-actions App, so its runs are that
// App's.
func (c *call) requireApp() bool {
	if c.who == nil || c.who.inst == nil || c.who.inst.app == nil {
		c.fail(http.StatusForbidden, "You must authenticate via a GitHub App.")
		return false
	}
	return true
}

func (c *call) createCheckRun() {
	r := c.repoFor()
	if r == nil || !c.requireApp() {
		return
	}
	var in checkRunInput
	if !c.decode(&in) {
		return
	}
	if in.Name == nil || *in.Name == "" {
		c.invalid(fieldError{Resource: "CheckRun", Field: "name", Code: "missing_field"})
		return
	}
	if c.e.objects.commits[in.HeadSHA] == nil {
		c.invalid(fieldError{Resource: "CheckRun", Field: "head_sha", Code: "invalid", Message: "No commit found for SHA: " + in.HeadSHA})
		return
	}
	a := c.who.inst.app
	cr := &checkRun{id: c.e.nextID(), suiteID: c.e.suiteID(r, in.HeadSHA, a), headSHA: in.HeadSHA, status: "queued", startedAt: c.e.now(),
		creator: c.actor(), app: a}
	if !c.applyCheckRun(cr, in) {
		return
	}
	r.checkRuns = append(r.checkRuns, cr)
	c.events = append(c.events, c.e.checkRunEvent(c.u(), r, cr, "created", c.actor()))
	if cr.status == "completed" {
		c.events = append(c.events, c.e.checkRunEvent(c.u(), r, cr, "completed", c.actor()))
	}
	c.json(http.StatusCreated, c.e.checkRunJSON(c.u(), r, cr))
}

// suiteID gives every (repository, head SHA, App) one check suite, as
// GitHub does: "A check suite is a collection of the check runs created by a
// single GitHub App for a specific commit."
// (https://docs.github.com/en/rest/guides/using-the-rest-api-to-interact-with-checks).
func (e *Emulator) suiteID(r *repo, sha string, a *app) int64 {
	for _, cr := range r.checkRuns {
		if cr.headSHA == sha && cr.app == a {
			return cr.suiteID
		}
	}
	return e.nextID()
}

func (c *call) checkRunFor() (*repo, *checkRun) {
	r := c.repoFor()
	if r == nil {
		return nil, nil
	}
	id, ok := c.intParam("check_run_id")
	if !ok {
		return nil, nil
	}
	for _, cr := range r.checkRuns {
		if cr.id == id {
			return r, cr
		}
	}
	c.notFound()
	return nil, nil
}

func (c *call) getCheckRun() {
	if r, cr := c.checkRunFor(); cr != nil {
		c.json(http.StatusOK, c.e.checkRunJSON(c.u(), r, cr))
	}
}

func (c *call) updateCheckRun() {
	if !c.requireApp() {
		return
	}
	r, cr := c.checkRunFor()
	if cr == nil {
		return
	}
	if cr.app != c.who.inst.app {
		// Only the App that created a run may change it; GitHub names the
		// run's App (e.g. https://github.com/int128/argocd-commenter/pull/631).
		c.fail(http.StatusForbidden, fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", cr.app.id))
		return
	}
	var in checkRunInput
	if !c.decode(&in) {
		return
	}
	// Validate on a copy so that a refused update changes nothing.
	next := *cr
	next.annotations = append([]Annotation(nil), cr.annotations...)
	if !c.applyCheckRun(&next, in) {
		return
	}
	wasCompleted := cr.status == "completed"
	*cr = next
	if cr.status == "completed" && !wasCompleted {
		c.events = append(c.events, c.e.checkRunEvent(c.u(), r, cr, "completed", c.actor()))
	}
	c.json(http.StatusOK, c.e.checkRunJSON(c.u(), r, cr))
}

func (c *call) listAnnotations() {
	r, cr := c.checkRunFor()
	if cr == nil {
		return
	}
	out := make([]map[string]any, 0, len(cr.annotations))
	for _, a := range cr.annotations {
		out = append(out, map[string]any{
			"path": a.Path, "start_line": a.StartLine, "end_line": a.EndLine,
			"start_column": a.StartColumn, "end_column": a.EndColumn,
			"annotation_level": a.AnnotationLevel, "title": a.Title, "message": a.Message,
			"raw_details": a.RawDetails,
			"blob_href":   c.u().html("/" + r.fullName() + "/blob/" + cr.headSHA + "/" + a.Path),
		})
	}
	paginate(c, out, nil)
}

func (c *call) listCheckRunsForRef() {
	r := c.repoFor()
	if r == nil {
		return
	}
	cm := c.e.resolve(r, c.r.PathValue("ref"))
	if cm == nil {
		c.invalid(fieldError{Resource: "Commit", Field: "ref", Code: "invalid", Message: "No commit found for SHA: " + c.r.PathValue("ref")})
		return
	}
	name, status, filter := c.query("check_name"), c.query("status"), c.query("filter")
	// app_id lists only the runs that App created (documented on "List
	// check runs for a Git reference",
	// https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference);
	// the OpenAPI check has already refused one that is not an integer.
	var appID int64
	if v := c.query("app_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.invalidRequest("For 'properties/app_id', \"" + v + "\" is not an integer.")
			return
		}
		appID = id
	}
	var runs []*checkRun
	latest := map[string]int{}                   // name → index in runs
	for i := len(r.checkRuns) - 1; i >= 0; i-- { // newest first
		cr := r.checkRuns[i]
		if cr.headSHA != cm.sha || (name != "" && cr.name != name) || (status != "" && cr.status != status) ||
			(appID != 0 && cr.app.id != appID) {
			continue
		}
		if filter != "all" {
			if _, seen := latest[cr.name]; seen {
				continue
			}
			latest[cr.name] = len(runs)
		}
		runs = append(runs, cr)
	}
	out := make([]map[string]any, 0, len(runs))
	for _, cr := range runs {
		out = append(out, c.e.checkRunJSON(c.u(), r, cr))
	}
	paginate(c, out, func(page []map[string]any) any {
		return map[string]any{"total_count": len(out), "check_runs": page}
	})
}
