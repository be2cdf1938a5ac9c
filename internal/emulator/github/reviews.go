package ghemu

import (
	"fmt"
	"net/http"
	"time"
)

// review is a pull request review.
type review struct {
	id          int64
	user        *account
	body        string
	state       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	commitID    string
	submittedAt time.Time
}

func (e *Emulator) reviewRoutes() []route {
	return []route{
		{id: "pulls/list-reviews", method: "GET", path: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", handle: (*call).listReviews},
		{id: "pulls/create-review", method: "POST", path: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", handle: (*call).createReview},
		{id: "pulls/dismiss-review", method: "PUT", path: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals", handle: (*call).dismissReview},
	}
}

func (e *Emulator) reviewJSON(u urls, p *pull, rv *review) map[string]any {
	pr := u.api(fmt.Sprintf("/repos/%s/pulls/%d", p.repo.fullName(), p.number))
	html := u.html(fmt.Sprintf("/%s/pull/%d#pullrequestreview-%d", p.repo.fullName(), p.number, rv.id))
	m := map[string]any{
		"id": rv.id, "node_id": nodeID("PRR", rv.id), "user": userJSON(u, rv.user), "body": rv.body,
		"state": rv.state, "html_url": html, "pull_request_url": pr, "commit_id": rv.commitID,
		"author_association": e.association(p.repo, rv.user),
		"_links":             map[string]any{"html": map[string]any{"href": html}, "pull_request": map[string]any{"href": pr}},
	}
	if rv.state != "PENDING" {
		m["submitted_at"] = ts(rv.submittedAt)
	}
	return m
}

func (c *call) listReviews() {
	_, p := c.pullFor()
	if p == nil {
		return
	}
	out := make([]map[string]any, 0, len(p.reviews))
	for _, rv := range p.reviews {
		out = append(out, c.e.reviewJSON(c.u(), p, rv))
	}
	paginate(c, out, nil)
}

// reviewStates maps a review event to the state it leaves.
var reviewStates = map[string]string{"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED", "": "PENDING"}

func (c *call) createReview() {
	_, p := c.pullFor()
	if p == nil {
		return
	}
	var req struct {
		CommitID string `json:"commit_id"`
		Body     string `json:"body"`
		Event    string `json:"event"`
	}
	if !c.decode(&req) {
		return
	}
	rv, msg := c.e.addReview(c.u(), p, c.actor(), req.Event, req.Body, req.CommitID, &c.events)
	if msg != "" {
		c.fail(http.StatusUnprocessableEntity, msg)
		return
	}
	c.json(http.StatusOK, c.e.reviewJSON(c.u(), p, rv))
}

// addReview records a review, with GitHub's refusals (an author approving
// or requesting changes on their own pull request, a body required for
// REQUEST_CHANGES and COMMENT). Callers hold e.mu.
func (e *Emulator) addReview(u urls, p *pull, who *account, event, body, commitID string, events *[]*event) (*review, string) {
	state, ok := reviewStates[event]
	if !ok {
		return nil, "Unprocessable Entity: event must be one of APPROVE, REQUEST_CHANGES, COMMENT"
	}
	if who == p.user && (state == "APPROVED" || state == "CHANGES_REQUESTED") {
		verb := "approve"
		if state == "CHANGES_REQUESTED" {
			verb = "request changes on"
		}
		return nil, fmt.Sprintf("Unprocessable Entity: \"Review Can not %s your own pull request\"", verb)
	}
	if body == "" && (state == "CHANGES_REQUESTED" || state == "COMMENTED") {
		return nil, "Unprocessable Entity: \"Body is required for this review type\""
	}
	if commitID == "" {
		commitID = p.headSHA
	} else if e.objects.commits[commitID] == nil {
		return nil, "Unprocessable Entity: \"Commit ID is not part of the pull request\""
	}
	rv := &review{id: e.nextID(), user: who, body: body, state: state, commitID: commitID, submittedAt: e.now()}
	p.reviews = append(p.reviews, rv)
	if state != "PENDING" {
		*events = append(*events, e.reviewEvent(u, p, rv, "submitted", who))
	}
	return rv, ""
}

func (c *call) dismissReview() {
	_, p := c.pullFor()
	if p == nil {
		return
	}
	id, ok := c.intParam("review_id")
	if !ok {
		return
	}
	var req struct {
		Message string `json:"message"`
	}
	if !c.decode(&req) {
		return
	}
	rv, msg := c.e.dismiss(c.u(), p, id, req.Message, c.actor(), &c.events)
	switch {
	case rv == nil && msg == "":
		c.notFound()
	case msg != "":
		c.fail(http.StatusUnprocessableEntity, msg)
	default:
		c.json(http.StatusOK, c.e.reviewJSON(c.u(), p, rv))
	}
}

// dismiss dismisses review id; only approvals and change requests can be
// dismissed. Callers hold e.mu.
func (e *Emulator) dismiss(u urls, p *pull, id int64, message string, who *account, events *[]*event) (*review, string) {
	for _, rv := range p.reviews {
		if rv.id != id {
			continue
		}
		if rv.state != "APPROVED" && rv.state != "CHANGES_REQUESTED" {
			return rv, "Can not dismiss a " + map[string]string{"COMMENTED": "commented", "PENDING": "pending", "DISMISSED": "dismissed"}[rv.state] + " pull request review"
		}
		e.recordDismissal(p, rv, rv.state, message, who)
		rv.state = "DISMISSED"
		*events = append(*events, e.reviewEvent(u, p, rv, "dismissed", who))
		return rv, ""
	}
	return nil, ""
}
