package ghemu

import "net/http"

func (e *Emulator) userRoutes() []route {
	return []route{
		{id: "users/get-authenticated", method: "GET", path: "/user", handle: (*call).getAuthenticatedUser},
	}
}

// getAuthenticatedUser serves "Get the authenticated user",
// https://docs.github.com/en/rest/users/users#get-the-authenticated-user:
// the private view of a user token's account. An installation token (or an
// Actions GITHUB_TOKEN) acts for no user, and GitHub refuses it with 403
// "Resource not accessible by integration".
func (c *call) getAuthenticatedUser() {
	if c.who.inst != nil || c.who.actions {
		c.fail(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	a := c.who.user
	u := userJSON(c.u(), a)
	u["user_view_type"] = "private"
	u["created_at"], u["updated_at"] = ts(a.createdAt), ts(a.createdAt)
	// The private view's own members (private-user in the description);
	// the emulator models none of them, so they are zero.
	for _, k := range []string{"collaborators", "disk_usage", "owned_private_repos", "private_gists", "total_private_repos"} {
		u[k] = 0
	}
	u["two_factor_authentication"] = false
	c.json(http.StatusOK, u)
}
