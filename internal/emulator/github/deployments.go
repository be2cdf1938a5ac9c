package ghemu

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// deployment is a deployment with its statuses (oldest first).
type deployment struct {
	id          int64
	sha         string
	ref         string
	task        string
	payload     any
	environment string
	description string
	transient   bool
	production  bool
	creator     *account
	createdAt   time.Time
	updatedAt   time.Time
	statuses    []*deploymentStatus
}

type deploymentStatus struct {
	id             int64
	state          string
	description    string
	environment    string
	environmentURL string
	logURL         string
	creator        *account
	createdAt      time.Time
}

func (e *Emulator) deploymentRoutes() []route {
	return []route{
		{id: "repos/list-deployments", method: "GET", path: "/repos/{owner}/{repo}/deployments", handle: (*call).listDeployments},
		{id: "repos/create-deployment", method: "POST", path: "/repos/{owner}/{repo}/deployments", handle: (*call).createDeployment},
		{id: "repos/list-deployment-statuses", method: "GET", path: "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", handle: (*call).listDeploymentStatuses},
		{id: "repos/create-deployment-status", method: "POST", path: "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", handle: (*call).createDeploymentStatus},
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func deploymentJSON(u urls, r *repo, d *deployment) map[string]any {
	api := u.api("/repos/" + r.fullName())
	self := api + "/deployments/" + itoa(d.id)
	var desc any
	if d.description != "" {
		desc = d.description
	}
	payload := d.payload
	if payload == nil {
		payload = map[string]any{}
	}
	return map[string]any{
		"url": self, "id": d.id, "node_id": nodeID("DE", d.id), "sha": d.sha, "ref": d.ref, "task": d.task,
		"payload": payload, "original_environment": d.environment, "environment": d.environment,
		"description": desc, "creator": userJSON(u, d.creator),
		"created_at": ts(d.createdAt), "updated_at": ts(d.updatedAt),
		"statuses_url": self + "/statuses", "repository_url": api,
		"transient_environment": d.transient, "production_environment": d.production,
	}
}

func deploymentStatusJSON(u urls, r *repo, d *deployment, s *deploymentStatus) map[string]any {
	api := u.api("/repos/" + r.fullName())
	self := api + "/deployments/" + itoa(d.id)
	return map[string]any{
		"url": self + "/statuses/" + itoa(s.id), "id": s.id, "node_id": nodeID("DES", s.id), "state": s.state,
		"creator": userJSON(u, s.creator), "description": s.description, "environment": s.environment,
		"target_url": s.logURL, "log_url": s.logURL, "environment_url": s.environmentURL,
		"created_at": ts(s.createdAt), "updated_at": ts(s.createdAt),
		"deployment_url": self, "repository_url": api,
	}
}

func (c *call) listDeployments() {
	r := c.repoFor()
	if r == nil {
		return
	}
	q := c.r.URL.Query()
	out := []map[string]any{}
	for i := len(r.deployments) - 1; i >= 0; i-- { // newest first
		d := r.deployments[i]
		if (q.Has("sha") && q.Get("sha") != d.sha) || (q.Has("ref") && q.Get("ref") != d.ref) ||
			(q.Has("task") && q.Get("task") != d.task) || (q.Has("environment") && q.Get("environment") != d.environment) {
			continue
		}
		out = append(out, deploymentJSON(c.u(), r, d))
	}
	paginate(c, out, nil)
}

// createDeployment creates a deployment of ref. Without required_contexts
// every commit status context must be success, as GitHub requires (pass an
// empty list to skip the check); auto_merge is not emulated.
func (c *call) createDeployment() {
	r := c.repoFor()
	if r == nil {
		return
	}
	var req struct {
		Ref                   string    `json:"ref"`
		Task                  string    `json:"task"`
		Payload               any       `json:"payload"`
		Environment           string    `json:"environment"`
		Description           string    `json:"description"`
		RequiredContexts      *[]string `json:"required_contexts"`
		TransientEnvironment  bool      `json:"transient_environment"`
		ProductionEnvironment *bool     `json:"production_environment"`
	}
	if !c.decode(&req) {
		return
	}
	cm := c.e.resolve(r, req.Ref)
	if cm == nil {
		c.invalid(fieldError{Resource: "Deployment", Field: "ref", Code: "invalid", Message: "No ref found for: " + req.Ref})
		return
	}
	latest, _ := latestStatuses(r, cm.sha)
	var failing []string
	if req.RequiredContexts == nil {
		for _, s := range latest {
			if s.state != "success" {
				failing = append(failing, s.context)
			}
		}
	} else {
		for _, ctx := range *req.RequiredContexts {
			ok := false
			for _, s := range latest {
				ok = ok || (s.context == ctx && s.state == "success")
			}
			if !ok {
				failing = append(failing, ctx)
			}
		}
	}
	if len(failing) > 0 {
		c.fail(http.StatusConflict, fmt.Sprintf("Conflict: Commit status checks failed for %s.", req.Ref))
		return
	}
	if req.Task == "" {
		req.Task = "deploy"
	}
	if req.Environment == "" {
		req.Environment = "production"
	}
	prod := req.Environment == "production"
	if req.ProductionEnvironment != nil {
		prod = *req.ProductionEnvironment
	}
	t := c.e.now()
	d := &deployment{id: c.e.nextID(), sha: cm.sha, ref: req.Ref, task: req.Task, payload: req.Payload,
		environment: req.Environment, description: req.Description, transient: req.TransientEnvironment,
		production: prod, creator: c.actor(), createdAt: t, updatedAt: t}
	r.deployments = append(r.deployments, d)
	c.json(http.StatusCreated, deploymentJSON(c.u(), r, d))
}

func (c *call) deploymentFor() (*repo, *deployment) {
	r := c.repoFor()
	if r == nil {
		return nil, nil
	}
	id, ok := c.intParam("deployment_id")
	if !ok {
		return nil, nil
	}
	for _, d := range r.deployments {
		if d.id == id {
			return r, d
		}
	}
	c.notFound()
	return nil, nil
}

func (c *call) listDeploymentStatuses() {
	r, d := c.deploymentFor()
	if d == nil {
		return
	}
	out := []map[string]any{}
	for i := len(d.statuses) - 1; i >= 0; i-- { // newest first
		out = append(out, deploymentStatusJSON(c.u(), r, d, d.statuses[i]))
	}
	paginate(c, out, nil)
}

// createDeploymentStatus adds a status; a success marks earlier successful
// deployments to the same environment inactive (auto_inactive, default on).
func (c *call) createDeploymentStatus() {
	r, d := c.deploymentFor()
	if d == nil {
		return
	}
	var req struct {
		State          string `json:"state"`
		TargetURL      string `json:"target_url"`
		LogURL         string `json:"log_url"`
		Description    string `json:"description"`
		Environment    string `json:"environment"`
		EnvironmentURL string `json:"environment_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	if !c.decode(&req) {
		return
	}
	if req.LogURL == "" {
		req.LogURL = req.TargetURL
	}
	if req.Environment != "" {
		d.environment = req.Environment
	}
	t := c.e.now()
	s := &deploymentStatus{id: c.e.nextID(), state: req.State, description: req.Description, environment: d.environment,
		environmentURL: req.EnvironmentURL, logURL: req.LogURL, creator: c.actor(), createdAt: t}
	d.statuses = append(d.statuses, s)
	d.updatedAt = t
	if req.State == "success" && (req.AutoInactive == nil || *req.AutoInactive) {
		for _, other := range r.deployments {
			if other == d || other.environment != d.environment || len(other.statuses) == 0 {
				continue
			}
			if last := other.statuses[len(other.statuses)-1]; last.state == "success" {
				other.statuses = append(other.statuses, &deploymentStatus{id: c.e.nextID(), state: "inactive",
					environment: other.environment, environmentURL: last.environmentURL, creator: c.actor(), createdAt: t})
			}
		}
	}
	c.json(http.StatusCreated, deploymentStatusJSON(c.u(), r, d, s))
}
