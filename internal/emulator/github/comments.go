package ghemu

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// issueComment is a comment on a pull request's conversation.
type issueComment struct {
	id        int64
	number    int
	user      *account
	body      string
	createdAt time.Time
	updatedAt time.Time
}

// maxCommentBody is GitHub's limit on an issue comment body, in characters.
const maxCommentBody = 65536

func (e *Emulator) commentRoutes() []route {
	return []route{
		// ServeMux cannot tell .../issues/{issue_number}/comments from
		// .../issues/comments/{comment_id} (both match issues/comments/
		// comments), so the list takes any last segment and answers 404
		// for anything but "comments".
		{id: "issues/list-comments", method: "GET", path: "/repos/{owner}/{repo}/issues/{issue_number}/comments", pattern: "/repos/{owner}/{repo}/issues/{issue_number}/{comments}", handle: (*call).listComments},
		{id: "issues/create-comment", method: "POST", path: "/repos/{owner}/{repo}/issues/{issue_number}/comments", handle: (*call).createComment},
		{id: "issues/get-comment", method: "GET", path: "/repos/{owner}/{repo}/issues/comments/{comment_id}", handle: (*call).getComment},
		{id: "issues/update-comment", method: "PATCH", path: "/repos/{owner}/{repo}/issues/comments/{comment_id}", handle: (*call).updateComment},
	}
}

func (e *Emulator) commentJSON(u urls, r *repo, cm *issueComment) map[string]any {
	api := u.api("/repos/" + r.fullName())
	return map[string]any{
		"id": cm.id, "node_id": nodeID("IC", cm.id), "url": fmt.Sprintf("%s/issues/comments/%d", api, cm.id),
		"html_url":  u.html(fmt.Sprintf("/%s/pull/%d#issuecomment-%d", r.fullName(), cm.number, cm.id)),
		"issue_url": fmt.Sprintf("%s/issues/%d", api, cm.number),
		"body":      cm.body, "user": userJSON(u, cm.user),
		"created_at": ts(cm.createdAt), "updated_at": ts(cm.updatedAt),
		"author_association": e.association(r, cm.user), "performed_via_github_app": nil,
		"reactions": map[string]any{
			"url": fmt.Sprintf("%s/issues/comments/%d/reactions", api, cm.id), "total_count": 0,
			"+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0,
		},
	}
}

// issueFor finds the path's issue (only pull requests are modelled).
func (c *call) issueFor() (*repo, *pull) {
	r := c.repoFor()
	if r == nil {
		return nil, nil
	}
	n, ok := c.intParam("issue_number")
	if !ok {
		return nil, nil
	}
	p := r.pulls[int(n)]
	if p == nil {
		c.notFound()
		return nil, nil
	}
	return r, p
}

func (c *call) listComments() {
	if c.r.PathValue("comments") != "comments" {
		c.notFound()
		return
	}
	r, p := c.issueFor()
	if p == nil {
		return
	}
	var out []map[string]any
	for _, cm := range r.comments {
		if cm.number == p.number {
			out = append(out, c.e.commentJSON(c.u(), r, cm))
		}
	}
	paginate(c, out, nil)
}

// checkCommentBody enforces GitHub's comment limits.
func (c *call) checkCommentBody(body string) bool {
	if body == "" {
		c.invalid(fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return false
	}
	if utf8.RuneCountInString(body) > maxCommentBody {
		c.invalid(fieldError{Resource: "IssueComment", Field: "body", Code: "custom",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", maxCommentBody)})
		return false
	}
	return true
}

func (c *call) createComment() {
	r, p := c.issueFor()
	if p == nil {
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !c.decode(&req) || !c.checkCommentBody(req.Body) {
		return
	}
	cm := c.e.addComment(c.u(), r, p, c.actor(), req.Body, &c.events)
	c.w.Header().Set("Location", c.e.commentJSON(c.u(), r, cm)["url"].(string))
	c.json(http.StatusCreated, c.e.commentJSON(c.u(), r, cm))
}

// addComment records a comment and emits issue_comment "created". Callers
// hold e.mu.
func (e *Emulator) addComment(u urls, r *repo, p *pull, who *account, body string, events *[]*event) *issueComment {
	t := e.now()
	cm := &issueComment{id: e.nextID(), number: p.number, user: who, body: body, createdAt: t, updatedAt: t}
	r.comments = append(r.comments, cm)
	*events = append(*events, e.commentEvent(u, r, p, cm, "created", who))
	return cm
}

// comment finds the path's comment, answering 404 when there is none.
func (c *call) comment() (*repo, *issueComment) {
	r := c.repoFor()
	if r == nil {
		return nil, nil
	}
	id, ok := c.intParam("comment_id")
	if !ok {
		return nil, nil
	}
	for _, cm := range r.comments {
		if cm.id == id {
			return r, cm
		}
	}
	c.notFound()
	return nil, nil
}

// getComment serves "Get an issue comment",
// https://docs.github.com/en/rest/issues/comments#get-an-issue-comment
func (c *call) getComment() {
	if r, cm := c.comment(); cm != nil {
		c.json(http.StatusOK, c.e.commentJSON(c.u(), r, cm))
	}
}

func (c *call) updateComment() {
	r, cm := c.comment()
	if cm == nil {
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !c.decode(&req) || !c.checkCommentBody(req.Body) {
		return
	}
	cm.body, cm.updatedAt = req.Body, c.e.now()
	c.events = append(c.events, c.e.commentEvent(c.u(), r, r.pulls[cm.number], cm, "edited", c.actor()))
	c.json(http.StatusOK, c.e.commentJSON(c.u(), r, cm))
}
