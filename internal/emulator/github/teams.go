package ghemu

import (
	"net/http"
	"strings"
)

// team is an organization team; members maps lower-case login to the
// membership.
type team struct {
	id      int64
	slug    string
	members map[string]*membership
}

type membership struct {
	user  *account
	role  string // member, maintainer
	state string // active, pending
}

func (e *Emulator) teamRoutes() []route {
	return []route{
		{id: "teams/get-membership-for-user-in-org", method: "GET", path: "/orgs/{org}/teams/{team_slug}/memberships/{username}", handle: (*call).getTeamMembership},
		{id: "repos/get-collaborator-permission-level", method: "GET", path: "/repos/{owner}/{repo}/collaborators/{username}/permission", handle: (*call).getPermission},
	}
}

// isOrgMember reports an active membership of any of org's teams.
func (e *Emulator) isOrgMember(org, a *account) bool {
	for _, t := range org.teams {
		if m := t.members[strings.ToLower(a.login)]; m != nil && m.state == "active" {
			return true
		}
	}
	return false
}

// getTeamMembership answers 404 for a non-member, as GitHub does.
func (c *call) getTeamMembership() {
	org := c.e.account(c.r.PathValue("org"))
	if org == nil || org.kind != "Organization" {
		c.notFound()
		return
	}
	t := org.teams[strings.ToLower(c.r.PathValue("team_slug"))]
	if t == nil {
		c.notFound()
		return
	}
	m := t.members[strings.ToLower(c.r.PathValue("username"))]
	if m == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, map[string]any{
		"url":   c.u().api("/organizations/" + itoa(org.id) + "/team/" + itoa(t.id) + "/memberships/" + m.user.login),
		"role":  m.role,
		"state": m.state,
	})
}

// getPermission answers the user's permission on the repository: admin,
// write, read or none (maintain and triage fold into write and read, with
// role_name keeping the role).
func (c *call) getPermission() {
	r := c.repoFor()
	if r == nil {
		return
	}
	u := c.e.account(c.r.PathValue("username"))
	if u == nil {
		c.notFound()
		return
	}
	role := r.perms[strings.ToLower(u.login)]
	if u == r.owner {
		role = "admin"
	}
	perm := map[string]string{"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "": "none"}[role]
	if role == "" {
		role = "none"
	}
	user := userJSON(c.u(), u)
	user["permissions"] = map[string]any{
		"admin": perm == "admin", "maintain": role == "maintain" || perm == "admin",
		"push": perm == "admin" || perm == "write", "triage": perm != "none", "pull": perm != "none",
	}
	user["role_name"] = role
	c.json(http.StatusOK, map[string]any{"permission": perm, "role_name": role, "user": user})
}
