package plan

import (
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/gitsha"
)

// Contributors is everyone GitHub's own records show put work into a pull
// request, beyond the commit metadata a pusher can write freely: the
// authors and committers of its commits (those listed now and those a
// force push removed), the people its Co-authored-by trailers name, and
// everyone who pushed to its branch. None of them counts as an approver.
type Contributors struct {
	// Roles maps a lower-cased login to what they did, in the order found
	// ("authored 1a2b3c4", "co-authored 1a2b3c4", "pushed to feature/x").
	Roles map[string][]string
	// Incomplete says why the records may miss someone ("" when they are
	// complete): more commits than GitHub lists, a record that could not be
	// read. No approval counts then.
	Incomplete string
	// Unresolved are co-authors named by trailers whose address ties to no
	// GitHub login: a reviewer whose login is the co-author's name does not
	// count, and the report names the others.
	Unresolved []CoAuthor
	// Dismissals are the review dismissals the issue timeline records.
	Dismissals []Dismissal
	// Warnings are records that could not be read where that does not
	// shut the gate (a fork's pushes: forks are never applied).
	Warnings []string
}

// CoAuthor is one Co-authored-by trailer.
type CoAuthor struct {
	Name   string
	Email  string
	Commit string
}

// Dismissal is one review_dismissed timeline event.
type Dismissal struct {
	ReviewID int64
	// State is the review's state before the dismissal, upper case
	// (APPROVED, CHANGES_REQUESTED).
	State string
	// By is the login that dismissed it.
	By string
}

// Add records that login did what (empty logins are ignored).
func (c *Contributors) Add(login, what string) {
	if login == "" {
		return
	}
	if c.Roles == nil {
		c.Roles = map[string][]string{}
	}
	key := strings.ToLower(login)
	if !slices.Contains(c.Roles[key], what) {
		c.Roles[key] = append(c.Roles[key], what)
	}
}

// Of returns what login did, "" when nothing: the roles joined, at most
// three shown.
func (c *Contributors) Of(login string) string {
	if c == nil {
		return ""
	}
	roles := c.Roles[strings.ToLower(login)]
	if len(roles) == 0 {
		for _, u := range c.Unresolved {
			if sameName(u.Name, login) {
				return "is named as co-author " + u.Name + " <" + u.Email + "> of " + gitsha.Short(u.Commit)
			}
		}
		return ""
	}
	shown := roles[:min(len(roles), 3)]
	s := strings.Join(shown, ", ")
	if len(roles) > len(shown) {
		s += ", …"
	}
	return s
}

// Dismissal returns the recorded dismissal of review id.
func (c *Contributors) Dismissal(id int64) (Dismissal, bool) {
	if c == nil {
		return Dismissal{}, false
	}
	for _, d := range c.Dismissals {
		if d.ReviewID == id {
			return d, true
		}
	}
	return Dismissal{}, false
}

// sameName reports whether a co-author's name is a login, ignoring case,
// spaces and hyphens ("Mallory Doe" is mallorydoe and mallory-doe).
func sameName(name, login string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(s))
	}
	return name != "" && norm(name) == norm(login)
}
